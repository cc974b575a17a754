"""A trading day with three regions running side by side, from day_trading_fsm.yaml.

Run `pystator-gen compile examples/day_trading_fsm.yaml` first; it writes day_trading.py
next to this file.
"""

from __future__ import annotations

from day_trading import DayTradingMachine, DayTradingState


def main() -> None:
    machine = DayTradingMachine()
    session = machine.create(context={"risk_ok": True})
    session.market_open()
    print(f"open: {session.parallel_config.to_string() if session.parallel_config else '-'}")
    for trigger in ("feed_up", "signal_detected", "risk_warning", "signal_confirmed", "order_done"):
        result = session.send(trigger)
        config = session.parallel_config
        print(f"  {trigger:<17} {config.to_string() if config else session.current_state}")
        assert result.success, result.error
    # The stateless API does the same with an explicit configuration.
    config = machine.enter_parallel_state("active")
    config, _ = machine.process_parallel(config, "feed_lost")
    print(f"  stateless feed_lost: {config.to_string() if config else '-'}")
    print(
        f"  leaving runs: {', '.join(machine.get_parallel_exit_actions(config))}" if config else ""
    )
    session.market_close()
    assert session.current_state is DayTradingState.CLOSED
    print(f"final: {session.current_state} (terminal: {session.is_final})")


if __name__ == "__main__":
    main()
