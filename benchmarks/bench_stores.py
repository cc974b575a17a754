"""Orchestrator throughput per durable store against a plain write loop on the same store.

For SQLite, PostgreSQL and Redis: events/s of `process_event` (load, decide, versioned
write with a history row, act) next to a bare `UPDATE` / `HSET` loop measured in the same
run, single process and 8 processes. Servers missing on this machine are reported and
skipped. Run `python benchmarks/bench_stores.py [--quick]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pystator import (  # noqa: E402
    Orchestrator,
    PostgresStateStore,
    RedisStateStore,
    SQLiteStateStore,
    StateMachine,
)

PG_URL = os.environ.get("PYSTATOR_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PYSTATOR_REDIS_URL", "redis://127.0.0.1:6379/0")
FLIP: dict[str, Any] = {
    "meta": {"machine_name": "flip"},
    "states": [{"name": "A", "type": "initial"}, {"name": "B"}],
    "transitions": [
        {"trigger": "flip", "source": "A", "dest": "B"},
        {"trigger": "flip", "source": "B", "dest": "A"},
    ],
}


def open_store(kind: str, target: str) -> Any:
    if kind == "sqlite":
        return SQLiteStateStore(target).connect()
    if kind == "postgres":
        return PostgresStateStore(PG_URL, schema=target, pool_size=2).connect()
    return RedisStateStore(REDIS_URL, key_prefix=target).connect()


def pystator_loop(kind: str, target: str, worker: int, events: int) -> float:
    runner = Orchestrator(StateMachine.from_dict(FLIP), open_store(kind, target))
    started = time.perf_counter()
    for n in range(events):
        runner.process_event(f"w{worker}-e{n % 20}", "flip")
    return time.perf_counter() - started


def plain_loop(kind: str, target: str, worker: int, events: int) -> float:
    """What a hand-written service would do at least: one write per event."""
    if kind == "sqlite":
        db = sqlite3.connect(target.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        db.execute("CREATE TABLE IF NOT EXISTS plain (id TEXT PRIMARY KEY, state TEXT)")
        write = lambda key, state: db.execute(  # noqa: E731
            "INSERT INTO plain VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET state = ?",
            (key, state, state),
        )
    elif kind == "postgres":
        import psycopg

        db = psycopg.connect(PG_URL, autocommit=True)
        db.execute(f"CREATE TABLE IF NOT EXISTS {target}.plain (id TEXT PRIMARY KEY, state TEXT)")
        write = lambda key, state: db.execute(  # noqa: E731
            f"INSERT INTO {target}.plain VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET state = %s",
            (key, state, state),
        )
    else:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        write = lambda key, state: client.hset(f"{target}:plain:{key}", "state", state)  # noqa: E731
    started = time.perf_counter()
    for n in range(events):
        write(f"w{worker}-e{n % 20}", "AB"[n % 2])
    return time.perf_counter() - started


def _run(args: tuple[str, str, str, int, int]) -> float:
    loop, kind, target, worker, events = args
    return (pystator_loop if loop == "pystator" else plain_loop)(kind, target, worker, events)


def throughput(loop: str, kind: str, target: str, processes: int, events: int) -> float:
    jobs = [(loop, kind, target, worker, events) for worker in range(processes)]
    if processes == 1:
        elapsed = _run(jobs[0])
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            started = time.perf_counter()
            pool.map(_run, jobs)
            elapsed = time.perf_counter() - started
    return processes * events / elapsed


def available(kind: str) -> str | None:
    try:
        if kind == "postgres":
            import psycopg

            psycopg.connect(PG_URL, connect_timeout=3).close()
        elif kind == "redis":
            import redis

            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure to reach the server
        return f"{type(exc).__name__}: {exc}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few events (smoke test)")
    args = parser.parse_args()
    events = 50 if args.quick else 2000
    print(f"events/s, {events} events per process (higher is better)")
    print(f"{'store':<10}{'procs':>6}{'pystator':>10}{'plain':>10}{'ratio':>8}")
    for kind in ("sqlite", "postgres", "redis"):
        problem = available(kind)
        if problem:
            print(f"{kind:<10} skipped: {problem}")
            continue
        namespace = f"bench_{uuid.uuid4().hex[:8]}"
        target = (
            f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}" if kind == "sqlite" else namespace
        )
        store = open_store(kind, target)
        for processes in (1, 8):
            ours = throughput("pystator", kind, target, processes, events)
            plain = throughput("plain", kind, target, processes, events)
            print(f"{kind:<10}{processes:>6}{ours:>10.0f}{plain:>10.0f}{ours / plain:>7.2f}x")
        if kind == "postgres":
            store.drop()
        elif kind == "redis":
            store.truncate()


if __name__ == "__main__":
    main()
