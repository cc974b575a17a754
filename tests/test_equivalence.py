"""The generated class and StateMachine.from_yaml run the same engine on the same spec:
random event walks must give identical results through both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pystator import StateMachine, TransitionResult
from pystator.generator.pipeline import generate
from tests.conftest import EXAMPLES, import_module_text

GUARD_EXPRS = ("x > 0", "x < 3", "flag", "x + y >= 4", "not flag")
TRIGGERS = ("go", "stop", "ping", "reset")


def observe(result: TransitionResult) -> tuple[Any, ...]:
    return (
        result.success,
        result.source_state,
        result.target_state,
        result.trigger,
        result.all_actions,
        type(result.error).__name__,
        result.metadata.get("reason"),
        result.metadata.get("guard_name"),
    )


def bind(machine: StateMachine[Any, Any, Any]) -> None:
    machine.guard("is_even")(lambda ctx: ctx.get("x", 0) % 2 == 0)
    machine.guard("can_cancel")(lambda ctx: ctx.get("reason") != "too late")


@st.composite
def flat_machines(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(2, 6))
    names = [f"S{i}" for i in range(count)]
    terminal = set(draw(st.sets(st.sampled_from(names[1:]), max_size=2)))
    states = []
    for index, name in enumerate(names):
        state: dict[str, Any] = {"name": name, "type": "initial" if index == 0 else "stable"}
        if name in terminal:
            state["type"] = "terminal"
        if draw(st.booleans()):
            state["on_enter"] = [f"enter_{name.lower()}", {"set": {"last": name}}]
        if draw(st.booleans()):
            state["on_exit"] = [{"increment": "exits"}]
        states.append(state)
    sources = [n for n in names if n not in terminal]
    transitions = []
    for _ in range(draw(st.integers(1, 8))):
        transition: dict[str, Any] = {
            "trigger": draw(st.sampled_from(TRIGGERS)),
            "source": draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3, unique=True)),
            "dest": draw(st.sampled_from(names)),
        }
        guards = draw(
            st.lists(
                st.one_of(
                    st.sampled_from(GUARD_EXPRS).map(lambda e: {"expr": e}),
                    st.just("is_even"),
                    st.just({"check": {"field": "x", "op": "gte", "value": 2}}),
                ),
                max_size=2,
            )
        )
        if guards:
            transition["guards"] = guards
        if draw(st.booleans()):
            transition["actions"] = ["act", {"name": "act_params", "params": {"n": 1}}]
        transitions.append(transition)
    return {
        "meta": {"machine_name": "walk", "strict_mode": draw(st.booleans())},
        "states": states,
        "transitions": transitions,
    }


events = st.lists(
    st.tuples(
        st.sampled_from((*TRIGGERS, "unknown")),
        st.fixed_dictionaries(
            {},
            optional={"x": st.integers(-2, 5), "y": st.integers(0, 3), "flag": st.booleans()},
        ),
    ),
    max_size=12,
)


def walk(
    machines: tuple[StateMachine[Any, Any, Any], StateMachine[Any, Any, Any]],
    steps: list[tuple[str, dict[str, Any]]],
) -> None:
    sessions = [machine.create() for machine in machines]
    for trigger, payload in steps:
        first, second = (session.send(trigger, **payload) for session in sessions)
        assert observe(first) == observe(second)
        assert sessions[0].current_state == sessions[1].current_state
        assert sessions[0].context == sessions[1].context
        state = sessions[0].current_state
        stateless = [machine.process(state, trigger, payload) for machine in machines]
        assert observe(stateless[0]) == observe(stateless[1])


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("equivalence")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(config=flat_machines(), steps=events)
def test_random_flat_machines_agree(
    config: dict[str, Any], steps: list[tuple[str, dict[str, Any]]], module_dir: Path
) -> None:
    path = module_dir / "walk.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    module: ModuleType = import_module_text(generate(path).text, module_dir)
    machines = (module.WalkMachine(), StateMachine.from_yaml(path))
    for machine in machines:
        bind(machine)
    walk(machines, steps)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_agree_on_random_walks(
    path: Path, generated: Callable[[Path], ModuleType]
) -> None:
    module = generated(path)
    machine_class = next(
        value
        for name, value in vars(module).items()
        if name.endswith("Machine") and name != "StateMachine"
    )
    machines = (machine_class(), StateMachine.from_yaml(path))
    for machine in machines:
        bind(machine)
    triggers = [t.name for t in machines[1].spec.triggers]

    @settings(max_examples=150, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(triggers),
                st.fixed_dictionaries(
                    {},
                    optional={
                        "fill_qty": st.integers(0, 120),
                        "reason": st.sampled_from(["too late", "ok"]),
                    },
                ),
            ),
            max_size=10,
        )
    )
    def check(steps: list[tuple[str, dict[str, Any]]]) -> None:
        sessions_context = {"order_id": "1", "order_qty": 100}
        sessions = [m.create(context=dict(sessions_context)) for m in machines]
        for trigger, payload in steps:
            first, second = (s.send(trigger, **payload) for s in sessions)
            assert observe(first) == observe(second)
            assert stable(sessions[0].context) == stable(sessions[1].context)

    check()


def stable(context: dict[str, Any]) -> dict[str, Any]:
    """The context without `timestamp` effect values, which differ by the clock."""
    return {key: value for key, value in context.items() if not key.endswith("_at")}
