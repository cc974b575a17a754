"""The Orchestrator: load -> decide -> commit -> act, versions, idempotency, error policy."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from pystator import (
    ActionRegistry,
    AsyncioScheduler,
    EntitySession,
    FSMError,
    GuardRegistry,
    InMemoryStateStore,
    Orchestrator,
    StateMachine,
    TransitionObserver,
    UndefinedStateError,
)
from pystator.runtime.stores import EntityRecord, HistoryEntry
from tests.conftest import EXAMPLES

Machine = StateMachine[str, str, dict[str, Any]]

ORDER = """
meta: {machine_name: order}
states:
  - {name: PENDING, type: initial}
  - {name: OPEN, on_enter: [{set: {status: open}}]}
  - {name: FILLED, type: terminal}
  - {name: ERROR, type: error}
transitions:
  - {trigger: ack, source: PENDING, dest: OPEN, actions: [notify]}
  - {trigger: fill, source: OPEN, dest: FILLED, guards: [{expr: "qty >= 10"}]}
error_policy: {default_fallback: ERROR, retry_attempts: 2}
"""


@pytest.fixture
def machine(machine_from: Callable[[str], Machine]) -> Machine:
    return machine_from(ORDER)


def orchestrator(
    machine: Machine, store: Any = None, ran: list[str] | None = None, **kwargs: Any
) -> Orchestrator:
    actions = ActionRegistry()
    actions.register("notify", lambda ctx: (ran if ran is not None else []).append("notify"))
    return Orchestrator(
        machine,
        store if store is not None else InMemoryStateStore(),
        actions=actions,
        retry_base_delay=0.0,
        **kwargs,
    )


def test_events_are_persisted_with_context_and_history(machine: Machine) -> None:
    store = InMemoryStateStore()
    runner = orchestrator(machine, store)
    assert runner.process_event("o-1", "ack", {"qty": 3}).target_state == "OPEN"
    assert store.get_state("o-1") == "OPEN"
    assert store.get_context("o-1") == {"qty": 3, "status": "open"}
    assert runner.process_event("o-1", "fill", {"qty": 12}).target_state == "FILLED"
    rows = runner.history("o-1")
    assert [(r.source_state, r.target_state, r.trigger, r.actions) for r in rows] == [
        ("PENDING", "OPEN", "ack", ("notify", "_effect.set")),
        ("OPEN", "FILLED", "fill", ()),
    ]
    assert store.load("o-1") is not None and store.load("o-1").version == 2  # type: ignore[union-attr]


def test_refused_events_write_nothing(machine: Machine) -> None:
    store = InMemoryStateStore()
    runner = orchestrator(machine, store)
    runner.process_event("o-1", "ack")
    result = runner.process_event("o-1", "fill", {"qty": 1})
    assert not result.success and result.metadata["reason"] == "guard_rejected"
    assert store.load("o-1").version == 1  # type: ignore[union-attr]
    assert "qty" not in store.get_context("o-1")


def test_actions_run_only_after_the_commit(machine: Machine) -> None:
    store = InMemoryStateStore()
    seen: list[str | None] = []
    actions = ActionRegistry()
    actions.register("notify", lambda ctx: seen.append(store.get_state("o-1")))
    Orchestrator(machine, store, actions=actions).process_event("o-1", "ack")
    assert seen == ["OPEN"]


def test_a_lost_race_is_retried_from_a_fresh_load(machine: Machine) -> None:
    class Racing(InMemoryStateStore):
        raced = False

        def save(
            self, record: EntityRecord, expected: int, entry: HistoryEntry | None = None
        ) -> int:
            if not self.raced:
                # Another replica commits first; this write must then fail and be redone.
                self.raced = True
                other = EntityRecord("o-1", "PENDING", {"by": "other"}, machine_name="order")
                super().save(other, expected)
            return super().save(record, expected, entry)

    store = Racing()
    ran: list[str] = []
    result = orchestrator(machine, store, ran).process_event("o-1", "ack")
    assert result.target_state == "OPEN"
    assert store.get_context("o-1")["by"] == "other"
    assert ran == ["notify"]


def test_a_redelivered_event_is_a_no_op_returning_the_first_result(machine: Machine) -> None:
    ran: list[str] = []
    runner = orchestrator(machine, InMemoryStateStore(), ran)
    first = runner.process_event("o-1", "ack", idempotency_key="msg-1")
    again = runner.process_event("o-1", "ack", idempotency_key="msg-1")
    assert (again.success, again.target_state) == (first.success, first.target_state)
    assert again.metadata["replayed"] is True
    assert ran == ["notify"]


def test_unknown_entity_without_initial_state_is_an_error(machine: Machine) -> None:
    runner = orchestrator(machine, use_initial_state_when_missing=False)
    with pytest.raises(FSMError, match="'o-9' is not in the store"):
        runner.process_event("o-9", "ack")


def test_stored_state_the_machine_lacks_is_an_error_naming_it(machine: Machine) -> None:
    store = InMemoryStateStore()
    store.save(EntityRecord("o-1", "RETIRED", {}, machine_name="order"), 0)
    with pytest.raises(UndefinedStateError, match="RETIRED"):
        orchestrator(machine, store).process_event("o-1", "ack")


def test_a_stored_entity_is_restored_from_its_record_not_from_a_snapshot_dict(
    machine: Machine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any) -> Any:
        raise AssertionError("the record went through a snapshot dict")

    monkeypatch.setattr(EntitySession, "from_snapshot", classmethod(refuse))
    monkeypatch.setattr(EntityRecord, "snapshot", refuse)
    store = InMemoryStateStore()
    store.save(EntityRecord("o-1", "OPEN", {"qty": 12}, machine_name="order"), 0)
    store.save(EntityRecord("o-1", "OPEN", {"qty": 12}, machine_name="order"), 1)
    result = orchestrator(machine, store).process_event("o-1", "fill")
    assert (result.source_state, result.target_state) == ("OPEN", "FILLED")
    stored = store.load("o-1")
    assert stored is not None and (stored.state, stored.version) == ("FILLED", 3)
    assert stored.context == {"qty": 12}


def test_context_that_is_not_json_is_refused_and_nothing_written(machine: Machine) -> None:
    store = InMemoryStateStore()
    with pytest.raises(FSMError, match="JSON"):
        orchestrator(machine, store).process_event("o-1", "ack", {"when": object()})
    assert store.load("o-1") is None


def test_context_validator_runs_before_guards(machine: Machine) -> None:
    calls: list[tuple[str, str, str]] = []

    def validator(
        entity: str, state: str, trigger: str, ctx: dict[str, Any]
    ) -> tuple[bool, list[str]]:
        calls.append((entity, state, trigger))
        return ("qty" in ctx, ["qty is required"])

    store = InMemoryStateStore()
    result = orchestrator(machine, store, context_validator=validator).process_event("o-1", "ack")
    assert result.metadata["reason"] == "context_validation"
    assert result.metadata["errors"] == ["qty is required"]
    assert calls == [("o-1", "PENDING", "ack")] and store.load("o-1") is None


def test_unexpected_failures_are_retried_then_sent_to_the_fallback(machine: Machine) -> None:
    class Flaky(InMemoryStateStore):
        failures = 0

        def save(
            self, record: EntityRecord, expected: int, entry: HistoryEntry | None = None
        ) -> int:
            if record.state != "ERROR" and self.failures < self.limit:
                self.failures += 1
                raise ConnectionError("database went away")
            return super().save(record, expected, entry)

    recovering = Flaky()
    recovering.limit = 2  # type: ignore[attr-defined]
    assert orchestrator(machine, recovering).process_event("o-1", "ack").target_state == "OPEN"
    broken = Flaky()
    broken.limit = 99  # type: ignore[attr-defined]
    result = orchestrator(machine, broken).process_event("o-2", "ack")
    assert not result.success
    assert result.metadata == {"reason": "error_fallback", "fallback_state": "ERROR"}
    assert broken.get_state("o-2") == "ERROR"
    assert "database went away" in broken.get_context("o-2")["_error"]
    assert broken.failures == 3  # the first try and two retries
    assert broken.history("o-2")[0].error is not None


def test_async_process_event_awaits_async_guards(machine: Machine) -> None:
    async def ready(ctx: dict[str, Any]) -> bool:
        return True

    machine_with_guard = StateMachine.from_dict(
        {
            "states": [{"name": "A", "type": "initial"}, {"name": "B", "type": "terminal"}],
            "transitions": [{"trigger": "go", "source": "A", "dest": "B", "guards": ["ready"]}],
        }
    )
    guards = GuardRegistry()
    guards.register("ready", ready)
    store = InMemoryStateStore()
    runner = Orchestrator(machine_with_guard, store, guards=guards)
    assert asyncio.run(runner.async_process_event("e", "go")).target_state == "B"
    assert store.get_state("e") == "B"


def test_observer_sees_before_process_and_the_transition(machine: Machine) -> None:
    from pystator import MetricsCollector

    calls: list[str] = []

    class Spy(MetricsCollector):
        def on_before_process(self, entity_id: str, *args: Any) -> None:
            calls.append(entity_id)

    spy = Spy()
    orchestrator(machine, observer=TransitionObserver([spy])).process_event("o-1", "ack")
    assert calls == ["o-1"]
    assert spy.get_summary()["total_transitions"] == 1


def test_close_stops_the_scheduler(machine: Machine) -> None:
    class Recording(AsyncioScheduler):
        closed = False

        async def close(self) -> None:
            self.closed = True
            await super().close()

    scheduler = Recording()
    asyncio.run(orchestrator(machine, scheduler=scheduler).close())
    assert scheduler.closed


def test_an_object_that_is_not_a_scheduler_is_refused(machine: Machine) -> None:
    with pytest.raises(TypeError, match="not a scheduler"):
        orchestrator(machine, scheduler=object())  # type: ignore[arg-type]


def test_parallel_and_history_state_round_trip_through_the_store() -> None:
    machine = StateMachine.from_yaml(EXAMPLES / "day_trading_fsm.yaml")
    store = InMemoryStateStore()
    runner = Orchestrator(machine, store)
    runner.process_event("d-1", "market_open")
    runner.process_event("d-1", "risk_warning")
    assert store.load("d-1").parallel == (  # type: ignore[union-attr]
        "active:trading=scanning,risk_monitor=elevated,data_feed=connecting"
    )
    assert runner.process_event("d-1", "feed_up").success
    assert "data_feed=connected" in store.load("d-1").parallel  # type: ignore[union-attr,operator]


def test_bad_arguments_are_type_errors(machine: Machine) -> None:
    runner = orchestrator(machine)
    with pytest.raises(TypeError, match="entity_id"):
        runner.process_event(None, "ack")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="context"):
        runner.process_event("o", "ack", [1])  # type: ignore[arg-type]
