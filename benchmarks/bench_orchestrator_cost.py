"""What one `Orchestrator.process_event` costs on PostgreSQL (and on SQLite and Redis):
Python frames entered and statements or round trips sent, counted rather than timed, so
the figures hold on a busy machine.

Frames are `sys.setprofile` "call" events (functions, and generators resumed); statements
are counted on the psycopg connection (every cursor execute, plus BEGIN/COMMIT/ROLLBACK)
and in the store's libpq path (its save), and apart from them the pool's liveness checks
(an empty query, sent only for a connection whose socket has input waiting when the pool
hands it out). Run `python benchmarks/bench_orchestrator_cost.py [--quick]`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from bench_stores import FLIP, PG_URL, REDIS_URL, available  # noqa: E402

from pystator import (  # noqa: E402
    Orchestrator,
    PostgresStateStore,
    RedisStateStore,
    SQLiteStateStore,
    StateMachine,
)
from pystator.runtime.stores._libpq import Prepared  # noqa: E402


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

    # The store's save goes to libpq directly, past psycopg's cursors.
    prepared_run = Prepared._run
    psycopg.Cursor.execute = counted(originals["execute"])  # type: ignore[method-assign]
    psycopg.Cursor.executemany = counted(originals["executemany"])  # type: ignore[method-assign]
    psycopg.Connection._exec_command = counted(originals["command"])  # type: ignore[method-assign]
    Prepared._run = counted(prepared_run)  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Cursor.execute = originals["execute"]  # type: ignore[method-assign]
        psycopg.Cursor.executemany = originals["executemany"]  # type: ignore[method-assign]
        psycopg.Connection._exec_command = originals["command"]  # type: ignore[method-assign]
        Prepared._run = prepared_run  # type: ignore[method-assign]


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


@contextmanager
def counting_redis_round_trips() -> Iterator[None]:
    """Count what redis-py sends: one packed send per command or pipeline."""
    from redis.connection import Connection

    original = Connection.send_packed_command

    def run(*args: Any, **kwargs: Any) -> Any:
        Counts.statements += 1
        return original(*args, **kwargs)

    Connection.send_packed_command = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        Connection.send_packed_command = original  # type: ignore[method-assign]


def measure_other(kind: str, events: int, keyed: bool) -> tuple[float, float]:
    """Frames and SQLite statements (BEGIN and COMMIT included) or Redis round trips per
    event for `events` flips of one entity."""
    namespace = f"cost_{uuid.uuid4().hex[:8]}"
    if kind == "sqlite":
        store: Any = SQLiteStateStore(f"sqlite:///{tempfile.mkdtemp()}/cost.db").connect()
        store._db.set_trace_callback(
            lambda sql: setattr(Counts, "statements", Counts.statements + 1)
        )
        counting = nullcontext()
    else:
        store = RedisStateStore(REDIS_URL, key_prefix=namespace).connect()
        counting = counting_redis_round_trips()
    try:
        runner = Orchestrator(StateMachine.from_dict(FLIP), store)
        runner.process_event("e-1", "flip")
        Counts.frames = Counts.statements = 0
        with counting:
            sys.setprofile(_profile)
            try:
                for n in range(events):
                    runner.process_event("e-1", "flip", idempotency_key=f"k-{n}" if keyed else None)
            finally:
                sys.setprofile(None)
        return Counts.frames / events, Counts.statements / events
    finally:
        if kind == "redis":
            store.truncate()
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
    print(f"\nper Orchestrator.process_event on SQLite and Redis (mean of {events} events)")
    print(f"{'store, event':<32}{'Python frames':>15}{'statements / round trips':>26}")
    for kind in ("sqlite", "redis"):
        if available(kind) is not None:
            print(f"{kind}: skipped: {available(kind)}")
            continue
        for label, keyed in (("flip", False), ("flip + idempotency key", True)):
            frames, sent = measure_other(kind, events, keyed)
            print(f"{kind + ', ' + label:<32}{frames:>15.1f}{sent:>26.1f}")


if __name__ == "__main__":
    main()
