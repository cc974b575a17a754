"""pystator: YAML state machines compiled to typed Python, on a small runtime.

This module is the public API; it imports nothing outside the standard library.
"""

from pystator.runtime import *  # noqa: F403
from pystator.runtime import __all__ as _runtime_all

__version__ = "0.1.0"

__all__ = [*_runtime_all, "__version__"]
