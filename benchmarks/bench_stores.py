"""Orchestrator throughput per durable store against a plain upsert loop on the same store.

For SQLite, PostgreSQL and Redis: events/s of `process_event` (decide, versioned write
with a history row, act) next to the least a hand-written service does per event, one
upsert of the entity's row in the same table (`entity_states`; on Redis the entity's
hash), each its own commit. `process_event` decides from the record it kept after the
entity's last commit, so an event is one comparing write; beside it, the same with
`cache_size=0` (a read and a write per event, as when another process wrote the entity
last), and the store's own comparing write with its history row alone, nothing decided
(the floor of an event). Single process and 8 processes; the loops alternate for several
rounds and the medians are printed. Servers missing on this machine are reported and
skipped. Run `python benchmarks/bench_stores.py [--quick]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import Figure, report  # noqa: E402

from pystator import (  # noqa: E402
    Orchestrator,
    PostgresStateStore,
    RedisStateStore,
    SQLiteStateStore,
    StateMachine,
)
from pystator.runtime.stores.base import EntityRecord, HistoryEntry  # noqa: E402

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

#: Entities per process; events go round them.
ENTITIES = 20

#: The plain loop's upsert: the row the store keeps for an entity, its version counted up.
UPSERT = (
    "INSERT INTO {t}entity_states (machine_name, entity_id, state, context, history, "
    "parallel, machine_version, fingerprint, timers, version) "
    "VALUES ('plain', ?, ?, '{{}}', '{{}}', NULL, '', '', '{{}}', 1) "
    "ON CONFLICT (machine_name, entity_id) DO UPDATE SET state = excluded.state, "
    "version = {t}entity_states.version + 1"
)


def open_store(kind: str, target: str) -> Any:
    if kind == "sqlite":
        return SQLiteStateStore(target).connect()
    if kind == "postgres":
        return PostgresStateStore(PG_URL, schema=target, pool_size=2).connect()
    return RedisStateStore(REDIS_URL, key_prefix=target).connect()


def pystator_loop(kind: str, target: str, cache_size: int = 1024) -> Callable[[str, int], object]:
    machine = StateMachine.from_dict(FLIP)
    runner = Orchestrator(machine, open_store(kind, target), cache_size=cache_size)
    return lambda entity_id, n: runner.process_event(entity_id, "flip")


def reread_loop(kind: str, target: str) -> Callable[[str, int], object]:
    """`process_event` reading the entity for every event: nothing kept."""
    return pystator_loop(kind, target, cache_size=0)


def floor_loop(kind: str, target: str) -> Callable[[str, int], object]:
    """The store's own part of an event, nothing decided: the entity written flipped with a
    history row, by a comparing write over the record the last one returned (entities of a
    machine of their own). What `process_event` costs above this is the Orchestrator's."""
    store = open_store(kind, target)
    kept: dict[str, EntityRecord] = {}

    def send(entity_id: str, n: int) -> object:
        record = kept.get(entity_id) or store.load(entity_id, machine_name="floor")
        state = "B" if record is not None and record.state == "A" else "A"
        entry = HistoryEntry(entity_id, "", state, "flip", True, None, (), "", 0.0)
        written = EntityRecord(entity_id, state, {}, 0, "floor")
        kept[entity_id] = store.commit(written, record if record is not None else 0, entry)
        return kept[entity_id]

    return send


