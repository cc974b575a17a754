"""Public home of the machine (`from pystator.machine import StateMachine`).

The implementation lives in `pystator.runtime.machine`.
"""

from pystator.runtime.machine import StateMachine

__all__ = ["StateMachine"]
