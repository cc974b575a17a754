"""The code samples of the PyStator documents, run as written (with small fakes for the
application objects they mention: an email service, a broker, a database)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

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


def test_hooks_and_metrics_count_one_transition() -> None:
    from pystator import LoggingHook, MetricsCollector, StateMachine, TransitionObserver

    machine = StateMachine.from_yaml("order_fsm.yaml")
    observer = TransitionObserver()
    observer.add_hook(LoggingHook())
    metrics = MetricsCollector()
    observer.add_hook(metrics)
    machine.observer = observer  # the observer is given to the machine
    machine.process("PENDING", "exchange_ack", {})
    summary = metrics.get_summary()
    assert summary["total_transitions"] == 1
    assert summary["success_rate"] == 1.0
    assert set(summary["duration"]) >= {"min_ms", "avg_ms", "p95_ms"}


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
