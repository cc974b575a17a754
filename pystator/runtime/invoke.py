"""Invoke: long-lived services a state starts when entered and stops when left.

The Orchestrator calls an `InvokeAdapter` after each commit; when a service finishes, the
application reports it with `Orchestrator.service_done`, which sends the `on_done` event.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from pystator.runtime.spec import InvokeSpec


@runtime_checkable
class InvokeAdapter(Protocol):
    """Starts and stops the services listed under a state's `invoke:` (sync or async).

    Adapters implement both methods; subclassing is optional, and inherits methods that do
    nothing."""

    def start_services(
        self,
        entity_id: str,
        state_name: str,
        invoke_specs: Sequence[InvokeSpec],
        context: dict[str, Any],
    ) -> object:
        return None

    def stop_services(self, entity_id: str, state_name: str) -> object:
        return None


class NoOpInvokeAdapter(InvokeAdapter):
    """Starts nothing: the behaviour when no adapter is given, as an explicit object."""


async def call_adapter(outcome: object) -> None:
    """Await what an adapter method returned when it is awaitable."""
    if inspect.isawaitable(outcome):
        await outcome
