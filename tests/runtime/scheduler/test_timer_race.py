"""A timer and a normal event for the same entity at the same moment, on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from pystator import Orchestrator, PostgresStateStore, StateMachine
from pystator.runtime.timers import ScheduledJob
from tests.conftest import PG_URL, require_postgres
from tests.runtime.scheduler.support import TIMED


@pytest.fixture
def store() -> Iterator[PostgresStateStore]:
    require_postgres()
    schema = f"pystator_race_{uuid.uuid4().hex[:8]}"
    opened = PostgresStateStore(PG_URL, schema=schema, pool_size=4).connect()
    yield opened
    opened.drop()
    opened.close()


def test_exactly_one_of_a_timer_and_an_event_wins_and_the_other_changes_nothing(
    store: PostgresStateStore,
) -> None:
    machine = StateMachine.from_yaml(TIMED)
    winners: Counter[str] = Counter()
    for trial in range(25):
        entity = f"race-{trial}"
        Orchestrator(machine, store).process_event(entity, "submit")
        job = ScheduledJob(
            machine.name, machine.version, entity, "_timeout_pending", time.time(), "pending", 1
        )
        timer_side = Orchestrator(machine, store)
        event_side = Orchestrator(machine, store)
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}

        def fire(
            side: Orchestrator = timer_side,
            due: ScheduledJob = job,
            gate: threading.Barrier = barrier,
            out: dict[str, Any] = results,
        ) -> None:
            gate.wait()
            out["timer"] = asyncio.run(side.fire(due))

        def send(
            side: Orchestrator = event_side,
            name: str = entity,
            gate: threading.Barrier = barrier,
            out: dict[str, Any] = results,
            lag: float = 0.03 if trial % 2 else 0.0,
        ) -> None:
            gate.wait()
            # Every other trial the event comes a moment later, so both sides get to win.
            time.sleep(lag)
            out["event"] = side.process_event(name, "ack")

        threads = [threading.Thread(target=fire), threading.Thread(target=send)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        timer, event = results["timer"], results["event"]
        history = store.history(entity)
        assert len(history) == 2, "exactly one of them was committed"
        final = store.load(entity)
        assert final is not None
        if final.state == "expired":
            winners["timer"] += 1
            assert timer.target_state == "expired" and not timer.metadata.get("no_op")
            assert not event.success, "the event found the entity already expired"
        else:
            winners["event"] += 1
            assert final.state == "open" and event.target_state == "open"
            assert timer.metadata["reason"] == "stale_timer"
            assert timer_side.timer_log[-1].stale, "the losing timer is recorded as a no-op"
    print(f"\nrace winners over 25 trials: {dict(winners)}")
    assert winners["timer"] and winners["event"], "both outcomes of the race were exercised"
