"""Public home of the guard API (`from pystator.guards import GuardRegistry`).

The implementation lives in `pystator.runtime.guards`.
"""

from pystator.runtime.guards import GUARD_PARAMS_KEY, GuardRegistry, check_predicate

__all__ = ["GUARD_PARAMS_KEY", "GuardRegistry", "check_predicate"]
