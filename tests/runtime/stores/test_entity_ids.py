"""One entity id rule for every store: an accepted id round-trips through each of them, a
refused one is stopped before any store primitive runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystator import InvalidIdentifierError, Orchestrator, StateMachine
from pystator.runtime.ids import entity_id_problem
from pystator.runtime.stores import EntityRecord
from tests.runtime.stores.strategies import identifiers
from tests.runtime.stores.test_keying import FLIP

PRIMITIVES = ("_fetch", "_save", "_history", "_recall", "_remember", "machines_of")


@contextmanager
def spied(store: Any) -> Iterator[list[str]]:
    """The names of the store primitives called inside the block."""
    calls: list[str] = []

    def wrap(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def spy(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return method(*args, **kwargs)

        return spy

    for name in PRIMITIVES:
        setattr(store, name, wrap(name, getattr(store, name)))
    try:
        yield calls
    finally:
        for name in PRIMITIVES:
            delattr(store, name)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entity_id=st.one_of(identifiers, st.text(max_size=12)))
def test_an_accepted_id_round_trips_and_a_refused_one_reaches_no_store(
    any_store: Any, entity_id: str
) -> None:
    any_store.truncate()
    runner = Orchestrator(StateMachine.from_dict(FLIP), any_store)
    if entity_id_problem(entity_id) is None:
        runner.process_event(entity_id, "flip", idempotency_key="k")
        record = any_store.load(entity_id, machine_name="flip")
        assert record is not None and (record.entity_id, record.state) == (entity_id, "B")
        assert [row.entity_id for row in runner.history(entity_id)] == [entity_id]
        assert any_store.machines_of(entity_id) == ("flip",)
        assert runner.process_event(entity_id, "flip", idempotency_key="k").metadata["replayed"]
        return
    attempts: list[Callable[[], object]] = [
        lambda: runner.process_event(entity_id, "flip"),
        lambda: runner.create_entity(entity_id),
        lambda: runner.history(entity_id),
        lambda: any_store.set_state(entity_id, "A"),
        lambda: any_store.get_state(entity_id),
        lambda: any_store.save(EntityRecord(entity_id, "A", machine_name="flip"), 0),
        lambda: any_store.recall("flip", entity_id, "k"),
    ]
    with spied(any_store) as calls:
        for attempt in attempts:
            with pytest.raises(InvalidIdentifierError, match="entity id"):
                attempt()
    assert calls == [], "a refused id reached the store"
