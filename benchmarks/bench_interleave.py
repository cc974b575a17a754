"""What a socket wait does to the Python work around it: CPU per event of a piece of work
alone, of one server round trip alone, and of the two interleaved, as a durable
`process_event` interleaves its decision with its write.

The work is `Orchestrator.process_event` on the in-memory store, and beside it the
hand-written flip of `bench_stores` (a dict update) as the baseline; the round trip is a
Redis `PING` and a PostgreSQL `SELECT 1`. Each figure is the interleaved loop's thread CPU
over the sum of its parts measured alone: above 1 is what the wait costs the work (caches
and branch predictors refilled after the process slept), which no change to the work's
own code path shows in a hot loop. Medians of alternating rounds. Run
`python benchmarks/bench_interleave.py [--quick]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import Figure, report  # noqa: E402
from bench_stores import FLIP, PG_URL, REDIS_URL, available  # noqa: E402

from pystator import InMemoryStateStore, Orchestrator, StateMachine  # noqa: E402

ENTITIES = 20


def cpu_per_call(loop: Callable[[int], object], calls: int) -> float:
    """Thread CPU µs per call of `loop(n)`."""
    started = time.thread_time()
    for n in range(calls):
        loop(n)
    return (time.thread_time() - started) / calls * 1e6


def works() -> dict[str, Callable[[int], object]]:
    """The pieces of work: pystator's event and the hand-written one."""
    runner = Orchestrator(StateMachine.from_dict(FLIP), InMemoryStateStore())
    ids = [f"e{n}" for n in range(ENTITIES)]
    for entity_id in ids:
        runner.create_entity(entity_id)
    states = dict.fromkeys(ids, "A")
    flipped = {"A": "B", "B": "A"}

    def hand(n: int) -> object:
        entity_id = ids[n % ENTITIES]
        states[entity_id] = state = flipped[states[entity_id]]
        return state

    return {
        "pystator": lambda n: runner.process_event(ids[n % ENTITIES], "flip"),
        "hand-written": hand,
    }


def round_trips() -> dict[str, Callable[[int], object]]:
    """One round trip to each server this machine has."""
    found: dict[str, Callable[[int], object]] = {}
    if available("redis") is None:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        found["redis PING"] = lambda n: client.ping()
    if available("postgres") is None:
        import psycopg

        connection = psycopg.connect(PG_URL, autocommit=True)
        found["postgres SELECT 1"] = lambda n: connection.execute("SELECT 1").fetchone()
    return found


def main() -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few calls (smoke test)")
    args = parser.parse_args()
    calls, rounds = (200, 1) if args.quick else (4000, 5)
    work, trips = works(), round_trips()
    if not trips:
        print("no server reachable: nothing to interleave with")
        return report([])
    print(f"CPU µs per event, {calls} events, medians of {rounds} alternating rounds")
    print(f"{'work':<14}{'round trip':<20}{'work':>8}{'trip':>8}{'both':>8}{'ratio':>9}")
    figures = []
    for trip_name, trip in trips.items():
        for work_name, event in work.items():
            alone, trip_alone, both = [], [], []

            def interleaved(
                n: int,
                event: Callable[[int], object] = event,
                trip: Callable[[int], object] = trip,
            ) -> object:
                event(n)
                return trip(n)

            for _ in range(rounds):
                alone.append(cpu_per_call(event, calls))
                trip_alone.append(cpu_per_call(trip, calls))
                both.append(cpu_per_call(interleaved, calls))
            work_cpu, trip_cpu = statistics.median(alone), statistics.median(trip_alone)
            both_cpu = statistics.median(both)
            ratio = both_cpu / (work_cpu + trip_cpu)
            print(
                f"{work_name:<14}{trip_name:<20}{work_cpu:8.1f}{trip_cpu:8.1f}"
                f"{both_cpu:8.1f}{ratio:8.2f}x"
            )
            figures.append(
                Figure(
                    f"{work_name} interleaved with a {trip_name}, over the two apart",
                    both_cpu,
                    work_cpu + trip_cpu,
                    "µs CPU",
                    ratio,
                )
            )
    return report(figures)


if __name__ == "__main__":
    main()
