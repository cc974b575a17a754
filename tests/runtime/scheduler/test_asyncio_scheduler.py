"""Timers through the Orchestrator with the in-process AsyncioScheduler."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest

from pystator import FSMError, InMemoryStateStore, NoOpInvokeAdapter, Orchestrator, StateMachine
from pystator.runtime.spec import InvokeSpec
from pystator.runtime.timers import MIN_DELAY_MS, ScheduledJob
from pystator.scheduler import AsyncioScheduler
from tests.runtime.scheduler.support import REENTRY, TIMED


def setup(**kwargs: Any) -> tuple[Orchestrator, AsyncioScheduler, InMemoryStateStore]:
    scheduler = AsyncioScheduler()
    store = InMemoryStateStore()
    machine = StateMachine.from_yaml(TIMED)
    return Orchestrator(machine, store, scheduler=scheduler, **kwargs), scheduler, store


def state(store: InMemoryStateStore, entity_id: str) -> str:
    record = store.load(entity_id)
    assert record is not None
    return record.state


def test_a_state_timeout_fires_after_its_delay_and_not_before() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, store = setup()
        await orchestrator.async_process_event("o-1", "submit")
        (job,) = await scheduler.pending(entity_id="o-1")
        assert (job.event, job.armed_in) == ("_timeout_pending", "pending")
        await asyncio.sleep(0.15)
        assert state(store, "o-1") == "pending"
        await asyncio.sleep(0.3)
        assert state(store, "o-1") == "expired"
        (outcome,) = orchestrator.timer_log
        assert outcome.fired_at >= job.due_at
        assert not outcome.stale
        await orchestrator.close()

    asyncio.run(scenario())


def test_leaving_the_state_cancels_its_timer() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, store = setup()
        await orchestrator.async_process_event("o-1", "submit")
        await orchestrator.async_process_event("o-1", "ack")
        assert await scheduler.pending(entity_id="o-1") == []
        await asyncio.sleep(0.4)
        assert state(store, "o-1") == "open"
        assert list(orchestrator.timer_log) == []
        await orchestrator.close()

    asyncio.run(scenario())


def test_a_delayed_transition_without_trigger_fires_by_its_implicit_event() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, store = setup()
        for trigger in ("submit", "ack", "wait"):
            await orchestrator.async_process_event("o-1", trigger)
        (job,) = await scheduler.pending(entity_id="o-1")
        assert job.event == "_after_waiting_200_ms"
        await asyncio.sleep(0.35)
        assert state(store, "o-1") == "done"
        await orchestrator.close()

    asyncio.run(scenario())


def test_an_ancestor_timer_survives_moves_between_its_children() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, store = setup()
        for trigger in ("submit", "ack", "enter"):
            await orchestrator.async_process_event("o-1", trigger)
        (armed,) = await scheduler.pending(entity_id="o-1")
        assert armed.armed_in == "session"
        await orchestrator.async_process_event("o-1", "pay")
        await orchestrator.async_process_event("o-1", "back")
        (still,) = await scheduler.pending(entity_id="o-1")
        assert still.due_at == armed.due_at
        await asyncio.sleep(0.8)
        assert state(store, "o-1") == "closed"
        await orchestrator.close()

    asyncio.run(scenario())


def test_leaving_the_ancestor_cancels_its_timer() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, _ = setup()
        for trigger in ("submit", "ack", "enter", "pay", "leave"):
            await orchestrator.async_process_event("o-1", trigger)
        assert await scheduler.pending(entity_id="o-1") == []
        await orchestrator.close()

    asyncio.run(scenario())


def test_an_external_self_transition_restarts_the_timer() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, store = setup()
        await orchestrator.async_process_event("o-1", "submit")
        (first,) = await scheduler.pending(entity_id="o-1")
        await asyncio.sleep(0.2)
        await orchestrator.async_process_event("o-1", "refresh")
        (second,) = await scheduler.pending(entity_id="o-1")
        assert second.due_at > first.due_at
        await asyncio.sleep(0.15)
        assert state(store, "o-1") == "pending"  # the first arming would have fired by now
        await asyncio.sleep(0.3)
        assert state(store, "o-1") == "expired"
        await orchestrator.close()

    asyncio.run(scenario())


def test_a_timer_that_fires_after_the_entity_moved_on_is_a_recorded_no_op() -> None:
    async def scenario() -> None:
        orchestrator, _, store = setup()
        await orchestrator.async_process_event("o-1", "submit")
        stale = ScheduledJob(
            "timed_order", "1.0", "o-1", "_timeout_pending", time.time(), "pending", 1
        )
        await orchestrator.async_process_event("o-1", "ack")
        result = await orchestrator.fire(stale)
        assert result.metadata["reason"] == "stale_timer"
        assert state(store, "o-1") == "open"
        assert orchestrator.timer_log[-1].stale
        assert len(store.history("o-1")) == 2
        await orchestrator.close()

    asyncio.run(scenario())


def test_a_job_fired_twice_changes_the_entity_once() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, store = setup()
        for trigger in ("submit", "ack", "cool"):
            await orchestrator.async_process_event("o-1", trigger)
        (job,) = await scheduler.pending(entity_id="o-1")
        assert job.event == "warm"
        first = await orchestrator.fire(job)
        second = await orchestrator.fire(job)
        assert first.target_state == "done"
        assert second.metadata.get("replayed") or second.metadata.get("reason") == "stale_timer"
        assert len(store.history("o-1")) == 4
        await orchestrator.close()

    asyncio.run(scenario())


def test_a_job_of_another_machine_is_refused() -> None:
    orchestrator, _, _ = setup()
    job = ScheduledJob("other", "1", "o-1", "x", time.time(), "pending")
    with pytest.raises(ValueError, match="other"):
        asyncio.run(orchestrator.fire(job))


def test_the_synchronous_api_is_refused_before_anything_is_stored() -> None:
    orchestrator, _, store = setup()
    with pytest.raises(RuntimeError, match="async_process_event"):
        orchestrator.process_event("o-1", "submit")
    assert store.load("o-1") is None


def test_the_synchronous_api_refuses_an_async_invoke_adapter() -> None:
    machine = StateMachine.from_yaml(TIMED)
    orchestrator = Orchestrator(machine, InMemoryStateStore(), invoke_adapter=RecordingAdapter())
    with pytest.raises(RuntimeError, match="adapter is async"):
        orchestrator.process_event("o-1", "submit")


def test_the_synchronous_api_calls_a_synchronous_invoke_adapter() -> None:
    class Adapter:
        def __init__(self) -> None:
            self.started: list[str] = []

        def start_services(
            self, entity_id: str, state_name: str, specs: Sequence[InvokeSpec], ctx: dict[str, Any]
        ) -> None:
            self.started.append(state_name)

        def stop_services(self, entity_id: str, state_name: str) -> None:
            self.started.remove(state_name)

    adapter = Adapter()
    machine = StateMachine.from_yaml(TIMED)
    orchestrator = Orchestrator(machine, InMemoryStateStore(), invoke_adapter=adapter)
    for trigger in ("submit", "ack", "enter"):
        orchestrator.process_event("o-1", trigger)
    assert adapter.started == ["session"]
    orchestrator.process_event("o-1", "leave")
    assert adapter.started == []


def test_close_cancels_pending_jobs() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, _ = setup()
        await orchestrator.async_process_event("o-1", "submit")
        await orchestrator.close()
        assert scheduler.pending_count == 0
        with pytest.raises(RuntimeError, match="closed"):
            await scheduler.schedule(
                ScheduledJob("timed_order", "1.0", "o-2", "e", time.time(), "pending")
            )

    asyncio.run(scenario())


class RecordingAdapter:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def start_services(
        self,
        entity_id: str,
        state_name: str,
        invoke_specs: Sequence[InvokeSpec],
        context: dict[str, Any],
    ) -> None:
        self.calls.append(("start", entity_id, state_name, tuple(s.id for s in invoke_specs)))

    def stop_services(self, entity_id: str, state_name: str) -> None:
        self.calls.append(("stop", entity_id, state_name))


def test_invoked_services_start_on_entry_and_stop_on_exit() -> None:
    async def scenario() -> None:
        adapter = RecordingAdapter()
        orchestrator, _, _ = setup(invoke_adapter=adapter)
        for trigger in ("submit", "ack", "enter", "pay"):
            await orchestrator.async_process_event("o-1", trigger)
        assert adapter.calls == [("start", "o-1", "session", ("heartbeat",))]
        await orchestrator.async_process_event("o-1", "leave")
        assert adapter.calls[-1] == ("stop", "o-1", "session")
        await orchestrator.close()

    asyncio.run(scenario())


def test_a_finished_service_sends_its_on_done_event() -> None:
    async def scenario() -> None:
        orchestrator, _, store = setup(invoke_adapter=NoOpInvokeAdapter())
        for trigger in ("submit", "ack", "enter"):
            await orchestrator.async_process_event("o-1", trigger)
        result = await orchestrator.service_done("o-1", "heartbeat")
        assert result is not None and result.trigger == "leave"
        assert state(store, "o-1") == "open"
        assert await orchestrator.service_done("o-1", "heartbeat") is None
        await orchestrator.close()

    asyncio.run(scenario())


def test_an_object_without_the_adapter_methods_is_refused() -> None:
    with pytest.raises(TypeError, match="invoke adapter"):
        setup(invoke_adapter=object())


def test_creating_an_entity_arms_the_timers_of_its_initial_state() -> None:
    async def scenario() -> None:
        scheduler = AsyncioScheduler()
        store = InMemoryStateStore()
        machine = StateMachine.from_yaml(TIMED.parent.parent.parent / "examples" / "order_fsm.yaml")
        orchestrator = Orchestrator(machine, store, scheduler=scheduler)
        record = await orchestrator.async_create_entity("ORD-1", {"order_qty": 5})
        assert (record.state, record.version) == ("PENDING_NEW", 1)
        (job,) = await scheduler.pending(entity_id="ORD-1")
        assert job.armed_in == "PENDING_NEW"
        assert [entry.trigger for entry in store.history("ORD-1")] == ["_create"]
        with pytest.raises(FSMError, match="already exists"):
            await orchestrator.async_create_entity("ORD-1")
        await orchestrator.close()

    asyncio.run(scenario())


def test_one_job_fired_twice_at_once_changes_the_entity_once(tmp_path: Any) -> None:
    from pystator import SQLiteStateStore

    async def scenario() -> None:
        store = SQLiteStateStore(f"sqlite:///{tmp_path / 'e.db'}").connect()
        scheduler = AsyncioScheduler()
        orchestrator = Orchestrator(StateMachine.from_yaml(TIMED), store, scheduler=scheduler)
        for trigger in ("submit", "ack", "cool"):
            await orchestrator.async_process_event("o-1", trigger)
        (job,) = await scheduler.pending(entity_id="o-1")
        first, second = await asyncio.gather(orchestrator.fire(job), orchestrator.fire(job))
        assert {first.target_state, second.target_state} == {"done"}
        assert [entry.trigger for entry in store.history("o-1")].count("warm") == 1
        await orchestrator.close()
        store.close()

    asyncio.run(scenario())


def test_a_job_from_an_earlier_entry_of_its_state_is_stale() -> None:
    async def scenario() -> None:
        orchestrator, scheduler, store = setup()
        await orchestrator.async_process_event("o-1", "submit")
        (old,) = await scheduler.pending(entity_id="o-1")
        await orchestrator.async_process_event("o-1", "refresh")  # leaves and re-enters
        result = await orchestrator.fire(old)
        assert result.metadata["reason"] == "stale_timer"
        assert state(store, "o-1") == "pending"
        (new,) = await scheduler.pending(entity_id="o-1")
        assert new.armed_version == 2
        await orchestrator.close()

    asyncio.run(scenario())


def test_a_scheduler_failure_after_the_commit_is_reported_and_the_event_stays_recorded() -> None:
    class Down(AsyncioScheduler):
        async def schedule(self, job: ScheduledJob) -> None:
            raise ConnectionError("scheduler unreachable")

    async def scenario() -> None:
        store = InMemoryStateStore()
        machine = StateMachine.from_yaml(TIMED)
        orchestrator = Orchestrator(machine, store, scheduler=Down())
        result = await orchestrator.async_process_event("o-1", "submit", idempotency_key="k")
        assert result.success and state(store, "o-1") == "pending"
        assert "scheduler unreachable" in result.metadata["after_commit_errors"][0]
        again = await orchestrator.async_process_event("o-1", "submit", idempotency_key="k")
        assert again.metadata.get("replayed") is True
        await orchestrator.close()

    asyncio.run(scenario())


def test_an_entity_of_another_machine_with_the_same_id_is_another_entity() -> None:
    orchestrator, scheduler, store = setup()
    from pystator.runtime.stores import EntityRecord

    theirs = EntityRecord("o-1", "open", {"owner": "them"}, 0, "someone_else")
    store.save(theirs, 0)

    async def scenario() -> None:
        result = await orchestrator.async_process_event("o-1", "submit")
        assert (result.source_state, result.target_state) == ("idle", "pending")
        (job,) = await scheduler.pending(entity_id="o-1")
        assert job.machine == orchestrator.machine.name
        await orchestrator.close()

    asyncio.run(scenario())
    assert store.load("o-1", machine_name="someone_else") == EntityRecord(
        "o-1", "open", {"owner": "them"}, 1, "someone_else"
    )
    assert [entry.trigger for entry in orchestrator.history("o-1")] == ["submit"]


def test_a_timer_armed_before_its_state_was_renamed_still_fires(tmp_path: Any) -> None:
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(
        TIMED.read_text()
        .replace("  - name: pending\n", "  - name: awaiting\n    renamed_from: [pending]\n")
        .replace("source: pending", "source: awaiting")
        .replace("dest: pending", "dest: awaiting")
    )

    async def scenario() -> None:
        store = InMemoryStateStore()
        old_scheduler = AsyncioScheduler()
        before = Orchestrator(StateMachine.from_yaml(TIMED), store, scheduler=old_scheduler)
        await before.async_process_event("o-1", "submit")
        (job,) = await old_scheduler.pending(entity_id="o-1")
        await before.close()
        after = Orchestrator(StateMachine.from_yaml(renamed), store)
        result = await after.fire(job)
        assert (result.source_state, result.target_state) == ("awaiting", "expired")

    asyncio.run(scenario())


def test_timers_of_one_id_in_two_machines_are_armed_and_cancelled_apart(tmp_path: Any) -> None:
    twin = tmp_path / "twin.yaml"
    twin.write_text(TIMED.read_text().replace("machine_name: timed_order", "machine_name: twin"))

    async def scenario() -> None:
        scheduler, store = AsyncioScheduler(), InMemoryStateStore()
        orders = Orchestrator(StateMachine.from_yaml(TIMED), store, scheduler=scheduler)
        twins = Orchestrator(StateMachine.from_yaml(twin), store, scheduler=scheduler)
        await orders.async_process_event("o-1", "submit")
        await twins.async_process_event("o-1", "submit")
        armed = await scheduler.pending(entity_id="o-1")
        assert sorted(job.machine for job in armed) == ["timed_order", "twin"]
        await orders.async_process_event("o-1", "ack")
        assert [job.machine for job in await scheduler.pending(entity_id="o-1")] == ["twin"]
        await asyncio.sleep(0.45)
        assert store.get_state("o-1", machine_name="timed_order") == "open"
        assert store.get_state("o-1", machine_name="twin") == "expired"
        assert [outcome.job.machine for outcome in twins.timer_log] == ["twin"]
        assert list(orders.timer_log) == []
        await scheduler.close()

    asyncio.run(scenario())


# A guarded self-loop without delay: the compiler cannot refuse it (the guard might turn
# false), so only the runtime's minimum delay keeps it from spinning.
SPINNING = {
    "meta": {"machine_name": "spinning"},
    "states": [{"name": "polling", "type": "initial"}],
    "transitions": [
        {"source": "polling", "dest": "polling", "after": 0, "guards": [{"expr": "True"}]}
    ],
}


def test_a_timer_is_armed_no_sooner_than_the_minimum_delay() -> None:
    async def scenario() -> None:
        scheduler = AsyncioScheduler()
        orchestrator = Orchestrator(
            StateMachine.from_dict(SPINNING), InMemoryStateStore(), scheduler=scheduler
        )
        armed_at = time.time()
        await orchestrator.async_create_entity("p-1")
        (job,) = await scheduler.pending(entity_id="p-1")
        assert job.due_at >= armed_at + MIN_DELAY_MS / 1000
        await orchestrator.close()

    asyncio.run(scenario())


def test_a_delayed_self_loop_fires_at_most_once_per_minimum_delay() -> None:
    window = 0.3
    firings = 0

    async def scenario() -> None:
        nonlocal firings
        scheduler = AsyncioScheduler()
        orchestrator = Orchestrator(
            StateMachine.from_dict(SPINNING), InMemoryStateStore(), scheduler=scheduler
        )

        async def counting(job: ScheduledJob) -> object:
            nonlocal firings
            firings += 1
            return await orchestrator.fire(job)

        scheduler.register("spinning", counting)
        await orchestrator.async_create_entity("p-1")
        await asyncio.sleep(window)
        await orchestrator.close()

    asyncio.run(scenario())
    assert 0 < firings <= window / (MIN_DELAY_MS / 1000) + 1


def test_a_state_re_entered_through_an_eventless_transition_restarts_its_timer() -> None:
    async def scenario() -> None:
        scheduler = AsyncioScheduler()
        store = InMemoryStateStore()
        machine = StateMachine.from_yaml(REENTRY)
        orchestrator = Orchestrator(machine, store, scheduler=scheduler)
        await orchestrator.async_process_event("o-1", "submit")
        (first,) = await scheduler.pending(entity_id="o-1")
        result = await orchestrator.async_process_event("o-1", "poke")
        assert result.exited_states == ("waiting", "checking")
        assert result.entered_states == ("checking", "waiting")
        record = store.load("o-1")
        assert record is not None and record.state == "waiting"
        (job,) = await scheduler.pending(entity_id="o-1")
        assert job.armed_in == "waiting"
        assert job.armed_version == record.version != first.armed_version
        assert record.timers == {"waiting": record.version}
        await orchestrator.close()

    asyncio.run(scenario())
