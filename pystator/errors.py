"""Public home of the exception hierarchy (`from pystator.errors import FSMError`).

The implementation lives in `pystator.runtime.errors`; these are the names the runtime exports
from it, each loaded on first use.
"""

from typing import TYPE_CHECKING

from pystator._lazy import reexports

if TYPE_CHECKING:
    from pystator.runtime.errors import *  # noqa: F403
else:  # type checkers read the import above and see no fallback lookup
    __getattr__, __dir__ = reexports(__name__, "pystator.runtime", only="pystator.runtime.errors")
