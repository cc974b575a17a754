"""The code samples of the PyStator documents, run as written (with small fakes for the
application objects they mention: an email service, a broker, a database)."""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import json
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ORDER_FSM = """\
meta:
  version: "1.0.0"
  machine_name: "order_management"
  strict_mode: true
states:
  - name: PENDING
    type: initial
  - name: OPEN
    type: stable
  - name: FILLED
    type: terminal
transitions:
  - trigger: exchange_ack
    source: PENDING
    dest: OPEN
  - trigger: fill
    source: OPEN
    dest: FILLED
  - trigger: execution_report
    source: OPEN
    dest: FILLED
    guards: [is_full_fill]
    actions: [update_positions]
"""


@pytest.fixture(autouse=True)
def in_project_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "order_fsm.yaml").write_text(ORDER_FSM, encoding="utf-8")
    monkeypatch.chdir(tmp_path)


def test_quick_start(capsys: pytest.CaptureFixture[str]) -> None:
    from pystator import StateMachine

    machine = StateMachine.from_yaml("order_fsm.yaml")
    result = machine.process("PENDING", "exchange_ack", {})
    print(result.success)
    print(result.target_state)
    assert capsys.readouterr().out == "True\nOPEN\n"


def test_entity_session_sample() -> None:
    from pystator import EntitySession, StateMachine

    machine = StateMachine.from_yaml("order_fsm.yaml")
    order = machine.create(context={"order_id": "123", "order_qty": 100})
    assert order.current_state == "PENDING"
    assert order.is_pending
    order.send("exchange_ack")
    assert order.current_state == "OPEN"
    order.send("fill", fill_qty=100)
    assert order.current_state == "FILLED"
    assert order.is_final
    snapshot = order.snapshot()
    restored = EntitySession.from_snapshot(machine, snapshot)
    assert restored.current_state == "FILLED"


def test_guards_and_actions_by_decorator(capsys: pytest.CaptureFixture[str]) -> None:
    from pystator import StateMachine
    from pystator.actions import ActionExecutor

    machine = StateMachine.from_yaml("order_fsm.yaml")

    @machine.guard("is_full_fill")
    def is_full_fill(ctx: dict[str, Any]) -> bool:
        return bool(ctx.get("fill_qty", 0) >= ctx.get("order_qty", 1))

    @machine.action("update_positions")
    def update_positions(ctx: dict[str, Any]) -> None:
        print("Positions updated")

    context = {"fill_qty": 100, "order_qty": 100}
    result = machine.process("OPEN", "execution_report", context)
    ActionExecutor(machine.action_registry).execute(result, context)
    assert capsys.readouterr().out == "Positions updated\n"


def test_guards_and_actions_by_registry(capsys: pytest.CaptureFixture[str]) -> None:
    from pystator import ActionRegistry, GuardRegistry, StateMachine
    from pystator.actions import ActionExecutor

    machine = StateMachine.from_yaml("order_fsm.yaml")
    guards = GuardRegistry()
    guards.register("is_full_fill", lambda ctx: ctx.get("fill_qty", 0) >= ctx.get("order_qty", 1))
    machine.bind_guards(guards)
    actions = ActionRegistry()
    actions.register("update_positions", lambda ctx: print("Positions updated"))
    executor = ActionExecutor(actions)
    result = machine.process("OPEN", "execution_report", {"fill_qty": 100, "order_qty": 100})
    if result.success:
        executor.execute(result, {"fill_qty": 100, "order_qty": 100})
    assert capsys.readouterr().out == "Positions updated\n"


def test_guard_registry_with_sync_and_async_guards() -> None:
    from pystator import GuardRegistry, StateMachine

    class Broker:
        async def get_account(self) -> Any:
            return type("Account", (), {"buying_power": 500})()

    broker = Broker()
    guards = GuardRegistry()

    @guards.decorator("has_buying_power")
    def has_buying_power(ctx: dict[str, Any]) -> bool:
        return bool(ctx["buying_power"] >= ctx["order_value"])

    @guards.decorator("check_external")
    async def check_external(ctx: dict[str, Any]) -> bool:
        account = await broker.get_account()
        return bool(account.buying_power >= ctx["order_value"])

    machine = StateMachine.from_dict(
        {
            "states": [{"name": "A", "type": "initial"}, {"name": "B", "type": "terminal"}],
            "transitions": [
                {
                    "trigger": "go",
                    "source": "A",
                    "dest": "B",
                    "guards": ["has_buying_power", "check_external"],
                }
            ],
        }
    )
    machine.bind_guards(guards)
    ok = asyncio.run(machine.aprocess("A", "go", {"buying_power": 900, "order_value": 400}))
    assert ok.target_state == "B"
    refused = asyncio.run(machine.aprocess("A", "go", {"buying_power": 900, "order_value": 600}))
    assert refused.metadata["guard_name"] == "check_external"


