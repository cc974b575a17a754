"""The asynchronous driver: the decision core never awaits, and each guard is still called
once per event, however many of them are asynchronous."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pystator import ConfigurationError, StateMachine

Write = Callable[..., Path]

TWO_GUARDS = """\
states:
  - {name: a, type: initial}
  - {name: b}
  - {name: c, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b, guards: [ready, allowed]}
  - {trigger: go, source: a, dest: c, guards: [fallback]}
"""


def counted(write_yaml: Write, outcomes: dict[str, bool], calls: Counter[str]) -> Any:
    machine = StateMachine.from_yaml(write_yaml(TWO_GUARDS))

    def guard(name: str, asynchronous: bool) -> Callable[[Any], Any]:
        async def later(context: Any) -> bool:
            calls[name] += 1
            await asyncio.sleep(0)
            return outcomes[name]

        def now(context: Any) -> bool:
            calls[name] += 1
            return outcomes[name]

        return later if asynchronous else now

    machine.guard("ready")(guard("ready", False))
    machine.guard("allowed")(guard("allowed", True))
    machine.guard("fallback")(guard("fallback", True))
    return machine


def test_every_guard_is_called_once_per_event_whatever_its_kind(write_yaml: Write) -> None:
    calls: Counter[str] = Counter()
    machine = counted(write_yaml, {"ready": True, "allowed": False, "fallback": True}, calls)
    result = asyncio.run(machine.create().asend("go"))
    assert result.target_state == "c"
    assert calls == Counter({"ready": 1, "allowed": 1, "fallback": 1})


def test_an_asynchronous_guard_that_raises_rejects_its_transition(write_yaml: Write) -> None:
    machine = StateMachine.from_yaml(write_yaml(TWO_GUARDS))
    machine.guard("ready")(lambda context: True)

    async def broken(context: Any) -> bool:
        raise ValueError("no answer")

    machine.guard("allowed")(broken)
    machine.guard("fallback")(broken)
    result = asyncio.run(machine.aprocess("a", "go"))
    assert not result.success
    assert result.metadata["guard_error"] == "ValueError: no answer"


def test_the_synchronous_driver_refuses_an_asynchronous_guard(write_yaml: Write) -> None:
    calls: Counter[str] = Counter()
    machine = counted(write_yaml, {"ready": True, "allowed": True, "fallback": True}, calls)
    with pytest.raises(ConfigurationError, match="asynchronous"):
        machine.create().send("go")
