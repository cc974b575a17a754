"""Public home of the state stores (`from pystator.stores import SQLiteStateStore`).

The implementations live in `pystator.runtime.stores`, whose names this package gives; each
loads on first use.
"""

from typing import TYPE_CHECKING

from pystator._lazy import NOT_PROVIDED, reexports

if TYPE_CHECKING:
    from pystator.runtime.stores import *  # noqa: F403
else:  # type checkers read the import above and see no fallback lookup
    __getattr__, __dir__ = reexports(__name__, "pystator.runtime.stores", absent=NOT_PROVIDED)
