"""Walk a trading session through its nested states with the compiled trading_fsm.yaml.

Run `pystator-gen compile examples/trading_fsm.yaml` first; it writes trading_session.py
next to this file.
"""

from __future__ import annotations

from trading_session import TradingSessionMachine, TradingSessionState


def main() -> None:
    machine = TradingSessionMachine()
    session = machine.create()
    print(f"start in {session.current_state}")
    for trigger in (
        "start",
        "signal_detected",
        "signal_confirmed",
        "order_placed",
        "position_closed",
        "restart_scan",
        "emergency_stop",
    ):
        result = session.send(trigger)
        actions = ", ".join(result.all_actions) or "none"
        print(f"  {trigger:<17} {result.source_state} -> {result.target_state}  [{actions}]")
    assert session.current_state is TradingSessionState.HALTED
    print(f"final: {session.current_state} (terminal: {session.is_final})")


if __name__ == "__main__":
    main()