def test_actions_with_execution_modes(capsys: pytest.CaptureFixture[str]) -> None:
    from pystator import ActionRegistry, StateMachine
    from pystator.actions import ActionExecutor, ExecutionMode

    sent: list[tuple[str, str]] = []
    positions: list[tuple[str, int]] = []

    class EmailService:
        def send(self, to: str, text: str) -> None:
            sent.append((to, text))

    class Db:
        async def update_position(self, symbol: str, quantity: int) -> None:
            await asyncio.sleep(0)
            positions.append((symbol, quantity))

    email_service, db = EmailService(), Db()
    actions = ActionRegistry()

    @actions.decorator()
    def send_notification(ctx: dict[str, Any]) -> None:
        email_service.send(ctx["user_email"], "Order updated")

    @actions.decorator()
    async def update_position(ctx: dict[str, Any]) -> None:
        await db.update_position(ctx["symbol"], ctx["quantity"])

    machine = StateMachine.from_dict(
        {
            "states": [
                {"name": "A", "type": "initial", "on_exit": ["send_notification"]},
                {"name": "B", "type": "terminal", "on_enter": ["update_position"]},
            ],
            "transitions": [{"trigger": "go", "source": "A", "dest": "B"}],
        }
    )
    transition_result = machine.process("A", "go")
    context = {"user_email": "a@example.com", "symbol": "X", "quantity": 3}
    executor = ActionExecutor(actions, default_mode=ExecutionMode.PHASED)
    outcome = asyncio.run(executor.async_execute_parallel(transition_result, context))
    assert outcome.success
    outcome = asyncio.run(executor.async_execute_phased(transition_result, context))
    assert [o.phase for o in outcome.outcomes] == ["exit", "enter"]
    outcome = asyncio.run(
        executor.async_execute_with_mode(transition_result, context, mode=ExecutionMode.PARALLEL)
    )
    assert outcome.mode is ExecutionMode.PARALLEL
    assert sent == [("a@example.com", "Order updated")] * 3
    assert positions == [("X", 3)] * 3
    sync = executor.execute(transition_result, context)
    assert sync.failed == ("update_position",)
    assert sync.errors[0].code.value == "action_failed"


def test_action_parameters_reach_the_action() -> None:
    from pystator import ActionRegistry, StateMachine
    from pystator.actions import ACTION_PARAMS_KEY, ActionExecutor

    notified: list[tuple[str, str, str]] = []

    def notify(channel: str, priority: str, message: str) -> None:
        notified.append((channel, priority, message))

    actions = ActionRegistry()

    @actions.decorator()
    def send_notification(context: dict[str, Any]) -> None:
        params = context.get(ACTION_PARAMS_KEY, {})
        channel = params.get("channel", "email")
        priority = params.get("priority", "normal")
        notify(channel=channel, priority=priority, message=context["message"])

    actions.register("log_fill", lambda ctx: None)
    actions.register("update_metrics", lambda ctx: None)
    machine = StateMachine.from_dict(
        {
            "states": [{"name": "open", "type": "initial"}, {"name": "filled", "type": "terminal"}],
            "transitions": [
                {
                    "trigger": "order_filled",
                    "source": "open",
                    "dest": "filled",
                    "actions": [
                        "log_fill",
                        {
                            "name": "send_notification",
                            "params": {"channel": "slack", "priority": "high"},
                        },
                        {
                            "name": "update_metrics",
                            "params": {"metric_name": "fills", "increment": 1},
                        },
                    ],
                }
            ],
        }
    )
    result = machine.process("open", "order_filled")
    assert ActionExecutor(actions).execute(result, {"message": "done"}).success
    assert notified == [("slack", "high", "done")]


def test_error_handling_sample() -> None:
    from pystator import (
        ErrorCode,
        FSMError,
        GuardRejectedError,
        InvalidTransitionError,
        StaleVersionError,
        StateMachine,
        TerminalStateError,
        UndefinedTriggerError,
    )

    machine = StateMachine.from_yaml("order_fsm.yaml")
    machine.guard("is_full_fill")(lambda ctx: False)
    result = machine.process("OPEN", "execution_report", {})
    assert not result.success
    assert isinstance(result.error, GuardRejectedError)
    assert result.metadata == {"reason": "guard_rejected", "guard_name": "is_full_fill"}
    try:
        result.raise_for_error()
    except GuardRejectedError as e:
        assert (e.guard_name, e.current_state) == ("is_full_fill", "OPEN")
    try:
        machine.process("FILLED", "fill", {}).raise_for_error()
    except TerminalStateError as e:
        assert e.code is ErrorCode.TERMINAL_STATE
    try:
        machine.process("OPEN", "nope", {}).raise_for_error()
    except FSMError as e:
        assert isinstance(e, UndefinedTriggerError)
        assert e.code is ErrorCode.INVALID_TRIGGER
    assert issubclass(GuardRejectedError, InvalidTransitionError)
    assert issubclass(StaleVersionError, FSMError)


