"""Public home of the diagram writers (`from pystator.visualization import to_mermaid`).

The implementation lives in `pystator.runtime.visualization`.
"""

from pystator.runtime.visualization import to_dot, to_mermaid

__all__ = ["to_dot", "to_mermaid"]
