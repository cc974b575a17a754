"""Acknowledgment timeouts: orders the exchange never acknowledges are rejected on time.

Run `pystator-gen compile examples/order_fsm.yaml` first. PENDING_NEW declares
`timeout: {seconds: 2, destination: REJECTED}`; the Orchestrator arms that timer on the
AsyncioScheduler when an order is created and cancels it when the acknowledgment comes.
"""

from __future__ import annotations

import asyncio
import time

from order_management import OrderManagementMachine, OrderManagementState

from pystator import InMemoryStateStore, Orchestrator
from pystator.scheduler import AsyncioScheduler


async def main() -> None:
    store = InMemoryStateStore()
    scheduler = AsyncioScheduler()
    orchestrator = Orchestrator(OrderManagementMachine(), store, scheduler=scheduler)
    started = time.monotonic()

    def stamp() -> str:
        return f"[{time.monotonic() - started:4.1f}s]"

    for order_id in ("ORD-1", "ORD-2"):
        await orchestrator.async_create_entity(order_id, {"order_qty": 100, "fill_qty": 0})
        (timer,) = await scheduler.pending(entity_id=order_id)
        print(f"{stamp()} {order_id} sent; {timer.event} due in {timer.due_at - time.time():.1f}s")

    await asyncio.sleep(0.5)
    acked = await orchestrator.async_process_event("ORD-1", "exchange_ack")
    print(f"{stamp()} ORD-1 acknowledged -> {acked.target_state}; its timer is cancelled")
    assert await scheduler.pending(entity_id="ORD-1") == []

    print(f"{stamp()} waiting for ORD-2's acknowledgment...")
    await asyncio.sleep(2.0)
    for order_id in ("ORD-1", "ORD-2"):
        record = store.load(order_id)
        assert record is not None
        print(f"{stamp()} {order_id} is {record.state}")
        for entry in store.history(order_id):
            source = entry.source_state or "(new)"
            print(f"{source:>20} --{entry.trigger}--> {entry.target_state}")
    final = {order_id: store.load(order_id) for order_id in ("ORD-1", "ORD-2")}
    assert all(record is not None for record in final.values())
    assert final["ORD-2"].state == OrderManagementState.REJECTED  # type: ignore[union-attr]
    print("final:", ", ".join(f"{k} {v.state}" for k, v in final.items() if v is not None))
    await orchestrator.close()


if __name__ == "__main__":
    asyncio.run(main())
