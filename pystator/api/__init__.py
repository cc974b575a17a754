"""The REST API and web UI (the extra `api`): FastAPI over the compiler,
the machine catalog, the Orchestrator and the configured store.

Nothing in `pystator.runtime` or `pystator.generator` imports this package.
"""
