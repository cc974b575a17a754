"""Random machines written as YAML text, through every path: whatever `validate` accepts
compiles, the written module imports, and random event walks give identical results
through the generated class and `StateMachine.from_yaml`; the other commands (diagram,
docs, export, tests) handle it too.

The machines use every feature of the format together (hierarchy, parallel regions,
history, eventless and delayed transitions, timeouts, all kinds of guards and actions,
payloads, variables, the event normaliser) with awkward names and free text. Machines
that validate refuses are not counted (`assume`), so a front end refusing everything
would fail the properties rather than pass them.
"""

from __future__ import annotations

import ast
import itertools
import keyword
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pystator import StateMachine
from pystator.generator import docs
from pystator.generator.diagnostics import CompileError
from pystator.generator.pipeline import compile_path, generate
from pystator.generator.scxml import to_scxml
from pystator.generator.testgen import render_tests
from pystator.runtime.results import TransitionResult
from pystator.runtime.visualization import to_dot, to_mermaid
from tests.conftest import import_module_text

# Odd but accepted: YAML 1.1 booleans and null, keywords, dots and dashes, camelCase, and
# names of things the generated code itself uses.
STATE_NAMES = (
    "idle",
    "in-progress",
    "on",
    "off",
    "yes",
    "No",
    "null",
    "True",
    "class",
    "a.b",
    "x-y.z",
    "camelCase",
    "UPPER_CASE",
    "s1",
    "self",
    "payload",
    "Any",
    "e",
    "match",
    "Machine",
)
TRIGGERS = ("go", "stop", "class", "self", "payload", "Ping", "a.b", "reset-all", "timeout_idle")
# Context names: payload fields, state variables and the names expressions read.
FIELDS = ("x", "y", "s", "n", "flag", "items", "self", "payload", "trigger", "Any", "dict")
FIELD_TYPES = ("int", "str", "any", "float", "bool", "list", "number")
EXPRESSIONS = (
    "x > 0",
    "x < 3",
    "flag",
    "not flag",
    "x + y >= 4",
    "s * n == 'aa'",
    "len(items) > 1",
    "s + 'b' == 'ab'",
    "x in items",
    "missing > 0",
    "x / y > 1",
    "self == 1",
    "payload != 'p'",
    "Any or flag",
    "max(items) > 1",
    "sum(items) == 3",
    "items * n == [1, 1]",
    "-x < 0",
    "x * 2 > 3",
    "abs(x) == 2",
    "min(x, y) < 1",
    "s in 'abc'",
    "1 < x <= 4",
    "x == 1.5",
    "trigger != None",
    "[0] * n == [0, 0]",
    "dict + s == 'ab'",
)
CHECKS = (
    {"field": "x", "op": "gte", "value": 2},
    {"field": "s", "op": "in", "value": ["a", "ab"]},
    {"field": "flag", "op": "is_set"},
    {"field": "y", "op": "lt", "value": 1.5},
    {"field": "self", "op": "eq", "value": 1},
    {"field": "n", "op": "not_in", "values": [0, 1]},
    {"field": "payload", "op": "is_null"},
)
NAMED_GUARDS = ("is_even", "always", "never", {"name": "at_least", "params": {"min": 2}})
ACTIONS = (
    "act",
    {"name": "act_params", "params": {"n": 1, "tag": "on"}},
    {"set": {"last": "v"}},
    {"increment": "count"},
    {"decrement": "count"},
    {"append": {"field": "log", "value": 1}},
    {"clear": "log"},
)
# Free text: descriptions, region names, ids, parameters. Quotes, backslashes, line
# terminators, template syntax and characters outside the BMP.
TEXTS = (
    "plain",
    "it's",
    'say "hi"',
    "back\\slash\\",
    "line\nbreak",
    "ends with newline\n",
    "\u2028sep",
    "\x85next",
    "cr\rret",
    "{{ jinja }}",
    "{% raw %}",
    "'''",
    '"""',
    "# comment",
    "\x7f\u200b",
    "ünï 😀",
    "*/ -->",
)
DATA_VALUES = st.one_of(
    st.sampled_from(TEXTS),
    st.sampled_from([0, -1, 2**70, 1.5, float("inf"), float("-inf"), True, False, None]),
    st.lists(st.sampled_from([1, "a", None, 2.5]), max_size=3),
)
PARAMS = st.dictionaries(st.sampled_from(("n", "tag", *TEXTS)), DATA_VALUES, max_size=3)
VALUES = st.one_of(
    st.integers(-2, 5),
    st.sampled_from([1.5, 0.0, 10**9]),
    st.sampled_from(["", "a", "ab", "p"]),
    st.booleans(),
    st.lists(st.integers(0, 3), max_size=3),
)


