"""Per-event cost of a generated order machine against a hand-written dict-dispatch one.

Both do the same work per event: look up the (state, trigger) pair, evaluate the same
guards, switch state, apply the same context effects. Run:

    python benchmarks/bench_order.py            # full run
    python benchmarks/bench_order.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import Figure, import_path, report, rounds  # noqa: E402

from pystator.generator.pipeline import generate  # noqa: E402


def load_generated() -> Any:
    result = generate(ROOT / "examples" / "order_fsm.yaml")
    directory = Path(tempfile.mkdtemp())
    path = directory / "bench_order_module.py"
    path.write_text(result.text, encoding="utf-8")
    return import_path(path, "bench_order_module")


# -- the hand-written baseline ------------------------------------------------------------


def _complete(ctx: Mapping[str, Any]) -> bool:
    return bool(ctx["filled_qty"] + ctx["fill_qty"] >= ctx["order_qty"])


def _partial(ctx: Mapping[str, Any]) -> bool:
    return bool(ctx["fill_qty"] > 0)


def _can_cancel(ctx: Mapping[str, Any]) -> bool:
    return True


Route = tuple[Callable[[Mapping[str, Any]], bool] | None, str, tuple[str, ...]]
_FILL: tuple[Route, ...] = (
    (_complete, "FILLED", ("record_fill", "release_buying_power")),
    (_partial, "PARTIALLY_FILLED", ("record_fill",)),
)
TABLE: dict[tuple[str, str], tuple[Route, ...]] = {
    ("PENDING_NEW", "exchange_ack"): ((None, "OPEN", ("notify_open",)),),
    ("PENDING_NEW", "exchange_reject"): ((None, "REJECTED", ()),),
    ("OPEN", "execution_report"): _FILL,
    ("PARTIALLY_FILLED", "execution_report"): _FILL,
    ("PENDING_NEW", "cancel"): ((_can_cancel, "CANCELLED", ("send_cancel",)),),
    ("OPEN", "cancel"): ((_can_cancel, "CANCELLED", ("send_cancel",)),),
    ("PARTIALLY_FILLED", "cancel"): ((_can_cancel, "CANCELLED", ("send_cancel",)),),
}
STATUS = {
    "PENDING_NEW": "pending_new",
    "OPEN": "open",
    "PARTIALLY_FILLED": "partially_filled",
    "FILLED": "filled",
    "CANCELLED": "cancelled",
    "REJECTED": "rejected",
}


class HandOrder:
    """What a careful person would write by hand for the same machine."""

    __slots__ = ("context", "state")

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.state = "PENDING_NEW"
        self.context = {"filled_qty": 0, **context, "status": "pending_new"}

    def send(self, trigger: str, **payload: Any) -> tuple[str, tuple[str, ...]] | None:
        routes = TABLE.get((self.state, trigger))
        if routes is None:
            return None
        ctx = {**self.context, **payload} if payload else self.context
        for guard, target, actions in routes:
            if guard is None or guard(ctx):
                self.state = target
                self.context = ctx
                ctx["status"] = STATUS[target]
                if target == "FILLED":
                    ctx["filled_at"] = datetime.now(UTC).isoformat()
                return target, actions
        return None


def hand_process(
    state: str, trigger: str, ctx: Mapping[str, Any]
) -> tuple[str, tuple[str, ...]] | None:
    for guard, target, actions in TABLE.get((state, trigger), ()):
        if guard is None or guard(ctx):
            return target, actions
    return None


# -- measuring ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test)")
    args = parser.parse_args(argv)
    number, repeat = (200, 3) if args.quick else (20_000, 15)

    module = load_generated()
    machine = module.OrderManagementMachine()
    machine.guard("can_cancel")(_can_cancel)
    start = {"order_id": "A-1", "order_qty": 100}

    def generated_walk() -> None:
        order = machine.create(context=start)
        order.exchange_ack()
        order.execution_report(fill_qty=40)
        order.execution_report(fill_qty=100)

    def generated_send_walk() -> None:
        order = machine.create(context=start)
        order.send("exchange_ack")
        order.send("execution_report", fill_qty=40)
        order.send("execution_report", fill_qty=100)

    def hand_walk() -> None:
        order = HandOrder(start)
        order.send("exchange_ack")
        order.send("execution_report", fill_qty=40)
        order.send("execution_report", fill_qty=100)

    def generated_create() -> None:
        machine.create(context=start)

    def hand_create() -> None:
        HandOrder(start)

    partial_ctx = {"filled_qty": 0, "fill_qty": 40, "order_qty": 100}
    full_ctx = {"filled_qty": 40, "fill_qty": 100, "order_qty": 100}
    process = machine.process

    def generated_process() -> None:
        process("PENDING_NEW", "exchange_ack")
        process("OPEN", "execution_report", partial_ctx)
        process("PARTIALLY_FILLED", "execution_report", full_ctx)

    def hand_process_walk() -> None:
        hand_process("PENDING_NEW", "exchange_ack", {})
        hand_process("OPEN", "execution_report", partial_ctx)
        hand_process("PARTIALLY_FILLED", "execution_report", full_ctx)

    # Sanity: both machines end in the same place.
    check = machine.create(context=start)
    check.exchange_ack()
    check.execution_report(fill_qty=40)
    check.execution_report(fill_qty=100)
    hand = HandOrder(start)
    hand.send("exchange_ack")
    hand.send("execution_report", fill_qty=40)
    hand.send("execution_report", fill_qty=100)
    assert check.current_state == hand.state == "FILLED", (check.current_state, hand.state)

    t = rounds(
        {
            "g_create": generated_create,
            "h_create": hand_create,
            "g_walk": generated_walk,
            "h_walk": hand_walk,
            "g_send": generated_send_walk,
            "g_process": generated_process,
            "h_process": hand_process_walk,
        },
        number,
        repeat,
    )
    median = statistics.median

    def per_event(walk: str, create: str) -> list[float]:
        return [(w - c) / 3 for w, c in zip(t[walk], t[create], strict=True)]

    hand_events = per_event("h_walk", "h_create")
    rows = [
        ("trigger methods, per event", per_event("g_walk", "g_create"), hand_events, 1.3),
        ("session.send, per event", per_event("g_send", "g_create"), hand_events, 1.3),
        (
            "process(), per event",
            [x / 3 for x in t["g_process"]],
            [x / 3 for x in t["h_process"]],
            1.2,
        ),
        ("session creation", t["g_create"], t["h_create"], 1.5),
    ]

    print(f"order walk, medians of {repeat} interleaved rounds x {number} iterations (ns)")
    print(f"{'measure':<28}{'generated':>12}{'hand-written':>14}{'ratio':>8}{'target':>9}")
    figures = []
    for label, generated_ns, hand_ns, target in rows:
        ratio = median([g / h for g, h in zip(generated_ns, hand_ns, strict=True)])
        value, baseline = median(generated_ns), median(hand_ns)
        print(f"{label:<28}{value:>12.0f}{baseline:>14.0f}{ratio:>7.2f}x{f'<= {target}x':>9}")
        figures.append(Figure(f"order walk: {label}", value, baseline, "ns", ratio, target))
    return report(figures)


if __name__ == "__main__":
    main()
