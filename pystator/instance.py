"""Public home of the per-entity session (`from pystator.instance import EntitySession`).

The implementation lives in `pystator.runtime.session`.
"""

from pystator.runtime.session import EntitySession

__all__ = ["EntitySession"]