def bind(machine: StateMachine[Any, Any, Any]) -> None:
    """The named guards every random machine may use, the same on both paths."""
    machine.guard("is_even")(lambda ctx: ctx.get("x", 0) % 2 == 0)
    machine.guard("always")(lambda ctx: True)
    machine.guard("never")(lambda ctx: False)
    machine.guard("at_least")(lambda ctx: ctx.get("x", 0) >= ctx["_guard_params"]["min"])


# -- machines -----------------------------------------------------------------------------


@st.composite
def guard_lists(draw: st.DrawFn, min_size: int = 0) -> list[Any]:
    kinds = st.one_of(
        st.sampled_from(EXPRESSIONS).map(lambda e: {"expr": e}),
        # String literals holding any text, written as Python would.
        st.sampled_from(TEXTS).map(lambda text: {"expr": f"s != {text!r}"}),
        st.sampled_from(CHECKS).map(lambda c: {"check": c}),
        st.tuples(st.sampled_from(["eq", "ne", "lt", "in"]), DATA_VALUES).map(
            lambda pair: {
                "check": {
                    "field": "s",
                    "op": pair[0],
                    "value": [pair[1]] if pair[0] == "in" else pair[1],
                }
            }
        ),
        st.sampled_from(NAMED_GUARDS),
        PARAMS.map(lambda params: {"name": "always", "params": params}),
    )
    guards = draw(st.lists(kinds, min_size=min_size, max_size=2))
    # Copies: the sampled guards are shared constants.
    return [
        {**guard, "description": draw(st.sampled_from(TEXTS))}
        if isinstance(guard, dict) and draw(st.integers(0, 4)) == 0
        else guard
        for guard in guards
    ]


actions = st.one_of(
    st.sampled_from(ACTIONS),
    PARAMS.map(lambda params: {"name": "act_params", "params": params}),
    st.tuples(st.sampled_from(("last", *TEXTS)), DATA_VALUES).map(
        lambda pair: {"set": {pair[0]: pair[1]}}
    ),
    DATA_VALUES.map(lambda value: {"append": {"field": "log", "value": value}}),
)


def described(draw: st.DrawFn, item: dict[str, Any]) -> dict[str, Any]:
    if draw(st.integers(0, 3)) == 0:
        item["description"] = draw(st.sampled_from(TEXTS))
    return item