def plain_loop(kind: str, target: str) -> Callable[[str, int], object]:
    """What a hand-written service does at least: one upsert per event, committed."""
    if kind == "sqlite":
        db = sqlite3.connect(target.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        # The store's own settings: write-ahead log, synced at checkpoints.
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        sql = UPSERT.format(t="")
        return lambda entity_id, n: db.execute(sql, (entity_id, "AB"[n % 2]))
    if kind == "postgres":
        import psycopg

        pg = psycopg.connect(PG_URL, autocommit=True)
        sql = UPSERT.format(t=f"{target}.").replace("?", "%s")
        return lambda entity_id, n: pg.execute(sql, (entity_id, "AB"[n % 2]))
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    return lambda entity_id, n: client.hset(
        f"{target}:plain:{entity_id}", mapping={"state": "AB"[n % 2], "version": n}
    )


LOOPS = {
    "pystator": pystator_loop,
    "reread": reread_loop,
    "floor": floor_loop,
    "plain": plain_loop,
}

_start: Any = None


def _share_barrier(barrier: Any) -> None:
    global _start
    _start = barrier


def _run(args: tuple[str, str, str, int, int]) -> tuple[float, float]:
    """One process's loop: set up, wait for the others, then time `events` events."""
    loop, kind, target, worker, events = args
    send = LOOPS[loop](kind, target)
    ids = [f"w{worker}-e{n}" for n in range(ENTITIES)]
    for n, entity_id in enumerate(ids):  # every entity exists before the clock starts
        send(entity_id, n)
    if _start is not None:
        _start.wait()
    started = time.perf_counter()
    for n in range(events):
        send(ids[n % ENTITIES], n)
    return started, time.perf_counter()


def throughput(loop: str, kind: str, target: str, processes: int, events: int) -> float:
    """Events/s of all processes together, from the first start to the last end."""
    jobs = [(loop, kind, target, worker, events) for worker in range(processes)]
    if processes == 1:
        spans = [_run(jobs[0])]
    else:
        context = multiprocessing.get_context("spawn")
        # A worker that failed before the barrier breaks it for the others after a while.
        barrier = context.Barrier(processes, timeout=300)
        with context.Pool(processes, _share_barrier, (barrier,)) as pool:
            spans = pool.map(_run, jobs)
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
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


#: process_event's events/s over the plain loop's.
TARGET = 0.5


def main() -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few events (smoke test)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per figure")
    parser.add_argument("--stores", default="sqlite,postgres,redis", help="which stores")
    args = parser.parse_args()
    events = 50 if args.quick else 2000
    rounds = 1 if args.quick else args.rounds
    print(f"events/s, {events} events per process, medians of {rounds} alternating rounds")
    figures: list[Figure] = []
    print(
        f"{'store':<10}{'procs':>6}{'pystator':>10}{'re-read':>10}{'floor':>10}{'plain':>10}"
        f"{'ratio':>8}{'re-read':>9}{'floor':>8}"
    )
    for kind in args.stores.split(","):
        problem = available(kind)
        if problem:
            print(f"{kind:<10} skipped: {problem}")
            continue
        namespace = f"bench_{uuid.uuid4().hex[:8]}"
        target = (
            f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}" if kind == "sqlite" else namespace
        )
        store = open_store(kind, target)
        try:
            for processes in (1, 8):
                rates: dict[str, list[float]] = {loop: [] for loop in LOOPS}
                ratios: dict[str, list[float]] = {loop: [] for loop in LOOPS}
                for _ in range(rounds):
                    for loop in LOOPS:
                        rates[loop].append(throughput(loop, kind, target, processes, events))
                    for loop in LOOPS:
                        ratios[loop].append(rates[loop][-1] / rates["plain"][-1])
                rate = {loop: statistics.median(values) for loop, values in rates.items()}
                ratio = {loop: statistics.median(values) for loop, values in ratios.items()}
                print(
                    f"{kind:<10}{processes:>6}{rate['pystator']:>10.0f}{rate['reread']:>10.0f}"
                    f"{rate['floor']:>10.0f}{rate['plain']:>10.0f}{ratio['pystator']:>7.2f}x"
                    f"{ratio['reread']:>8.2f}x{ratio['floor']:>7.2f}x"
                )
                name = f"{kind}, {processes} process{'es' if processes > 1 else ''}"
                described = {
                    "pystator": (f"process_event, {name}", TARGET),
                    "reread": (f"process_event reading every entity, {name}", None),
                    "floor": (f"store's comparing write alone, {name}", None),
                }
                figures += [
                    Figure(
                        title,
                        rate[loop],
                        rate["plain"],
                        "events/s",
                        ratio[loop],
                        goal,
                        "higher",
                    )
                    for loop, (title, goal) in described.items()
                ]
        finally:
            if kind == "postgres":
                store.drop()
            elif kind == "redis":
                store.truncate()
            store.close()
    return report(figures)


if __name__ == "__main__":
    main()
