"""Public home of invoked services (`from pystator.orchestration.invoke import InvokeAdapter`).

The implementation lives in `pystator.runtime.invoke`.
"""

from pystator.runtime.invoke import InvokeAdapter, NoOpInvokeAdapter
from pystator.runtime.spec import InvokeSpec

__all__ = ["InvokeAdapter", "InvokeSpec", "NoOpInvokeAdapter"]