@st.composite
def machines(draw: st.DrawFn) -> dict[str, Any]:
    """A machine as plain data, ready to be written as YAML."""
    pool: Iterator[str] = iter(draw(st.permutations(STATE_NAMES)))
    states: list[dict[str, Any]] = []
    top = [next(pool) for _ in range(draw(st.integers(2, 4)))]
    states += [{"name": name, "type": "stable"} for name in top]
    states[0]["type"] = "initial"
    compound: list[str] = []
    outer = list(top)
    if draw(st.booleans()):
        parent = top[-1]
        children = [next(pool) for _ in range(draw(st.integers(1, 3)))]
        states[len(top) - 1]["initial_child"] = children[0]
        compound.append(parent)
        states += [{"name": child, "parent": parent} for child in children]
        outer += children
        if draw(st.booleans()):
            inner = children[-1]
            grandchildren = [next(pool) for _ in range(2)]
            next(s for s in states if s["name"] == inner)["initial_child"] = grandchildren[0]
            compound.append(inner)
            states += [{"name": name, "parent": inner} for name in grandchildren]
            outer += grandchildren
    regions: dict[str, list[str]] = {}
    remembered = list(compound)
    if draw(st.booleans()):
        parallel = next(pool)
        region_names = draw(
            st.lists(st.sampled_from(("main", *TEXTS)), min_size=2, max_size=2, unique=True)
        )
        regions = {name: [next(pool), next(pool)] for name in region_names}
        states.append(
            {
                "name": parallel,
                "type": "parallel",
                "regions": [
                    {"name": name, "initial": members[0], "states": members}
                    for name, members in regions.items()
                ],
            }
        )
        outer.append(parallel)
        remembered.append(parallel)
        # Region states need no entry of their own; give one of them an entry anyway.
        if draw(st.booleans()):
            first = next(iter(regions.values()))
            states.append({"name": first[1], "parent": parallel, "on_enter": ["act"]})
    terminal: set[str] = set()
    if len(top) > 2 and draw(st.booleans()) and top[1] not in compound:
        states[1]["type"] = "terminal"
        terminal.add(top[1])
    by_name = {state["name"]: state for state in states}
    for state in states:
        if draw(st.integers(0, 3)) == 0:
            state["on_enter"] = [*state.get("on_enter", ()), draw(actions)]
        if draw(st.integers(0, 3)) == 0:
            state["on_exit"] = [draw(actions)]
        described(draw, state)
        if draw(st.integers(0, 5)) == 0:
            state["metadata"] = draw(PARAMS)
        if draw(st.integers(0, 5)) == 0:
            state["group"] = draw(st.sampled_from(TEXTS))
        if draw(st.integers(0, 5)) == 0:
            state["invoke"] = [
                {"id": draw(st.sampled_from(TEXTS)), "src": draw(st.sampled_from(TEXTS))}
            ]
        if draw(st.integers(0, 7)) == 0:
            state["renamed_from"] = ["old-" + state["name"]]
    live = [name for name in outer if name not in terminal]
    inside = [name for members in regions.values() for name in members]
    if draw(st.integers(0, 3)) == 0:
        timed = draw(st.sampled_from(live))
        if timed in by_name:
            by_name[timed]["timeout"] = {
                "seconds": draw(st.sampled_from([0.5, 2, 30])),
                "destination": draw(st.sampled_from(outer)),
            }
    destinations = st.one_of(
        st.sampled_from(outer),
        *(
            [
                st.tuples(st.sampled_from(["H", "H*"]), st.sampled_from(remembered)).map(
                    lambda pair: f"{pair[0]}({pair[1]})"
                )
            ]
            if remembered
            else []
        ),
        # Straight into a region, from outside the parallel state.
        *([st.sampled_from(inside)] if inside else []),
    )
    transitions: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 9))):
        kind = draw(st.sampled_from(["event", "event", "event", "auto", "after", "region"]))
        transition: dict[str, Any] = {}
        if kind == "region" and regions:
            region = draw(st.sampled_from(sorted(regions)))
            members = regions[region]
            transition = {
                "trigger": draw(st.sampled_from(TRIGGERS)),
                "source": draw(st.sampled_from(members)),
                "dest": draw(st.sampled_from(members)),
            }
            if draw(st.booleans()):
                transition["region"] = region
            if draw(st.integers(0, 3)) == 0:
                del transition["trigger"]
                transition["auto"] = True
                transition["guards"] = draw(guard_lists(min_size=1))
        elif kind == "auto":
            transition = {
                "source": draw(st.sampled_from(live)),
                "dest": draw(destinations),
                "auto": True,
                "guards": draw(guard_lists(min_size=1)),
            }
        elif kind == "after":
            source = draw(st.sampled_from(live))
            transition = {
                "source": source,
                "dest": draw(destinations),
                "after": draw(st.sampled_from([5000, "5s", "1.5m", 250])),
            }
            if draw(st.booleans()):
                transition["trigger"] = draw(st.sampled_from(TRIGGERS))
        else:
            sources = draw(st.lists(st.sampled_from(live), min_size=1, max_size=2, unique=True))
            transition = {
                "trigger": draw(st.sampled_from(TRIGGERS)),
                "source": sources[0] if len(sources) == 1 and draw(st.booleans()) else sources,
                "dest": draw(destinations),
            }
            if len(sources) == 1 and draw(st.integers(0, 4)) == 0:
                transition["dest"] = sources[0]
                transition["internal"] = True
        if "guards" not in transition and draw(st.booleans()):
            transition["guards"] = draw(guard_lists())
        if draw(st.booleans()):
            transition["actions"] = draw(st.lists(actions, max_size=2))
        transitions.append(described(draw, transition))
    meta: dict[str, Any] = {
        "machine_name": draw(st.sampled_from(["walk", "order-mgmt", "Walk 2", "class"])),
        "strict_mode": draw(st.booleans()),
    }
    if draw(st.booleans()):
        meta["version"] = draw(st.sampled_from(("1.0.0", *TEXTS)))
    if draw(st.booleans()):
        meta["description"] = draw(st.sampled_from(TEXTS))
    normalizer = draw(st.sampled_from([None, "lower", "upper"]))
    if normalizer is not None:
        meta["event_normalizer"] = normalizer
    document: dict[str, Any] = {"meta": meta, "states": states, "transitions": transitions}
    used = sorted({t["trigger"] for t in transitions if "trigger" in t})
    events = []
    for trigger in used:
        if draw(st.booleans()):
            fields = draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True))
            payload: dict[str, Any] = {}
            for field in fields:
                type_name = draw(st.sampled_from(FIELD_TYPES))
                payload[field] = (
                    {"type": type_name, "required": False} if draw(st.booleans()) else type_name
                )
            events.append(described(draw, {"name": trigger, "payload": payload}))
    if events:
        document["events"] = events
    if draw(st.booleans()):
        document["state_variables"] = [
            {"key": "count", "type": "int", "default": 0},
            {"key": "log", "type": "list", "default": draw(st.lists(DATA_VALUES, max_size=2))},
            "x",
            described(draw, {"key": draw(st.sampled_from(TEXTS)), "default": draw(DATA_VALUES)}),
        ]
    if draw(st.integers(0, 3)) == 0:
        document["error_policy"] = {"default_fallback": draw(st.sampled_from(outer))}
    return document


