"""Public home of the hooks API (`from pystator.hooks import MetricsCollector`).

The implementation lives in `pystator.runtime.hooks`.
"""

from pystator.runtime.hooks import (
    LoggingHook,
    MetricsCollector,
    TransitionHook,
    TransitionMetrics,
    TransitionObserver,
)

__all__ = [
    "LoggingHook",
    "MetricsCollector",
    "TransitionHook",
    "TransitionMetrics",
    "TransitionObserver",
]