def test_flatten_context_for_guards_sample() -> None:
    from pystator import StateMachine
    from pystator.recipes import flatten_context_for_guards

    machine = StateMachine.from_dict(
        {
            "states": [
                {"name": "scanning", "type": "initial"},
                {"name": "entering", "type": "terminal"},
            ],
            "transitions": [
                {
                    "trigger": "signal",
                    "source": "scanning",
                    "dest": "entering",
                    "guards": [{"expr": "position_count < 5 and buying_power > 100"}],
                }
            ],
        }
    )
    ctx = flatten_context_for_guards(
        {"trading_context": {"positions": [1, 2, 3], "buying_power": 10000}},
        overrides={"position_count": 3},
    )
    assert ctx["trading_context_buying_power"] == 10000
    assert ctx["positions"] == [1, 2, 3]
    assert machine.process("scanning", "signal", ctx).target_state == "entering"


def test_event_normalization_sample() -> None:
    from pystator import StateMachine

    machine = StateMachine.from_dict(
        {
            "meta": {"event_normalizer": "lower"},
            "states": [{"name": "open", "type": "initial"}, {"name": "filled", "type": "terminal"}],
            "transitions": [{"trigger": "FILL", "source": "open", "dest": "filled"}],
        }
    )
    assert machine.process("open", "fill", {}).success
    assert machine.process("open", "FILL", {}).success


# == Seed 003, the long README: its fenced code blocks, read from a copy of it ===========
#
# tests/fixtures/pystator_readme_0_0_10.txt is the documents' long README, unchanged.
# Each block runs as written (top-level `await` included) in a namespace holding what the
# text around it defines, with its YAML written to the file it names. Blocks that cannot
# run alone are listed in NOT_RUN with the reason; a test checks every block is one or the
# other.

SEED_003 = Path(__file__).resolve().parent / "fixtures" / "pystator_readme_0_0_10.txt"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)

NOT_RUN = {
    0: "pip commands: `pip install pystator` would fetch the index's unrelated project; "
    "README's install commands are checked by tests/test_readme.py",
    22: "a diagram of the sandwich pattern, not code",
    23: "the schema outline, with placeholders (STATE_NAME, PARENT_STATE...) for names",
    24: "starts a server; tests/test_cli_api.py and tests/api cover `pystator.api.main:app`",
    28: "development commands (`pip install -e`, pytest, mypy, ruff); `mypy src/` names a "
    "directory this project does not have",
}


