"""The event worker: `submit_event()` queues events in `worker_events`; `pystator worker`
claims them safely from several processes and runs them through the Orchestrator."""

from pystator.worker.queue import QueuedEvent, Worker, submit_event

__all__ = ["QueuedEvent", "Worker", "submit_event"]
