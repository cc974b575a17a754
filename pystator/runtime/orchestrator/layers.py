"""Registries an Orchestrator layers over its machine's: its own handlers first, then the
machine's as they are at each call, so the shared machine is never changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pystator.runtime.actions import ActionFn, ActionRegistry
from pystator.runtime.guards import GuardFn, GuardRegistry
from pystator.runtime.machine import StateMachine
from pystator.runtime.registry import FnT, Registry


class Layered(Registry[FnT]):
    """`own` entries over those of `below()`, asked at each call: an entry registered
    below later is found, one `own` registers under the same name wins."""

    def __init__(self, own: Registry[FnT], below: Callable[[], Registry[FnT]]) -> None:
        super().__init__()
        self._entries = own._entries  # registering here registers in `own`, and back
        self._below = below

    def get(self, name: str) -> FnT:
        found = self._entries.get(name)
        return found if found is not None else self._below().get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._below()


class LayeredGuards(Layered[GuardFn], GuardRegistry):
    """`own` guards over the machine's: a guard bound later with `@machine.guard` is
    found, one `own` registers under the same name wins."""

    def __init__(self, own: GuardRegistry, machine: StateMachine[Any, Any, Any]) -> None:
        super().__init__(own, lambda: machine.guard_registry)


class LayeredActions(Layered[ActionFn], ActionRegistry):
    """`own` actions over the machine's, looked up the same way as `LayeredGuards`."""

    def __init__(self, own: ActionRegistry, machine: StateMachine[Any, Any, Any]) -> None:
        super().__init__(own, lambda: machine.action_registry)


def with_guards(
    machine: StateMachine[Any, Any, Any], guards: GuardRegistry | None
) -> StateMachine[Any, Any, Any]:
    """The machine the Orchestrator decides with: `machine` itself, or a shallow copy
    sharing its definition and engine whose guards are `guards` over the machine's."""
    if guards is None:
        return machine
    if not isinstance(guards, GuardRegistry):
        raise TypeError(f"guards must be a GuardRegistry, got {type(guards).__name__}")
    view = copy.copy(machine)
    view._guards = LayeredGuards(guards, machine)
    return view


def with_actions(
    machine: StateMachine[Any, Any, Any], actions: ActionRegistry | None
) -> ActionRegistry:
    """The actions the Orchestrator runs: `actions` over the machine's, or the machine's."""
    if actions is None:
        return LayeredActions(ActionRegistry(), machine)
    if not isinstance(actions, ActionRegistry):
        raise TypeError(f"actions must be an ActionRegistry, got {type(actions).__name__}")
    return LayeredActions(actions, machine)
