"""The Celery application of the scheduler tests, as a worker process and a client load it.

Configured from the environment so that each test run uses its own queue and database.
"""

from __future__ import annotations

import os

from celery import Celery

from pystator import Orchestrator, SQLiteStateStore, StateMachine
from pystator.scheduler import CeleryScheduler
from tests.runtime.scheduler.support import TIMED

app = Celery("pystator_tests", broker=os.environ.get("PYSTATOR_TEST_BROKER", "memory://"))
app.conf.task_default_queue = os.environ.get("PYSTATOR_TEST_QUEUE", "pystator_tests")
app.conf.broker_connection_retry_on_startup = True

scheduler = CeleryScheduler(app)
scheduler.register_task()
orchestrator = Orchestrator(
    StateMachine.from_yaml(TIMED),
    SQLiteStateStore(os.environ.get("PYSTATOR_TEST_DB", "sqlite:///:memory:")),
    scheduler=scheduler,
)
