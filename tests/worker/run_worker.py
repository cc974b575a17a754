"""A worker process for the tests: drains the queue of one database, then exits."""

from __future__ import annotations

import sys

from pystator.db.database import Database
from pystator.worker import Worker

if __name__ == "__main__":
    url, schema = sys.argv[1], sys.argv[2]
    database = Database(url, schema=schema, pool_size=2).connect()
    worker = Worker(database, poll_interval=0.05)
    count = worker.run(exit_when_idle=True)
    database.close()
    print(f"processed {count}")
