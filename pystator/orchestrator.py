"""Public home of the Orchestrator (`from pystator.orchestrator import Orchestrator`).

The implementation lives in `pystator.runtime.orchestrator`.
"""

from pystator.runtime.orchestrator import ContextValidatorFn, Orchestrator, TimerOutcome

__all__ = ["ContextValidatorFn", "Orchestrator", "TimerOutcome"]
