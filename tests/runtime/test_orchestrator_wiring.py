"""What an Orchestrator is built from: a store checked against the versioned protocol, a
minimal store adapted last-writer-wins, and registries layered over the machine's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pystator import (
    ActionRegistry,
    ConfigurationError,
    GuardRegistry,
    InMemoryStateStore,
    Orchestrator,
    StateMachine,
)
from pystator.runtime.orchestrator import LastWriterWinsWarning, StateStoreAdapter
from pystator.runtime.stores import EntityRecord

Machine = StateMachine[str, str, dict[str, Any]]

GATED: dict[str, Any] = {
    "meta": {"machine_name": "gate"},
    "states": [
        {"name": "A", "type": "initial"},
        {"name": "B", "on_enter": ["opened"]},
    ],
    "transitions": [
        {"trigger": "go", "source": "A", "dest": "B", "guards": ["ready", "allowed"]},
        {"trigger": "back", "source": "B", "dest": "A"},
    ],
}


class DictStore:
    """A user's store of the documents' minimal protocol: state and context, no versions."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}
        self.contexts: dict[str, dict[str, Any]] = {}

    def get_state(self, entity_id: str) -> str | None:
        return self.states.get(entity_id)

    def set_state(
        self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
    ) -> None:
        self.states[entity_id] = state
        self.contexts[entity_id] = dict((metadata or {}).get("context", {}))

    def get_context(self, entity_id: str) -> dict[str, Any]:
        return dict(self.contexts.get(entity_id, {}))


class AsyncDictStore:
    """The same, implementing only the documents' AsyncStateStore."""

    def __init__(self) -> None:
        self.inner = DictStore()

    async def aget_state(self, entity_id: str) -> str | None:
        return self.inner.get_state(entity_id)

    async def aset_state(
        self, entity_id: str, state: str, *, metadata: dict[str, Any] | None = None
    ) -> None:
        self.inner.set_state(entity_id, state, metadata=metadata)

    async def aget_context(self, entity_id: str) -> dict[str, Any]:
        return self.inner.get_context(entity_id)


def flip() -> Machine:
    return StateMachine.from_dict(
        {
            "meta": {"machine_name": "flip"},
            "states": [{"name": "A", "type": "initial"}, {"name": "B"}],
            "transitions": [
                {"trigger": "flip", "source": "A", "dest": "B"},
                {"trigger": "flip", "source": "B", "dest": "A"},
            ],
        }
    )


def adapted(store: Any) -> StateStoreAdapter:
    with pytest.warns(LastWriterWinsWarning):
        return StateStoreAdapter(store)


# -- the store protocol ------------------------------------------------------------------


def test_an_object_that_is_no_store_is_refused_naming_what_it_lacks() -> None:
    with pytest.raises(TypeError) as caught:
        Orchestrator(flip(), object())  # type: ignore[arg-type]
    assert str(caught.value).startswith("object is not a state store")
    assert "lacks load(), save(), history(), recall()" in str(caught.value)


def test_a_minimal_store_is_adapted_with_a_warning_that_the_last_writer_wins() -> None:
    with pytest.warns(LastWriterWinsWarning, match="last-writer-wins instead of compare-and-set"):
        runner = Orchestrator(flip(), DictStore())  # type: ignore[arg-type]
    assert isinstance(runner.store, StateStoreAdapter)


def test_the_adapter_documents_that_the_last_writer_wins() -> None:
    assert "Last writer wins" in (StateStoreAdapter.__doc__ or "")


def test_a_versioned_store_is_used_as_it_is_without_a_warning(
    recwarn: pytest.WarningsRecorder,
) -> None:
    store = InMemoryStateStore()
    assert Orchestrator(flip(), store).store is store
    assert not [w for w in recwarn if issubclass(w.category, LastWriterWinsWarning)]


# -- the last-writer-wins adapter --------------------------------------------------------


def test_events_through_the_adapter_keep_state_and_context_in_the_user_s_store() -> None:
    user = DictStore()
    runner = Orchestrator(flip(), adapted(user))
    runner.process_event("e-1", "flip", {"by": "ann"})
    assert user.states == {"e-1": "B"} and user.contexts == {"e-1": {"by": "ann"}}
    assert [row.target_state for row in runner.history("e-1")] == ["B"]