def as_yaml(document: dict[str, Any], flow: bool) -> str:
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=flow, allow_unicode=True)


# -- walks ----------------------------------------------------------------------------------

Step = tuple[str, dict[str, Any], bool]
Start = tuple[int, dict[str, Any]]

starts = st.tuples(st.integers(0, 40), st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=3))

# "TIMER" stands for the machine's timer events (`_timeout_...`, `_after_...`), which a
# scheduler sends; the others are sent as written, case variants included.
steps = st.lists(
    st.tuples(
        st.sampled_from((*TRIGGERS, "GO", "Class", "A.B", "unknown", "TIMER", "TIMER")),
        st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4),
        st.booleans(),
    ),
    max_size=10,
)


def observe(result: TransitionResult) -> tuple[Any, ...]:
    return (
        result.success,
        result.source_state,
        result.target_state,
        result.trigger,
        result.all_actions,
        type(result.error).__name__,
        str(result.error) if result.error is not None else None,
        dict(result.metadata),
    )


def outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    """What a call did: its result observed, or the exception it raised."""
    try:
        value = call()
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))
    if isinstance(value, TransitionResult):
        return ("returned", observe(value))
    return ("returned", session_state(value))


def session_state(session: Any) -> tuple[Any, ...]:
    parallel = session.parallel_config
    return (
        str(session.current_state),
        dict(session.context),
        session.history,
        session.pending_timers,
        dict(parallel.region_states) if parallel is not None else None,
        session.is_final,
        sorted(session.allowed_triggers),
    )


