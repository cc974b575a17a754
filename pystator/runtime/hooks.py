"""Hooks: observe transitions as machines, sessions and the orchestrator compute them.

A `TransitionObserver` fans each lifecycle call out to its hooks; a failing hook is logged
and never changes the outcome of a transition.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pystator.runtime.results import TransitionResult

if TYPE_CHECKING:
    import logging


def _logger() -> logging.Logger:
    """Where failing hooks are reported; `logging` loads on the first failure, not at import."""
    import logging

    return logging.getLogger("pystator.hooks")


@runtime_checkable
class TransitionHook(Protocol):
    """The four lifecycle calls a hook receives, in this order."""

    def on_before_process(
        self, entity_id: str, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None: ...

    def on_transition_start(
        self, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None: ...

    def on_transition_complete(
        self, result: TransitionResult, duration_ms: float, context: dict[str, Any]
    ) -> None: ...

    def on_transition_error(
        self, error: Exception, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None: ...


class TransitionObserver:
    """Dispatches lifecycle calls to hooks; holds no per-transition state, so one observer
    can serve many threads and sessions at once."""

    def __init__(self, hooks: list[TransitionHook] | None = None) -> None:
        self._hooks: tuple[TransitionHook, ...] = tuple(hooks or ())

    @property
    def hooks(self) -> tuple[TransitionHook, ...]:
        return self._hooks

    def add_hook(self, hook: TransitionHook) -> TransitionObserver:
        for method in (
            "on_before_process",
            "on_transition_start",
            "on_transition_complete",
            "on_transition_error",
        ):
            if not callable(getattr(hook, method, None)):
                raise TypeError(f"{type(hook).__name__} is not a TransitionHook: no {method}()")
        self._hooks = (*self._hooks, hook)
        return self

    def remove_hook(self, hook: TransitionHook) -> None:
        self._hooks = tuple(h for h in self._hooks if h is not hook)

    def before_process(
        self, entity_id: str, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        self._notify("on_before_process", entity_id, current_state, trigger, context)

    def before_transition(self, current_state: str, trigger: str, context: dict[str, Any]) -> float:
        """Notify hooks; returns the start time to pass to `after_transition`."""
        self._notify("on_transition_start", current_state, trigger, context)
        return time.perf_counter()

    def after_transition(
        self, result: TransitionResult, context: dict[str, Any], started: float | None = None
    ) -> None:
        duration_ms = (time.perf_counter() - started) * 1000.0 if started is not None else 0.0
        self._notify("on_transition_complete", result, duration_ms, context)

    def on_error(
        self, error: Exception, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        self._notify("on_transition_error", error, current_state, trigger, context)

    def _notify(self, method: str, *args: Any) -> None:
        """Call `method` of every hook with `args`; a hook that raises is logged and skipped."""
        for hook in self._hooks:
            try:
                getattr(hook, method)(*args)
            except Exception:
                _logger().exception("hook %s failed in %s", type(hook).__name__, method)


class LoggingHook:
    """Logs every transition: DEBUG when it starts, INFO when it succeeds, WARNING otherwise."""

    def __init__(
        self,
        logger_name: str = "pystator.transitions",
        level: int = 20,  # logging.INFO, written out so that importing hooks loads no logging
    ) -> None:
        import logging

        self.logger = logging.getLogger(logger_name)
        self.level = level

    def on_before_process(
        self, entity_id: str, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        self.logger.debug("entity %s: %s received %s", entity_id, current_state, trigger)

    def on_transition_start(
        self, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        self.logger.debug("transition %s --%s--> ...", current_state, trigger)

    def on_transition_complete(
        self, result: TransitionResult, duration_ms: float, context: dict[str, Any]
    ) -> None:
        if result.success:
            self.logger.log(
                self.level,
                "transition %s --%s--> %s in %.3f ms",
                result.source_state,
                result.trigger,
                result.target_state,
                duration_ms,
            )
        else:
            self.logger.warning(
                "transition %s --%s--> refused (%s): %s",
                result.source_state,
                result.trigger,
                result.metadata.get("reason", "error"),
                result.error,
            )

    def on_transition_error(
        self, error: Exception, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        self.logger.error("transition %s --%s--> raised %r", current_state, trigger, error)


@dataclass(frozen=True, slots=True)
class TransitionMetrics:
    """One observed transition."""

    source_state: str
    target_state: str | None
    trigger: str
    success: bool
    duration_ms: float
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))


class MetricsCollector:
    """Counts transitions and their durations; `get_summary()` reports them."""

    def __init__(self, max_samples: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._max_samples = max_samples
        self.reset()

    def reset(self) -> None:
        self._total = 0
        self._success = 0
        self._errors = 0
        self._durations: deque[float] = deque(maxlen=self._max_samples)
        self._by_trigger: Counter[str] = Counter()
        self._by_source: Counter[str] = Counter()
        self._by_target: Counter[str] = Counter()
        self.transitions: deque[TransitionMetrics] = deque(maxlen=self._max_samples)

    def on_before_process(
        self, entity_id: str, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        return None

    def on_transition_start(
        self, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        return None

    def on_transition_complete(
        self, result: TransitionResult, duration_ms: float, context: dict[str, Any]
    ) -> None:
        with self._lock:
            self._total += 1
            self._success += result.success
            self._by_trigger[result.trigger] += 1
            self._by_source[result.source_state] += 1
            if result.target_state is not None:
                self._by_target[result.target_state] += 1
            # Bounded deques keep memory flat on long-running services.
            self._durations.append(duration_ms)
            self.transitions.append(
                TransitionMetrics(
                    result.source_state,
                    result.target_state,
                    result.trigger,
                    result.success,
                    duration_ms,
                )
            )

    def on_transition_error(
        self, error: Exception, current_state: str, trigger: str, context: dict[str, Any]
    ) -> None:
        with self._lock:
            self._errors += 1

    def get_summary(self) -> dict[str, Any]:
        with self._lock:
            total = self._total
            durations = sorted(self._durations)
            summary: dict[str, Any] = {
                "total_transitions": total,
                "successful": self._success,
                "failed": total - self._success,
                "errors": self._errors,
                "success_rate": self._success / total if total else 0.0,
                "by_trigger": dict(self._by_trigger),
                "by_source_state": dict(self._by_source),
                "by_target_state": dict(self._by_target),
                "duration": {},
            }
        if durations:
            count = len(durations)
            summary["duration"] = {
                "min_ms": durations[0],
                "max_ms": durations[-1],
                "avg_ms": sum(durations) / count,
                "p50_ms": durations[count // 2],
                "p95_ms": durations[min(count - 1, int(count * 0.95))],
                "p99_ms": durations[min(count - 1, int(count * 0.99))],
            }
        return summary