def test_two_writes_from_the_same_read_both_succeed_and_the_later_one_wins() -> None:
    user = DictStore()
    store = adapted(user)
    store.save(EntityRecord("e-1", "A", machine_name="flip"), 0)
    read = store.load("e-1", machine_name="flip")
    assert read is not None
    store.save(EntityRecord("e-1", "B", {"by": "first"}, machine_name="flip"), read.version)
    store.save(EntityRecord("e-1", "A", {"by": "second"}, machine_name="flip"), read.version)
    assert (user.states["e-1"], user.contexts["e-1"]) == ("A", {"by": "second"})


def test_a_redelivered_event_through_the_adapter_is_replayed_not_applied_again() -> None:
    runner = Orchestrator(flip(), adapted(DictStore()))
    runner.process_event("e-1", "flip", idempotency_key="msg-1")
    again = runner.process_event("e-1", "flip", idempotency_key="msg-1")
    assert again.metadata["replayed"] is True and again.target_state == "B"
    assert len(runner.history("e-1")) == 1


def test_an_async_only_store_serves_the_async_entry_points() -> None:
    user = AsyncDictStore()
    runner = Orchestrator(flip(), adapted(user))
    result = asyncio.run(runner.async_process_event("e-1", "flip"))
    assert result.target_state == "B" and user.inner.states == {"e-1": "B"}


def test_an_async_only_store_refuses_the_sync_entry_points_saying_what_to_call() -> None:
    runner = Orchestrator(flip(), adapted(AsyncDictStore()))
    with pytest.raises(ConfigurationError, match="use the Orchestrator's async methods"):
        runner.process_event("e-1", "flip")


# -- registries layered over the machine's -----------------------------------------------


def gated(**bound: Any) -> Machine:
    machine = StateMachine.from_dict(GATED)
    for name, fn in bound.items():
        machine.guard(name)(fn)
    return machine


def guards(**named: Any) -> GuardRegistry:
    registry = GuardRegistry()
    for name, fn in named.items():
        registry.register(name, fn)
    return registry


def test_orchestrator_guards_leave_the_shared_machine_unchanged() -> None:
    machine = gated(ready=lambda ctx: True)
    before = machine.guard_registry
    Orchestrator(machine, InMemoryStateStore(), guards=guards(allowed=lambda ctx: True))
    assert machine.guard_registry is before
    assert "allowed" not in machine.guard_registry


def test_a_guard_bound_on_the_machine_runs_beside_the_orchestrator_s_guards() -> None:
    machine = gated(ready=lambda ctx: True)
    runner = Orchestrator(machine, InMemoryStateStore(), guards=guards(allowed=lambda ctx: True))
    assert runner.process_event("e-1", "go").target_state == "B"


def test_a_guard_bound_on_the_machine_later_is_still_found() -> None:
    machine = gated()
    runner = Orchestrator(machine, InMemoryStateStore(), guards=guards(allowed=lambda ctx: True))
    machine.guard("ready")(lambda ctx: True)
    assert runner.process_event("e-1", "go").success


def test_the_orchestrator_s_guard_wins_over_the_machine_s_of_the_same_name() -> None:
    machine = gated(ready=lambda ctx: True, allowed=lambda ctx: True)
    runner = Orchestrator(machine, InMemoryStateStore(), guards=guards(allowed=lambda ctx: False))
    assert runner.process_event("e-1", "go").metadata["reason"] == "guard_rejected"
    assert machine.process("A", "go").target_state == "B"


def test_a_machine_action_runs_beside_the_orchestrator_s_actions() -> None:
    ran: list[str] = []
    machine = gated(ready=lambda ctx: True, allowed=lambda ctx: True)
    machine.action("opened")(lambda ctx: ran.append("machine"))
    runner = Orchestrator(machine, InMemoryStateStore(), actions=ActionRegistry())
    result = runner.process_event("e-1", "go")
    assert ran == ["machine"] and "action_errors" not in result.metadata


def test_registries_of_the_wrong_kind_are_type_errors() -> None:
    with pytest.raises(TypeError, match="guards must be a GuardRegistry"):
        Orchestrator(flip(), InMemoryStateStore(), guards=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="actions must be an ActionRegistry"):
        Orchestrator(flip(), InMemoryStateStore(), actions=object())  # type: ignore[arg-type]
