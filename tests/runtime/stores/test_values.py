"""Nothing is written that cannot be read back identically: every store, the in-memory one
included, applies one value rule and refuses the rest with an error naming the path."""

from __future__ import annotations

import ast
import re
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from pystator import (
    GuardRegistry,
    InMemoryStateStore,
    Orchestrator,
    StateMachine,
    UnstorableValueError,
)
from pystator.runtime.stores import EntityRecord
from pystator.runtime.stores._codec import MAX_DEPTH, storable
from tests.runtime.stores.strategies import identical, values

_STEP = re.compile(r"\.(\w+)|\[(\d+)\]|\[('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\]")


def at(root: Any, path: str) -> Any:
    """The value a refusal's path names, e.g. `context.items[3]['a b']`."""
    assert path.startswith("context"), path
    rest, value = path[len("context") :], root
    while rest:
        step = _STEP.match(rest)
        assert step is not None, f"{path!r} is not a path"
        name, index, quoted = step.groups()
        value = value[int(index)] if index is not None else value[name or ast.literal_eval(quoted)]
        rest = rest[step.end() :]
    return value


def _steps(path: str) -> int:
    return len(_STEP.findall(path[len("context") :]))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=values)
def test_a_value_is_read_back_identically_or_refused_naming_its_path(
    any_store: Any, value: Any
) -> None:
    entity_id = uuid.uuid4().hex  # an entity of its own for each example
    context = {"v": value}
    try:
        any_store.save(EntityRecord(entity_id, "A", context, machine_name="m"), 0)
    except UnstorableValueError as refused:
        assert str(refused).startswith(f"{refused.path}: "), str(refused)
        named = at(context, refused.path)
        if "nested deeper" in refused.reason:
            assert isinstance(named, (list, dict)) and _steps(refused.path) == MAX_DEPTH
        else:
            with pytest.raises(UnstorableValueError):
                storable(named, refused.path)
        assert any_store.load(entity_id, machine_name="m") is None, "a refused value wrote"
        return
    record = any_store.load(entity_id, machine_name="m")
    assert record is not None and identical(dict(record.context), context)


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"items": [1, 2, 3, {"price": float("nan")}]}, "context.items[3].price: NaN cannot be"),
        ({"limit": float("inf")}, "context.limit: inf cannot be stored"),
        ({"flags": {True: 1}}, "context.flags: the key True (bool) cannot be stored"),
        ({"pair": (1, 2)}, "context.pair: a tuple cannot be stored"),
        ({"name": "\ud800"}, "context.name: the text contains the lone surrogate U+D800"),
        ({"n": 10**5000}, "context.n: an integer of more than 4300 digits"),
        ({"a b": {1}}, "context['a b']: a set cannot be stored"),
    ],
)
def test_each_kind_of_unstorable_value_is_named(
    any_store: Any, context: dict[str, Any], message: str
) -> None:
    with pytest.raises(UnstorableValueError) as refused:
        any_store.save(EntityRecord("e", "A", context), 0)
    assert str(refused.value).startswith(message)


def test_an_enum_member_is_refused_because_it_would_come_back_as_its_value() -> None:
    from enum import StrEnum

    class Side(StrEnum):
        BUY = "buy"

    with pytest.raises(UnstorableValueError, match=r"context\.side: a Side cannot be stored"):
        InMemoryStateStore().save(EntityRecord("e", "A", {"side": Side.BUY}), 0)


def test_the_orchestrator_refuses_an_unstorable_event_context_before_any_guard() -> None:
    machine = StateMachine.from_dict(
        {
            "states": [{"name": "A", "type": "initial"}, {"name": "B"}],
            "transitions": [{"trigger": "go", "source": "A", "dest": "B", "guards": ["seen"]}],
        }
    )
    calls: list[str] = []
    guards = GuardRegistry()
    guards.register("seen", lambda ctx: bool(calls.append("guard")) or True)
    store = InMemoryStateStore()
    with pytest.raises(UnstorableValueError, match=r"context\.price: NaN"):
        Orchestrator(machine, store, guards=guards).process_event(
            "e", "go", {"price": float("nan")}
        )
    assert calls == [] and store.load("e") is None
