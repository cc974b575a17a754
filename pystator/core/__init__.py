"""Public home of the documents' `pystator.core` paths (`pystator.core.state_store`).

Everything here is the runtime's own; see `pystator.runtime`.
"""
