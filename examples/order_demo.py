"""Drive orders through their life with the module compiled from order_fsm.yaml.

Run `pystator-gen compile examples/order_fsm.yaml` first; it writes order_management.py
next to this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from order_management import (
    OrderManagementMachine,
    OrderManagementSession,
    OrderManagementState,
)

from pystator import ActionExecutor, GuardRejectedError, TransitionResult


def main() -> None:
    machine = OrderManagementMachine()
    log: list[str] = []

    @machine.guard("can_cancel")
    def can_cancel(ctx: Mapping[str, Any]) -> bool:
        return ctx.get("reason") != "too late"

    @machine.action("notify_open")
    def notify_open(ctx: Mapping[str, Any]) -> None:
        log.append(f"order {ctx['order_id']} is live")

    @machine.action("record_fill")
    def record_fill(ctx: Mapping[str, Any]) -> None:
        final = ctx["_action_params"]["final"]
        log.append(f"fill of {ctx['fill_qty']} recorded (final={final})")

    @machine.action("release_buying_power")
    def release_buying_power(ctx: Mapping[str, Any]) -> None:
        log.append("buying power released")

    @machine.action("send_cancel")
    def send_cancel(ctx: Mapping[str, Any]) -> None:
        log.append(f"cancel sent: {ctx.get('reason', 'no reason')}")

    executor = ActionExecutor(machine.action_registry)

    def step(order: OrderManagementSession, result: TransitionResult) -> None:
        # Sandwich pattern: the session has committed the state; now run the side effects.
        print(f"  {result.trigger}: {result.source_state} -> {order.current_state}")
        outcome = executor.execute(result, order.context)
        for line in log:
            print(f"    action: {line}")
        log.clear()
        if not outcome.success:
            print(f"    failed actions: {outcome.failed}")

    print("Order A-1: acknowledged, filled in two parts")
    order = machine.create(context={"order_id": "A-1", "order_qty": 100})
    print(f"  starts in {order.current_state} (status={order.context.get('status')})")
    step(order, order.exchange_ack())
    result = order.execution_report(fill_qty=40)
    order.context["filled_qty"] = order.context.get("filled_qty", 0) + 40
    step(order, result)
    step(order, order.execution_report(fill_qty=60))
    assert order.current_state is OrderManagementState.FILLED
    print(f"  final: {order.is_final}, status={order.context['status']}")

    print("Order B-2: a cancel that arrives too late is refused by its guard")
    other = machine.create(context={"order_id": "B-2", "order_qty": 10})
    step(other, other.exchange_ack())
    refused = other.cancel(reason="too late")
    if isinstance(refused.error, GuardRejectedError):
        print(f"  refused by guard {refused.error.guard_name!r}; still {other.current_state}")
    step(other, other.cancel(reason="changed my mind"))

    print("Order C-3: stateless process() with the typed enums")
    decision = machine.process(OrderManagementState.PENDING_NEW, "exchange_reject")
    print(f"  PENDING_NEW --exchange_reject--> {decision.target_state}")
    snapshot = order.snapshot()
    restored = OrderManagementSession.from_snapshot(machine, snapshot)
    print(f"  restored A-1 from a snapshot: {restored.current_state}")


if __name__ == "__main__":
    main()
