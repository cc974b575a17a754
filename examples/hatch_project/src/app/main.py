"""Drive orders through the machine compiled from order.yaml, with the handlers of the shop.

`app.machines.order` does not exist in the source tree: the build hook generates it.
"""

from __future__ import annotations

from app.handlers import OrderHandlers
from app.machines.order import OrderMachine, OrderSession, OrderState
from pystator import ActionExecutor, TransitionResult


def run() -> list[str]:
    """Deliver one order and cancel another; returns what happened, line by line."""
    handlers = OrderHandlers(stock=1)
    machine = OrderMachine(guards=handlers, actions=handlers)
    executor = ActionExecutor(machine.action_registry)
    lines: list[str] = []

    def step(order: OrderSession, result: TransitionResult) -> None:
        # The session has committed the new state; now run the transition's actions.
        order_id = order.context["order_id"]
        if not result.success:
            lines.append(f"{order_id}: {result.trigger} refused: {result.error}")
            return
        lines.append(f"{order_id}: {result.trigger} -> {order.current_state}")
        outcome = executor.execute(result, order.context)
        if not outcome.success:
            lines.append(f"{order_id}: failed actions: {outcome.failed}")
        lines.extend(f"  {entry}" for entry in handlers.log)
        handlers.log.clear()

    first = machine.create(context={"order_id": "A-1", "amount": 30.0})
    step(first, first.pay(paid_amount=30.0))
    step(first, first.ship(tracking="TRK-1"))
    step(first, first.deliver())

    second = machine.create(context={"order_id": "B-2", "amount": 12.5})
    step(second, second.pay(paid_amount=12.5))
    step(second, second.ship())  # the only item in stock went to A-1
    step(second, second.cancel())

    assert first.current_state is OrderState.DELIVERED and first.is_final
    assert second.is_cancelled and second.context.get("status") == "cancelled"
    lines.append(f"final: A-1 {first.current_state}, B-2 {second.current_state}")
    return lines


def main() -> None:
    for line in run():
        print(line)


if __name__ == "__main__":
    main()
