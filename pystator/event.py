"""Public home of the event value (`from pystator.event import Event`).

The implementation lives in `pystator.runtime.definition`.
"""

from pystator.runtime.definition import Event

__all__ = ["Event"]
