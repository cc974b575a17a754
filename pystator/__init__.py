"""pystator: YAML state machines compiled to typed Python, on a small runtime.

The public API: standard library only, each name loading its part of the runtime on first use.
Every public name but the version is the runtime's own (`pystator.runtime`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pystator._lazy import NOT_PROVIDED, reexports
from pystator._version import __version__ as __version__

if TYPE_CHECKING:
    from pystator.runtime import *  # noqa: F403
else:  # type checkers read the import above and see no fallback lookup
    __getattr__, __dir__ = reexports(
        __name__, "pystator.runtime", own=("__version__",), absent=NOT_PROVIDED
    )
