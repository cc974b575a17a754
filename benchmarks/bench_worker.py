"""The event worker on PostgreSQL: 4 worker processes drain a queue of events for 100
entities, against the Orchestrator's own single-process throughput on the same store.

Each round queues the events (`worker_events`, one schema of the benchmark's own), starts the
workers (`Worker.run(exit_when_idle=True)`, the loop `pystator worker --once` runs), lets
them go at once, and times the drain until the last one exits; the same events, on other
entities, go through `Orchestrator.process_event` in a loop in this process, in turn with
the drain. Afterwards every event must be done exactly once and every entity in the state a
replay of its events gives. Run `python benchmarks/bench_worker.py [--quick]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import Figure, report  # noqa: E402

from pystator import Orchestrator  # noqa: E402
from pystator.db.catalog import Catalog  # noqa: E402
from pystator.db.database import Database  # noqa: E402

PG_URL = os.environ.get("PYSTATOR_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
#: Three states whose end state depends on the order of the events; `count` counts them.
ROTOR = """\
meta: {machine_name: rotor}
states:
  - {name: a, type: initial}
  - {name: b}
  - {name: c}
transitions:
  - {trigger: x, source: a, dest: b, actions: [{increment: count}]}
  - {trigger: x, source: b, dest: c, actions: [{increment: count}]}
  - {trigger: x, source: c, dest: a, actions: [{increment: count}]}
  - {trigger: y, source: a, dest: c, actions: [{increment: count}]}
  - {trigger: y, source: c, dest: b, actions: [{increment: count}]}
  - {trigger: y, source: b, dest: a, actions: [{increment: count}]}
"""


def work(schema: str, ready: Any, go: Any, done: Any) -> None:
    """One worker process: connect and warm up, wait for the start, drain, report."""
    from pystator.worker import Worker

    database = Database(PG_URL, schema=schema, pool_size=2).connect()
    worker = Worker(database, poll_interval=0.02)
    worker.orchestrators.get("rotor")  # compile the machine before the clock starts
    ready.put(os.getpid())
    go.wait()
    done.put(worker.run(exit_when_idle=True))
    database.close()


def drain(schema: str, database: Database, events: list[tuple[str, str]], workers: int) -> float:
    """Queue `events`, let `workers` processes drain them; events/s from the start signal
    until the last worker exits."""
    with database.transaction() as cursor:
        for entity, trigger in events:
            cursor.execute(
                f"INSERT INTO {schema}.worker_events (machine_id, entity_id, trigger, "
                "context, created_at) VALUES ('rotor', %s, %s, '{}', 'bench')",
                (entity, trigger),
            )
    context = multiprocessing.get_context("spawn")
    ready, done, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(target=work, args=(schema, ready, go, done)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=120)
    started = time.perf_counter()
    go.set()
    counts = [done.get(timeout=600) for _ in processes]
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    if sum(counts) != len(events):
        raise SystemExit(f"workers processed {counts}, {sum(counts)} of {len(events)} events")
    return len(events) / elapsed


def orchestrator_loop(database: Database, events: list[tuple[str, str]]) -> float:
    """The same events through `process_event` in one process: events/s."""
    runner = Orchestrator(Catalog(database).machine("rotor"), database.store)
    started = time.perf_counter()
    for entity, trigger in events:
        runner.process_event(entity, trigger)
    return len(events) / (time.perf_counter() - started)


def check(database: Database, schema: str, events: list[tuple[str, str]]) -> None:
    """Every queued event done once, every entity where a replay of its events leaves it."""
    rows = database.query(f"SELECT status, COUNT(*) FROM {schema}.worker_events GROUP BY status")
    if dict(rows) != {"done": len(events)}:
        raise SystemExit(f"queue after the drain: {dict(rows)}, expected {len(events)} done")
    machine = Catalog(database).machine("rotor")
    replay: dict[str, Any] = {}
    for entity, trigger in events:
        replay.setdefault(entity, machine.create()).send(trigger)
    for entity, session in replay.items():
        record = database.store.load(entity, machine_name="rotor")
        expected = (session.current_state, session.context["count"])
        if record is None or (record.state, record.context.get("count")) != expected:
            found = None if record is None else (record.state, record.context.get("count"))
            raise SystemExit(f"entity {entity}: {found}, a replay gives {expected}")


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few events (smoke test)")
    args = parser.parse_args(argv)
    count, entities, workers, rounds = (200, 10, 2, 1) if args.quick else (5000, 100, 4, 3)
    schema = f"bench_worker_{uuid.uuid4().hex[:8]}"
    database = Database(PG_URL, schema=schema).connect()
    try:
        Catalog(database).create(ROTOR)
        rng = random.Random(7)
        plan = [(rng.randrange(entities), rng.choice("xy")) for _ in range(count)]
        ours, single = [], []
        for n in range(rounds):
            queued = [(f"w{n}-e{entity}", trigger) for entity, trigger in plan]
            ours.append(drain(schema, database, queued, workers))
            check(database, schema, queued)
            database.query(f"DELETE FROM {schema}.worker_events RETURNING 1")
            single.append(orchestrator_loop(database, [(f"o{n}-e{e}", t) for e, t in plan]))
    finally:
        database.store.drop()  # type: ignore[attr-defined]
        database.close()
    value, baseline = statistics.median(ours), statistics.median(single)
    ratio = statistics.median(a / b for a, b in zip(ours, single, strict=True))
    print(f"{count} events for {entities} entities, {workers} workers, {rounds} round(s)")
    print(f"  worker drain           {value:8.0f} events/s  (rounds: {_list(ours)})")
    print(f"  process_event loop     {baseline:8.0f} events/s  (rounds: {_list(single)})")
    print(f"  ratio worker / single-process Orchestrator (median of rounds): {ratio:.2f}x")
    print("  every event applied once; every entity in its replayed state")
    return report(
        [
            Figure(
                f"worker, {workers} procs on PostgreSQL",
                value,
                baseline,
                "events/s",
                ratio,
                None,
                "higher",
            )
        ]
    )


def _list(values: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in values)


if __name__ == "__main__":
    main()
