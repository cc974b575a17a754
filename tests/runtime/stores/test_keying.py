"""Entities belong to a machine: in every store, two machines sharing it with the same
entity id never see each other's state, context, history or idempotency records."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystator import (
    AmbiguousEntityError,
    ConfigurationError,
    InMemoryStateStore,
    InvalidIdentifierError,
    Orchestrator,
    StateMachine,
)
from pystator.runtime.errors import DuplicateEventError
from pystator.runtime.ids import check_entity_id, check_idempotency_key, check_machine_name
from pystator.runtime.stores import EntityRecord
from tests.runtime.stores.strategies import triples

FLIP: dict[str, Any] = {
    "meta": {"machine_name": "flip"},
    "states": [
        {"name": "A", "type": "initial", "on_enter": [{"increment": "n"}]},
        {"name": "B", "on_enter": [{"increment": "n"}]},
    ],
    "transitions": [
        {"trigger": "flip", "source": "A", "dest": "B"},
        {"trigger": "flip", "source": "B", "dest": "A"},
    ],
}

# Another machine with the same entity ids in mind, whose triggers FLIP does not have.
GATE: dict[str, Any] = {
    "meta": {"machine_name": "gate"},
    "states": [{"name": "shut", "type": "initial"}, {"name": "open"}],
    "transitions": [
        {"trigger": "push", "source": "shut", "dest": "open"},
        {"trigger": "pull", "source": "open", "dest": "shut"},
    ],
}


def test_two_machines_sharing_a_store_never_see_each_others_entities(any_store: Any) -> None:
    flips = Orchestrator(StateMachine.from_dict(FLIP), any_store)
    gates = Orchestrator(StateMachine.from_dict(GATE), any_store)
    flips.process_event("e-1", "flip", {"who": "flip"}, idempotency_key="k")
    pushed = gates.process_event("e-1", "push", {"who": "gate"}, idempotency_key="k")
    assert "replayed" not in pushed.metadata, "the other machine's key must not answer"
    assert pushed.target_state == "open"
    flip = any_store.load("e-1", machine_name="flip")
    gate = any_store.load("e-1", machine_name="gate")
    assert (flip.state, dict(flip.context), flip.version) == ("B", {"who": "flip", "n": 2}, 1)
    assert (gate.state, dict(gate.context), gate.version) == ("open", {"who": "gate"}, 1)
    assert [row.trigger for row in flips.history("e-1")] == ["flip"]
    assert [row.trigger for row in gates.history("e-1")] == ["push"]
    assert any_store.machines_of("e-1") == ("flip", "gate")
    refused = gates.process_event("e-1", "flip")
    assert not refused.success and any_store.load("e-1", machine_name="flip").state == "B"


def test_an_id_used_by_several_machines_must_be_named_with_its_machine(any_store: Any) -> None:
    any_store.set_state("e-1", "A", machine_name="flip")
    assert any_store.get_state("e-1") == "A", "one machine: the id alone finds it"
    any_store.set_state("e-1", "shut", metadata={"machine_name": "gate"})
    with pytest.raises(AmbiguousEntityError, match="'flip', 'gate'"):
        any_store.get_state("e-1")
    with pytest.raises(AmbiguousEntityError):
        any_store.history("e-1")
    assert any_store.get_state("e-1", machine_name="gate") == "shut"


def test_the_documents_protocol_reads_the_stores_own_machine() -> None:
    store = InMemoryStateStore(machine_name="gate")
    store.set_state("e-1", "open", metadata={"context": {"x": 1}})
    assert store.load("e-1", machine_name="gate").machine_name == "gate"  # type: ignore[union-attr]
    assert store.get_state("e-1", machine_name="flip") is None
    assert (store.get_state("e-1"), store.get_context("e-1")) == ("open", {"x": 1})


def test_set_state_refuses_two_different_machines() -> None:
    from pystator import FSMError

    with pytest.raises(FSMError, match="names two machines"):
        InMemoryStateStore().set_state(
            "e-1", "A", metadata={"machine_name": "flip"}, machine_name="gate"
        )


def test_an_orchestrator_refuses_a_store_scoped_to_another_machine() -> None:
    with pytest.raises(ConfigurationError, match="scoped to machine 'gate'"):
        Orchestrator(StateMachine.from_dict(FLIP), InMemoryStateStore(machine_name="gate"))


def test_an_orchestrator_refuses_a_store_without_the_versioned_protocol_naming_what_it_lacks() -> (
    None
):
    class Unkeyed:
        def load(self, entity_id: str) -> EntityRecord | None: ...

        def save(self, record: EntityRecord, expected_version: int) -> int: ...

        def history(self, entity_id: str) -> list[Any]: ...

    with pytest.raises(TypeError, match=r"Unkeyed is not a state store: .* lacks recall\(\)"):
        Orchestrator(StateMachine.from_dict(FLIP), Unkeyed())  # type: ignore[arg-type]


def _valid(check: Any, value: str) -> bool:
    try:
        check(value)
    except InvalidIdentifierError:
        return False
    return True


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(triples=triples, atomic=st.booleans())
def test_idempotency_outcomes_are_never_shared_between_two_triples(
    any_store: Any, triples: list[tuple[str, str, str]], atomic: bool
) -> None:
    any_store.truncate()
    stored: dict[tuple[str, str, str], int] = {}
    for number, (machine, entity, key) in enumerate(triples):
        if not (
            _valid(check_machine_name, machine)
            and _valid(check_entity_id, entity)
            and _valid(check_idempotency_key, key)
        ):
            with pytest.raises(InvalidIdentifierError):
                any_store.remember(machine, entity, key, {"n": number})
            continue
        if atomic:
            current = any_store.load(entity, machine_name=machine)
            version = current.version if current else 0
            record = EntityRecord(entity, "A", {}, version, machine)
            try:
                any_store.save(record, version, outcome=(key, {"n": number}))
            except DuplicateEventError:
                assert (machine, entity, key) in stored, "refused as a duplicate of another"
                continue
        else:
            any_store.remember(machine, entity, key, {"n": number})
        stored.setdefault((machine, entity, key), number)
    # Every mix of the stored parts: only the stored triples themselves have an outcome.
    parts = [sorted({triple[index] for triple in stored}) for index in range(3)]
    for triple in itertools.product(*parts):
        found = any_store.recall(*triple)
        assert (found["n"] if found else None) == stored.get(triple), triple
    for machine, entity, key in stored:
        if len(key) < 200:
            assert any_store.recall(machine, entity, key + "\x1f") is None


def test_load_event_reads_the_entity_with_the_outcome_of_its_key(any_store: Any) -> None:
    runner = Orchestrator(StateMachine.from_dict(FLIP), any_store)
    runner.process_event("e-1", "flip", idempotency_key="k-1")
    record, seen = any_store.load_event("e-1", "k-1", machine_name="flip")
    assert record == any_store.load("e-1", machine_name="flip")
    assert seen == any_store.recall("flip", "e-1", "k-1") and seen is not None


def test_load_event_of_an_unseen_key_or_entity_finds_no_outcome(any_store: Any) -> None:
    Orchestrator(StateMachine.from_dict(FLIP), any_store).process_event("e-1", "flip")
    record, seen = any_store.load_event("e-1", "k-2", machine_name="flip")
    assert record is not None and record.state == "B" and seen is None
    assert any_store.load_event("e-9", "k-2", machine_name="flip") == (None, None)
