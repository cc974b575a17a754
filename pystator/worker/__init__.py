"""The event worker: `EventQueue` (and `submit_event()`) queue events in `worker_events`;
`pystator worker` claims them safely from several processes and runs them through the
Orchestrator."""

from pystator.worker.queue import EventQueue, EventStatus, QueuedEvent, submit_event
from pystator.worker.runner import Worker

__all__ = ["EventQueue", "EventStatus", "QueuedEvent", "Worker", "submit_event"]
