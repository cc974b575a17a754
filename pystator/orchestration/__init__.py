"""Public home of the documents' `pystator.orchestration` paths (`orchestration.invoke`).

The Orchestrator itself is `pystator.Orchestrator`; see `pystator.runtime.orchestrator`.
"""