def send(session: Any, machine: StateMachine[Any, Any, Any], step: Step) -> Any:
    """Send one event: by `send`, or by the trigger's method the way typed code calls it
    (declared payload fields only, optional ones left out when None)."""
    trigger, payload, by_method = step
    spec = next(
        (t for t in machine.spec.triggers if t.name == machine._engine.normalize(trigger)), None
    )
    if not by_method or spec is None or spec.name.startswith("_"):
        return session.send(trigger, **payload)
    if spec.payload:
        payload = {
            f.name: payload.get(f.name, 1)
            for f in spec.payload
            if f.required or payload.get(f.name) is not None
        }
    return getattr(session, spec.method)(**payload)


def walk(
    machines: tuple[StateMachine[Any, Any, Any], StateMachine[Any, Any, Any]],
    start: Start,
    events: list[Step],
) -> None:
    """Create a session on both machines (in state number `start`, if there is one), send
    the events to both, and compare everything after each step."""
    index, context = start
    names = [state.name for state in machines[1].spec.states]
    initial = names[index] if index < len(names) else None
    created = [outcome(partial(machine.create, dict(context), initial)) for machine in machines]
    assert created[0] == created[1]
    if created[0][0] == "raised":
        return
    sessions = [machine.create(dict(context), initial) for machine in machines]
    pairs = list(zip(sessions, machines, strict=True))
    timers = [t.name for t in machines[1].spec.triggers if t.name.startswith("_")]
    for position, written in enumerate(events):
        trigger, payload, by_method = written
        if trigger == "TIMER":
            trigger = timers[position % len(timers)] if timers else "unknown"
        step = (trigger, payload, by_method)
        state = str(sessions[0].current_state)
        history = sessions[0].history
        stateless = [
            outcome(partial(machine.process, state, trigger, dict(payload), history))
            for machine in machines
        ]
        assert stateless[0] == stateless[1], step
        results = [outcome(partial(send, session, machine, step)) for session, machine in pairs]
        assert results[0] == results[1], step
        assert session_state(sessions[0]) == session_state(sessions[1]), step
    restored = [
        type(session).from_snapshot(machine, session.snapshot()) for session, machine in pairs
    ]
    assert session_state(restored[0]) == session_state(restored[1]) == session_state(sessions[0])


# -- the property ------------------------------------------------------------------------------

counter = itertools.count()


def machine_class(module: ModuleType) -> type[StateMachine[Any, Any, Any]]:
    (name,) = [name for name in module.__all__ if name.endswith("Machine")]
    cls: type[StateMachine[Any, Any, Any]] = getattr(module, name)
    return cls


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("random_machines")


def accepted(document: dict[str, Any], flow: bool, directory: Path) -> Path:
    """The machine written as a YAML file, if validate accepts it (else the example is
    not counted)."""
    path = directory / f"machine_{next(counter)}.yaml"
    path.write_text(as_yaml(document, flow), encoding="utf-8")
    try:
        compile_path(path)
    except CompileError:
        assume(False)
    return path


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=machines(), flow=st.booleans(), start=starts, events=steps)
def test_what_validate_accepts_compiles_imports_and_agrees_with_the_dynamic_path(
    document: dict[str, Any], flow: bool, start: Start, events: list[Step], work_dir: Path
) -> None:
    path = accepted(document, flow, work_dir)
    module = import_module_text(generate(path).text, work_dir)
    try:
        machines = (machine_class(module)(), StateMachine.from_yaml(path))
        # The spec written into the module is the one the dynamic path builds.
        assert machines[0].spec == machines[1].spec
        for machine in machines:
            bind(machine)
        walk(machines, start, events)
    finally:
        sys.modules.pop(module.__name__)


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=machines(), flow=st.booleans())
def test_what_validate_accepts_every_other_command_handles(
    document: dict[str, Any], flow: bool, work_dir: Path
) -> None:
    path = accepted(document, flow, work_dir)
    spec = compile_path(path).spec
    module = generate(path).module_name
    assert module.isidentifier() and not keyword.iskeyword(module)
    to_mermaid(spec)
    to_dot(spec)
    docs.render(spec, path.name)
    ElementTree.fromstring(to_scxml(spec, path.name))
    ast.parse(render_tests(spec, source_name=path.name).text)
