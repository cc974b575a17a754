"""The commit planner: an entity as loaded plus the engine's decision give one write set."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pystator import EntitySession, StateMachine
from pystator.runtime.orchestrator import Entity, Landing, WriteSet, plan
from pystator.runtime.orchestrator.plan import active_in
from pystator.runtime.results import TransitionResult
from pystator.runtime.stores import EntityRecord
from tests.runtime.scheduler.support import TIMED

Machine = StateMachine[str, str, dict[str, Any]]
TIMED_MACHINE: Machine = StateMachine.from_yaml(TIMED)
STAMP = "2026-12-01T12:00:00+00:00"


def planned(
    machine: Machine,
    entity: Entity,
    session: EntitySession[Any, Any, Any],
    result: TransitionResult,
    key: str | None = None,
) -> WriteSet:
    """The write set of `result` at clock 100.0, its row stamped STAMP."""
    landed = Landing.of(session)
    return plan(machine, entity, landed, result, key=key, duration_ms=2.5, stamp=STAMP, now=100.0)


def step(
    machine: Machine, record: EntityRecord, trigger: str, key: str | None = None
) -> tuple[TransitionResult, WriteSet]:
    """Decide `trigger` for the stored `record` and plan its commit."""
    session = EntitySession.from_snapshot(machine, record.snapshot())
    entity = Entity(record.entity_id, record, record.state, active_in(machine, record))
    result = session.send(trigger)
    return result, planned(machine, entity, session, result, key)


def created(machine: Machine, entity_id: str = "o-1") -> EntityRecord:
    """A new entity as its creation stores it."""
    session = machine.create()
    result = TransitionResult.success_result("", session.current_state, "_create")
    write = planned(machine, Entity(entity_id, None, "", ()), session, result)
    return replace(write.record, version=write.version)


def test_a_decision_becomes_the_record_its_history_row_and_its_idempotency_record() -> None:
    record = replace(created(TIMED_MACHINE), version=3)
    result, write = step(TIMED_MACHINE, record, "submit", key="msg-1")
    assert (write.record.state, write.expected_version, write.version) == ("pending", 3, 4)
    assert write.record.machine_name == "timed_order"
    assert write.record.fingerprint == TIMED_MACHINE.spec.fingerprint
    entry = write.entry
    assert (entry.source_state, entry.target_state, entry.trigger) == ("idle", "pending", "submit")
    assert (entry.success, entry.error, entry.timestamp, entry.duration_ms) == (
        True,
        None,
        STAMP,
        2.5,
    )
    assert write.outcome == (
        "msg-1",
        {
            "success": True,
            "source_state": "idle",
            "target_state": "pending",
            "trigger": "submit",
            "metadata": {},
        },
    )
    assert result.target_state == write.record.state


def test_an_event_without_a_key_plans_no_idempotency_record() -> None:
    _, write = step(TIMED_MACHINE, created(TIMED_MACHINE), "submit")
    assert write.outcome is None


def test_entering_a_timed_state_arms_its_timer_due_from_the_given_clock() -> None:
    _, write = step(TIMED_MACHINE, created(TIMED_MACHINE), "submit")
    (job,) = write.arm
    assert (job.armed_in, job.armed_version, job.entity_id) == ("pending", 2, "o-1")
    assert job.due_at == 100.0 + 0.3
    assert write.record.timers == {"pending": 2}
    assert write.cancel == ()


def test_leaving_a_timed_state_cancels_its_timer_and_forgets_its_entry() -> None:
    _, submitted = step(TIMED_MACHINE, created(TIMED_MACHINE), "submit")
    pending = replace(submitted.record, version=submitted.version)
    _, write = step(TIMED_MACHINE, pending, "ack")
    assert write.cancel == ("pending",)
    assert write.arm == ()
    assert write.record.timers == {}


def test_the_state_whose_only_timer_fired_is_not_cancelled_again() -> None:
    _, submitted = step(TIMED_MACHINE, created(TIMED_MACHINE), "submit")
    pending = replace(submitted.record, version=submitted.version)
    (timer,) = TIMED_MACHINE.spec.timers["pending"]
    session = EntitySession.from_snapshot(TIMED_MACHINE, pending.snapshot())
    entity = Entity(pending.entity_id, pending, "pending", active_in(TIMED_MACHINE, pending))
    result = session.send(timer.event)
    landed = Landing.of(session)
    write = plan(
        TIMED_MACHINE,
        entity,
        landed,
        result,
        key=None,
        duration_ms=0.0,
        stamp=STAMP,
        now=1.0,
        fired="pending",
    )
    assert result.target_state == "expired"
    assert write.cancel == ()
    assert write.record.timers == {}


def test_an_external_self_transition_cancels_and_rearms_its_state_s_timer() -> None:
    _, submitted = step(TIMED_MACHINE, created(TIMED_MACHINE), "submit")
    pending = replace(submitted.record, version=submitted.version)
    _, write = step(TIMED_MACHINE, pending, "refresh")
    assert write.cancel == ("pending",)
    assert [(job.armed_in, job.armed_version) for job in write.arm] == [("pending", 3)]
    assert write.record.timers == {"pending": 3}


def test_entering_a_state_with_services_starts_them_and_leaving_it_stops_them() -> None:
    record = created(TIMED_MACHINE)
    for trigger in ("submit", "ack"):
        _, write = step(TIMED_MACHINE, record, trigger)
        record = replace(write.record, version=write.version)
    _, entered = step(TIMED_MACHINE, record, "enter")
    assert [(name, [s.id for s in services]) for name, services in entered.start] == [
        ("session", ["heartbeat"])
    ]
    inside = replace(entered.record, version=entered.version)
    _, left = step(TIMED_MACHINE, inside, "leave")
    assert left.stop == ("session",) and left.start == ()


def test_a_creation_enters_the_initial_state_from_nothing() -> None:
    record = created(TIMED_MACHINE)
    assert (record.state, record.version, record.timers) == ("idle", 1, {})


TRIGGERS = ("submit", "ack", "refresh", "enter", "pay", "back", "leave", "wait", "cool")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(TRIGGERS), max_size=12))
def test_the_timer_entries_name_exactly_the_active_timed_states(triggers: list[str]) -> None:
    spec = TIMED_MACHINE.spec
    record = created(TIMED_MACHINE)
    for trigger in triggers:
        result, write = step(TIMED_MACHINE, record, trigger)
        if not result.success:
            continue
        active = active_in(TIMED_MACHINE, write.record)
        assert set(write.record.timers) == {name for name in active if name in spec.timers}
        for job in write.arm:
            assert write.record.timers[job.armed_in] == write.version
        record = replace(write.record, version=write.version)
