"""What one `Orchestrator.process_event` costs on PostgreSQL: Python frames entered and SQL
statements sent, counted rather than timed, so the figures hold on a busy machine.

Frames are `sys.setprofile` "call" events (functions, and generators resumed); statements
are counted on the psycopg connection (every cursor execute, plus BEGIN/COMMIT/ROLLBACK),
and apart from them the pool's liveness checks (an empty query per connection handed
out). Run `python benchmarks/bench_orchestrator_cost.py [--quick]`.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from bench_stores import FLIP, PG_URL, available  # noqa: E402

from pystator import Orchestrator, PostgresStateStore, StateMachine  # noqa: E402


class Counts:
    statements = 0
    checks = 0
    frames = 0


@contextmanager
def counting_statements() -> Iterator[None]:
    """Count what psycopg sends: cursor executes and the connection's own commands."""
    originals = {
        "execute": psycopg.Cursor.execute,
        "executemany": psycopg.Cursor.executemany,
        "command": psycopg.Connection._exec_command,
    }

    def counted(original: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            # The pool checks a connection it hands out with an empty query.
            if len(args) > 1 and args[1] == "":
                Counts.checks += 1
            else:
                Counts.statements += 1
            return original(*args, **kwargs)

        return run

    psycopg.Cursor.execute = counted(originals["execute"])  # type: ignore[method-assign]
    psycopg.Cursor.executemany = counted(originals["executemany"])  # type: ignore[method-assign]
    psycopg.Connection._exec_command = counted(originals["command"])  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Cursor.execute = originals["execute"]  # type: ignore[method-assign]
        psycopg.Cursor.executemany = originals["executemany"]  # type: ignore[method-assign]
        psycopg.Connection._exec_command = originals["command"]  # type: ignore[method-assign]


def _profile(frame: FrameType, event: str, arg: object) -> None:
    if event == "call":
        Counts.frames += 1


def measure(events: int, keyed: bool) -> tuple[float, float, float]:
    """Frames, statements and pool checks per event for `events` flips of one entity."""
    schema = f"cost_{uuid.uuid4().hex[:8]}"
    store = PostgresStateStore(PG_URL, schema=schema, pool_size=1).connect()
    try:
        runner = Orchestrator(StateMachine.from_dict(FLIP), store)
        runner.process_event("e-1", "flip")  # warm up: the entity exists, imports are done
        Counts.frames = Counts.statements = Counts.checks = 0
        with counting_statements():
            sys.setprofile(_profile)
            try:
                for n in range(events):
                    key = f"k-{n}" if keyed else None
                    runner.process_event("e-1", "flip", idempotency_key=key)
            finally:
                sys.setprofile(None)
        return Counts.frames / events, Counts.statements / events, Counts.checks / events
    finally:
        store.drop()
        store.close()


#: What a hand-written service sends per event at the least: one read, one write.
PLAIN_STATEMENTS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few events, to check it runs")
    options = parser.parse_args()
    events = 5 if options.quick else 200
    print(f"per Orchestrator.process_event on PostgreSQL (mean of {events} events)")
    print(
        f"{'event':<24}{'Python frames':>15}{'SQL statements':>16}{'pool checks':>13}"
        f"{'statements ratio to plain read+write':>38}"
    )
    problem = available("postgres")
    if problem is not None:
        print(f"skipped: {problem}")
        return
    for label, keyed in (("flip", False), ("flip + idempotency key", True)):
        frames, statements, checks = measure(events, keyed)
        ratio = statements / PLAIN_STATEMENTS
        print(f"{label:<24}{frames:>15.1f}{statements:>16.1f}{checks:>13.1f}{ratio:>37.2f}x")


if __name__ == "__main__":
    main()