def seed_003_blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of seed 003, in order."""
    return [(m[1], m[2]) for m in FENCE.finditer(SEED_003.read_text(encoding="utf-8"))]


def run_sample(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute a sample as written; one with top-level `await` runs in an event loop."""
    compiled = compile(code, "<sample>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    outcome = eval(compiled, namespace)
    if inspect.iscoroutine(outcome):
        asyncio.run(outcome)
    return namespace


def block(index: int) -> str:
    return seed_003_blocks()[index][1]


# The quick start's YAML sends PENDING's timeout to TIMED_OUT, a state it never defines
# (the reference refuses it too); supplied with that state added.
TIMED_OUT = "\n  - name: TIMED_OUT\n    type: terminal\n"


def seed_003_order_fsm() -> str:
    text = block(1)
    return text.replace("\ntransitions:", TIMED_OUT + "\ntransitions:", 1)


class FakeDb:
    def __init__(self) -> None:
        self.states: dict[str, str | None] = {}
        self.positions: list[tuple[str, int]] = []

    def update_state(self, entity: str, state: str | None) -> None:
        self.states[entity] = state

    async def update_position(self, symbol: str, quantity: int) -> None:
        self.positions.append((symbol, quantity))

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        yield


class FakeBroker:
    async def get_account(self) -> Any:
        return type("Account", (), {"buying_power": 1000})()


def test_every_block_of_seed_003_is_run_or_listed_with_a_reason() -> None:
    blocks = seed_003_blocks()
    run = set(RUN_003)
    assert run.isdisjoint(NOT_RUN)
    assert run | set(NOT_RUN) == set(range(len(blocks)))


def test_seed_003_quick_start_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    Path("order_fsm.yaml").write_text(seed_003_order_fsm(), encoding="utf-8")
    db = FakeDb()
    context = {"fill_qty": 100, "order_qty": 100}
    namespace = run_sample(block(2), {"db": db, "order_id": "A-1", "context": context})
    assert namespace["result"].target_state == "FILLED"
    assert db.states == {"A-1": "FILLED"}
    assert capsys.readouterr().out == "Positions updated\n"


def test_seed_003_quick_start_yaml_as_written_names_its_missing_state() -> None:
    from pystator import ConfigurationError, StateMachine

    Path("order_fsm.yaml").write_text(block(1), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="timeout destination 'TIMED_OUT'"):
        StateMachine.from_yaml("order_fsm.yaml")


def test_seed_003_state_and_transition_values() -> None:
    from pystator import StateMachine, StateType

    state = run_sample(block(3), {})["state"]
    transition = run_sample(block(4), {})["transition"]
    assert state.type is StateType.INITIAL and state.timeout.destination == "TIMED_OUT"
    assert transition.source == frozenset({"OPEN", "PARTIALLY_FILLED"})
    from pystator import State, Transition

    machine = StateMachine.from_objects(
        [
            state,
            State(name="OPEN", on_enter=("log_entry",)),
            State(name="PARTIALLY_FILLED"),
            State(name="FILLED", type=StateType.TERMINAL),
            State(name="TIMED_OUT", type=StateType.TERMINAL),
        ],
        [Transition(trigger="ack", source="PENDING", dest="OPEN"), transition],
        meta={"machine_name": "from_objects"},
    )
    machine.guard("is_full_fill")(lambda ctx: True)
    result = machine.process("PARTIALLY_FILLED", "execution_report")
    assert result.target_state == "FILLED" and result.all_actions == ("update_positions",)
    assert machine.process("PENDING", "ack").all_actions == ("log_exit", "log_entry")


def test_seed_003_guards() -> None:
    import pystator

    guards = run_sample(block(5), {"broker": FakeBroker()})["guards"]
    machine = pystator.StateMachine.from_dict(
        {
            "states": [{"name": "A", "type": "initial"}, {"name": "B", "type": "terminal"}],
            "transitions": [
                {"trigger": "go", "source": "A", "dest": "B", "guards": ["check_external"]}
            ],
        }
    )
    machine.bind_guards(guards)
    assert asyncio.run(machine.aprocess("A", "go", {"order_value": 10})).success
    assert set(guards.names()) == {"has_buying_power", "check_external"}


def test_seed_003_actions() -> None:
    from pystator import StateMachine

    machine = StateMachine.from_dict(
        {
            "states": [
                {"name": "A", "type": "initial", "on_exit": ["send_notification"]},
                {"name": "B", "type": "terminal", "on_enter": ["update_position"]},
            ],
            "transitions": [{"trigger": "go", "source": "A", "dest": "B"}],
        }
    )
    sent: list[tuple[str, str]] = []
    email_service = type("Email", (), {"send": lambda self, *a: sent.append(a)})()
    db = FakeDb()
    context = {"user_email": "a@example.com", "symbol": "X", "quantity": 2}
    namespace = {
        "email_service": email_service,
        "db": db,
        "transition_result": machine.process("A", "go"),
        "context": context,
    }
    run_sample(block(6), namespace)
    assert namespace["result"].success and len(sent) == 3 and db.positions == [("X", 2)] * 2


def test_seed_003_hierarchical_states() -> None:
    from pystator import StateMachine

    # The fragment has no initial state; the text says the machine starts in `active`.
    text = block(7).replace("type: stable\n    initial_child", "type: initial\n    initial_child")
    Path("hierarchy.yaml").write_text(text, encoding="utf-8")
    machine = StateMachine.from_yaml("hierarchy.yaml")
    assert machine.get_initial_state() == "active.scanning"
    result = machine.process("active.scanning", "emergency_stop", {})
    assert result.target_state == "halted" and result.all_actions == ("stop_feed",)
    assert machine.process("active.scanning", "signal_detected").target_state == (
        "active.analyzing"
    )


# The parallel fragment has no initial state; one is supplied in front of it.
IDLE = "states:\n  - name: idle\n    type: initial\n"


def test_seed_003_parallel_states_run_as_written() -> None:
    from pystator import ActionExecutor, ActionRegistry

    Path("trading_fsm.yaml").write_text(block(8).replace("states:\n", IDLE, 1), encoding="utf-8")
    actions = ActionRegistry()
    for name in ("start_scanners", "reset_risk_alerts"):
        actions.register(name, lambda ctx: None)
    import pystator

    namespace = {
        "StateMachine": pystator.StateMachine,
        "context": {},
        "executor": ActionExecutor(actions),
    }
    run_sample(block(9), namespace)
    config = namespace["config"]
    assert config.region_states == {
        "trading": "analyzing",
        "risk_monitor": "elevated",
        "data_feed": "connecting",
    }
    assert namespace["exit_actions"] == ()


DELAY_STATES = """\
states:
  - {name: waiting, type: initial}
  - {name: retry}
  - {name: pending}
  - {name: cancelled, type: terminal}
  - {name: active}
  - {name: closed, type: terminal}
"""


def test_seed_003_delayed_transition_yaml() -> None:
    from pystator import StateMachine

    Path("delays.yaml").write_text(DELAY_STATES + block(10), encoding="utf-8")
    machine = StateMachine.from_yaml("delays.yaml")
    assert [t.after_ms for t in machine.transitions] == [5000, 1_800_000, 3_600_000]


def test_seed_003_delayed_transitions_with_the_orchestrator() -> None:
    from pystator import ActionRegistry, GuardRegistry

    Path("order_fsm.yaml").write_text(seed_003_order_fsm(), encoding="utf-8")
    namespace = {"guards": GuardRegistry(), "actions": ActionRegistry(), "context": {}}
    run_sample(block(11), namespace)
    # The machine has no `submit`: the result says so and nothing is stored.
    assert namespace["result"].metadata["reason"] == "undefined_trigger"
    assert namespace["store"].get_state("order-123") is None


def test_seed_003_scheduler_adapters() -> None:
    from tests.conftest import REDIS_URL, require_redis

    require_redis()
    code = block(12).replace("redis://localhost:6379", REDIS_URL.rsplit("/", 1)[0])
    namespace = run_sample(code + "\nawait scheduler.close()\nawait redis.aclose()\n", {})
    assert type(namespace["scheduler"]).__name__ == "CeleryScheduler"


def inline_guard_machine(transitions: str, states: str) -> Any:
    from pystator import StateMachine

    Path("guarded.yaml").write_text(states + transitions, encoding="utf-8")
    return StateMachine.from_yaml("guarded.yaml")


def test_seed_003_inline_guard_expressions() -> None:
    machine = inline_guard_machine(
        block(13),
        "states:\n  - {name: open, type: initial}\n  - {name: filled, type: terminal}\n"
        "  - {name: partial}\n",
    )
    machine.guard("is_valid_order")(lambda ctx: True)
    fill = {"fill_qty": 10, "order_qty": 10, "price": 2, "symbol": "X"}
    assert machine.process("open", "fill", fill).target_state == "filled"
    partial = {"fill_qty": 4, "order_qty": 10}
    assert machine.process("open", "partial_fill", partial).target_state == "partial"


def test_seed_003_expression_features() -> None:
    from pystator import GuardEvaluator, GuardSpec

    fragment = yaml.safe_load(block(14))
    context = {"qty": 100, "filled": 50, "price": 10.5}
    # The comment's context, with the names the last three lines use.
    context |= {"status": "active", "item": 1, "items": [1, 2], "is_cancelled": False}
    evaluator = GuardEvaluator()
    outcomes = [
        bool(evaluator.evaluate([GuardSpec(expr=g["expr"])], context)) for g in fragment["guards"]
    ]
    assert outcomes == [True] * 6


def test_seed_003_event_normalization_yaml() -> None:
    machine = inline_guard_machine(
        block(15), "states:\n  - {name: open, type: initial}\n  - {name: filled, type: terminal}\n"
    )
    assert machine.process("open", "fill", {}).success
    assert machine.process("open", "FILL", {}).success


def test_seed_003_flatten_context_for_guards() -> None:
    machine = inline_guard_machine(
        "transitions:\n  - trigger: signal\n    source: scanning\n    dest: entering\n"
        "    guards: [{expr: 'position_count < 5'}]\n",
        "states:\n  - {name: scanning, type: initial}\n  - {name: entering, type: terminal}\n",
    )
    namespace = run_sample(block(16), {"machine": machine, "current_state": "scanning"})
    assert namespace["result"].target_state == "entering"


def test_seed_003_invoke_yaml_and_adapter_path() -> None:
    from pystator import StateMachine
    from pystator.orchestration.invoke import InvokeAdapter, NoOpInvokeAdapter

    states = yaml.safe_load(block(17))["states"]
    states[0]["type"] = "initial"  # the fragment's only state starts the machine
    # ... and its service's on_done event needs a transition to send.
    states.append({"name": "ended", "type": "terminal"})
    ended = {"trigger": "feed_ended", "source": "monitoring", "dest": "ended"}
    machine = StateMachine.from_dict({"states": states, "transitions": [ended]})
    (service,) = machine.get_state("monitoring").invoke
    assert (service.id, service.src, service.on_done) == ("price_feed", "websocket", "feed_ended")
    assert isinstance(NoOpInvokeAdapter(), InvokeAdapter)


def test_seed_003_action_parameters() -> None:
    from pystator import ActionExecutor, ActionRegistry

    machine = inline_guard_machine(
        block(18), "states:\n  - {name: open, type: initial}\n  - {name: filled, type: terminal}\n"
    )
    actions = ActionRegistry()
    for name in ("log_fill", "update_metrics"):
        actions.register(name, lambda ctx: None)
    notified: list[dict[str, Any]] = []
    run_sample(block(19), {"actions": actions, "notify": lambda **kw: notified.append(kw)})
    result = machine.process("open", "order_filled", {})
    assert ActionExecutor(actions).execute(result, {"message": "hi"}).success
    assert notified == [{"channel": "slack", "priority": "high", "message": "hi"}]


ASYNC_MACHINE = """\
states:
  - {name: OPEN, type: initial}
  - {name: FILLED, type: terminal}
  - name: active
    type: parallel
    regions:
      - {name: trading, initial: scanning, states: [scanning, analyzing]}
transitions:
  - {trigger: execution_report, source: OPEN, dest: FILLED, guards: [check_buying_power],
     actions: [update_position]}
  - {trigger: signal_detected, source: scanning, dest: analyzing, region: trading}
"""


def test_seed_003_async_support_and_execution_modes() -> None:
    from pystator import ActionExecutor, ActionRegistry, GuardRegistry, StateMachine

    Path("async.yaml").write_text(ASYNC_MACHINE, encoding="utf-8")
    machine = StateMachine.from_yaml("async.yaml")
    guards, actions, db = GuardRegistry(), ActionRegistry(), FakeDb()
    machine.bind_guards(guards)
    namespace: dict[str, Any] = {
        "guards": guards,
        "actions": actions,
        "broker": FakeBroker(),
        "db": db,
        "machine": machine,
        "context": {"order_value": 10, "symbol": "X", "qty": 1},
        "config": machine.enter_parallel_state("active"),
        "event": "signal_detected",
        "executor": ActionExecutor(actions),
        "ActionExecutor": ActionExecutor,
    }
    run_sample(block(20), namespace)
    assert namespace["result"].target_state == "FILLED"
    assert namespace["config"].region_states == {"trading": "analyzing"}
    assert namespace["execution"].success and db.positions == [("X", 1)]
    namespace["transition_result"] = namespace["result"]
    run_sample(block(21), namespace)
    assert namespace["result"].success and db.positions == [("X", 1)] * 2


REFERENCE_MACHINE = """\
states:
  - {name: STATE, type: initial}
  - name: parallel_state
    type: parallel
    regions:
      - {name: trading, initial: scanning, states: [scanning, analyzing]}
      - {name: risk, initial: normal, states: [normal]}
transitions:
  - {trigger: go, source: STATE, dest: parallel_state}
  - {trigger: signal_detected, source: scanning, dest: analyzing, region: trading}
"""


def test_seed_003_api_reference_listings(capsys: pytest.CaptureFixture[str]) -> None:
    import pystator

    Path("config.yaml").write_text(REFERENCE_MACHINE, encoding="utf-8")
    namespace: dict[str, Any] = {
        "StateMachine": pystator.StateMachine,
        "config_dict": yaml.safe_load(REFERENCE_MACHINE),
        "current_state": "STATE",
        "event": "signal_detected",
        "context": {},
    }
    run_sample(block(25), namespace)
    assert namespace["config"].region_states == {"trading": "analyzing", "risk": "normal"}
    namespace["result"] = namespace["machine"].process("STATE", "go")
    run_sample(block(26), namespace)
    namespace["config"] = namespace["machine"].enter_parallel_state("parallel_state")
    code = block(27).replace('"trading"', '"trading"')
    run_sample(code, namespace)
    config = namespace["config"]
    assert config.get_region_state("trading") == "scanning" and config.is_in_state("scanning")
    assert config.to_string() == "parallel_state:trading=scanning,risk=normal"


RUN_003 = {
    1: "test_seed_003_quick_start_yaml_as_written_names_its_missing_state",
    2: "test_seed_003_quick_start_runs_as_written",
    3: "test_seed_003_state_and_transition_values",
    4: "test_seed_003_state_and_transition_values",
    5: "test_seed_003_guards",
    6: "test_seed_003_actions",
    7: "test_seed_003_hierarchical_states",
    8: "test_seed_003_parallel_states_run_as_written",
    9: "test_seed_003_parallel_states_run_as_written",
    10: "test_seed_003_delayed_transition_yaml",
    11: "test_seed_003_delayed_transitions_with_the_orchestrator",
    12: "test_seed_003_scheduler_adapters",
    13: "test_seed_003_inline_guard_expressions",
    14: "test_seed_003_expression_features",
    15: "test_seed_003_event_normalization_yaml",
    16: "test_seed_003_flatten_context_for_guards",
    17: "test_seed_003_invoke_yaml_and_adapter_path",
    18: "test_seed_003_action_parameters",
    19: "test_seed_003_action_parameters",
    20: "test_seed_003_async_support_and_execution_modes",
    21: "test_seed_003_async_support_and_execution_modes",
    25: "test_seed_003_api_reference_listings",
    26: "test_seed_003_api_reference_listings",
    27: "test_seed_003_api_reference_listings",
}


# == Seeds 001 and 004: samples transcribed (their pages lost the code blocks' fences) ====
#
# Run as written in this file: seed 001's quick start, EntitySession, both ways of binding
# guards and actions, the Orchestrator with a delayed transition, the PyCharter context
# validator (with a stand-in `pycharter` module, which is not a dependency), hooks and
# metrics, error handling and soft failures, and the condensed API reference; seed 004's
# SQLite default and MongoDB. Elsewhere: seed 001's dict sample in
# tests/runtime/test_machine.py, seed 004's other stores, custom stores, multi-machine
# setup and context persistence in tests/runtime/stores/test_guide_samples.py. Not run:
# seed 001's and 004's shell commands (`pip install pystator...` would fetch the index's
# unrelated project; `pystator api` and `pystator db ...` are covered by
# tests/test_cli_api.py and tests/test_cli_db.py) and seed 004's HTTP transcript of the
# history API (tests/api/test_api.py sends the same requests).

MY_FSM = """\
meta: {machine_name: my_fsm}
states:
  - {name: idle, type: initial}
  - {name: started}
  - {name: done, type: terminal}
transitions:
  - {trigger: start, source: idle, dest: started}
  - {source: started, dest: done, after: "2s"}
"""


def test_seed_001_orchestrator_and_delayed_transitions() -> None:
    """As written, sleep included: the 2 s timer fires inside the 2.5 s sleep (both are
    timers of one event loop, which runs them in deadline order)."""
    Path("my_fsm.yaml").write_text(MY_FSM, encoding="utf-8")
    code = """\
import asyncio
from pystator import StateMachine, Orchestrator, GuardRegistry, ActionRegistry
from pystator import InMemoryStateStore
from pystator.scheduler import AsyncioScheduler
machine = StateMachine.from_yaml("my_fsm.yaml") # has a transition with after: "2s"
store = InMemoryStateStore()
guards = GuardRegistry()
actions = ActionRegistry()
scheduler = AsyncioScheduler()
orchestrator = Orchestrator(
machine=machine, state_store=store, guards=guards, actions=actions, scheduler=scheduler
)
async def main():
    await orchestrator.async_process_event("entity-1", "start", {})
    await asyncio.sleep(2.5) # delayed transition fires
    await orchestrator.close()
asyncio.run(main())
"""
    namespace = run_sample(code, {})
    assert namespace["store"].get_state("entity-1") == "done"


def test_seed_001_context_validation_with_pycharter(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from pystator import InMemoryStateStore, StateMachine

    class Validator:
        """Stands in for pycharter's: contracts say an order needs `qty`."""

        @classmethod
        def from_dir(cls, path: str) -> Validator:
            return cls()

        def validate_for_state(self, ctx: dict[str, Any], state: str) -> Any:
            errors = [] if "qty" in ctx else [f"{state}: qty is required"]
            return types.SimpleNamespace(is_valid=not errors, errors=errors)

    monkeypatch.setitem(sys.modules, "pycharter", types.SimpleNamespace(Validator=Validator))
    code = """\
from pystator import Orchestrator, ContextValidatorFn
from pycharter import Validator
validator = Validator.from_dir("contracts/order")
def order_context_validator(entity_id: str, state: str, trigger: str, ctx: dict):
    result = validator.validate_for_state(ctx, state)
    if result.is_valid:
        return True, []
    return False, [str(e) for e in result.errors]
orchestrator = Orchestrator(
machine=machine,
state_store=store,
context_validator=order_context_validator, # (entity_id, state, trigger, ctx) -> (ok, errors)
)
"""
    machine = StateMachine.from_yaml("order_fsm.yaml")
    namespace = run_sample(code, {"machine": machine, "store": InMemoryStateStore()})
    refused = namespace["orchestrator"].process_event("o-1", "exchange_ack", {})
    assert not refused.success and refused.metadata["reason"] == "context_validation"
    assert refused.metadata["errors"] == ["PENDING: qty is required"]
    assert namespace["orchestrator"].process_event("o-1", "exchange_ack", {"qty": 1}).success


def test_seed_001_hooks_sample_prints_one_and_one(capsys: pytest.CaptureFixture[str]) -> None:
    """The sample with its `# ... process events ...` line filled in as README says: the
    observer is given to the machine, so its hooks see what `process()` computes."""
    from pystator import LoggingHook, MetricsCollector, StateMachine, TransitionObserver

    machine = StateMachine.from_yaml("order_fsm.yaml")
    observer = TransitionObserver()
    observer.add_hook(LoggingHook())
    metrics = MetricsCollector()
    observer.add_hook(metrics)
    machine.observer = observer  # ... process events ...
    machine.process("PENDING", "exchange_ack", {})
    summary = metrics.get_summary()
    print(summary["total_transitions"])  # 1
    print(summary["success_rate"])  # 1.0
    assert capsys.readouterr().out == "1\n1.0\n"
    assert {"min_ms", "avg_ms", "p95_ms"} <= set(summary["duration"])


def test_seed_001_error_handling_as_written_returns_and_raise_for_error_raises(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """process() reports failures in its result, strict_mode or not; the strict path is
    `result.raise_for_error()`, which raises the result's error (README, Errors)."""
    from pystator import GuardRejectedError, StateMachine

    machine = StateMachine.from_yaml("order_fsm.yaml")
    machine.guard("is_full_fill")(lambda ctx: False)
    current_state, trigger, context = "OPEN", "execution_report", {}
    code = """\
from pystator import (
    FSMError, GuardRejectedError, InvalidTransitionError, UndefinedTriggerError,
    TerminalStateError, StaleVersionError, ErrorCode,
)
try:
    result = machine.process(current_state, trigger, context)
except GuardRejectedError as e:
    print(e.guard_name, e.current_state)
except TerminalStateError:
    print("Entity already in a terminal state")
except FSMError as e:
    print(e.code)
result = machine.process(current_state, trigger, context)
if not result.success:
    print(result.error)
    print(result.metadata)
"""
    namespace = run_sample(
        code,
        {
            "machine": machine,
            "current_state": current_state,
            "trigger": trigger,
            "context": context,
        },
    )
    error, metadata = capsys.readouterr().out.splitlines()
    assert error.startswith("Guard 'is_full_fill' rejected trigger 'execution_report'")
    assert metadata == "{'reason': 'guard_rejected', 'guard_name': 'is_full_fill'}"
    with pytest.raises(GuardRejectedError) as raised:
        namespace["result"].raise_for_error()
    assert (raised.value.guard_name, raised.value.current_state) == ("is_full_fill", "OPEN")


def test_seed_001_error_codes_listing() -> None:
    from pystator import ErrorCode

    listed = (
        "GUARD_REJECTED VALIDATION_FAILED INVALID_TRIGGER INVALID_STATE TERMINAL_STATE TIMEOUT "
        "CONFIG ACTION_FAILED STALE_VERSION GUARD_NOT_FOUND ACTION_NOT_FOUND UNDEFINED_STATE"
    )
    assert all(isinstance(getattr(ErrorCode, name), ErrorCode) for name in listed.split())


def test_seed_001_api_reference_listings() -> None:
    from pystator import (
        ActionExecutor,
        ActionRegistry,
        EntitySession,
        GuardRegistry,
        InMemoryStateStore,
        Orchestrator,
        StateMachine,
    )

    machine = StateMachine.from_yaml("order_fsm.yaml")
    guards = GuardRegistry()
    guards.register("is_full_fill", lambda ctx: True)
    actions = ActionRegistry()

    @actions.decorator()
    def update_positions(ctx: dict[str, Any]) -> None: ...

    machine.bind_guards(guards)
    instance = machine.create(context={"order_id": "1"}, initial_state=None)
    instance.exchange_ack()
    assert sorted(instance.allowed_triggers) == ["execution_report", "fill"]
    instance2 = EntitySession.from_snapshot(machine, instance.snapshot())
    result = asyncio.run(instance2.asend("execution_report"))
    assert result.all_actions == ("update_positions",) and instance2.is_final
    assert ActionExecutor(actions).execute(result, {}).success
    orchestrator = Orchestrator(
        machine=machine,
        state_store=InMemoryStateStore(),
        guards=guards,
        actions=actions,
        context_validator=lambda *args: (True, []),
        scheduler=None,
        use_initial_state_when_missing=True,
    )
    assert orchestrator.process_event("o-1", "exchange_ack", {}).target_state == "OPEN"
    assert json.dumps(result.metadata) == "{}"


def test_seed_004_sqlite_store_and_its_default_file() -> None:
    from pystator import SQLiteStateStore

    store = SQLiteStateStore("sqlite:///pystator.db")
    store.connect()  # auto_initialize=True by default
    store = SQLiteStateStore()
    store.connect()
    assert Path("pystator.db").exists()


def test_seed_004_mongodb_store_is_not_provided_and_says_so() -> None:
    with pytest.raises(ImportError, match="MongoDBStateStore is not provided"):
        from pystator import MongoDBStateStore  # noqa: F401
