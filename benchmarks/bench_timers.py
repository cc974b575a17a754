"""Timers: cost and lateness of delayed transitions against hand-written timer loops.

asyncio: the Orchestrator with AsyncioScheduler and the in-memory store, next to a dict of
states flipped by `loop.call_later`. Redis: the Orchestrator with RedisScheduler and
RedisStateStore, next to a bare ZADD / claim-by-ZREM / HSET loop on the same server. Both
arm N timers due at the same moment and report the time to fire them all, this process's
CPU time for it, and the lateness of each firing, in rounds that take turns (three, one
with `--quick`); the ratios are medians of the rounds'. A third Redis
row, RedisScheduler with the in-memory store, shows what the timers cost apart from the
store's reads and writes. Run `python benchmarks/bench_timers.py [--quick]`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import Figure, report  # noqa: E402

from pystator import InMemoryStateStore, Orchestrator, RedisStateStore, StateMachine  # noqa: E402
from pystator.runtime.timers import ScheduledJob  # noqa: E402
from pystator.scheduler import AsyncioScheduler, RedisScheduler  # noqa: E402

REDIS_URL = os.environ.get("PYSTATOR_REDIS_URL", "redis://127.0.0.1:6379/0")
DELAY_S = 0.5
TIMED: dict[str, Any] = {
    "meta": {"machine_name": "timed"},
    "states": [
        {
            "name": "waiting",
            "type": "initial",
            "timeout": {"seconds": DELAY_S, "destination": "done"},
        },
        {"name": "done", "type": "terminal"},
    ],
    "transitions": [],
}


def summary(
    name: str, seconds: float, lateness: list[float], count: int, cpu: float
) -> dict[str, float]:
    """One path's row; `cpu` is this process's CPU seconds for the whole run, which the
    machine's other work does not stretch as it stretches the elapsed time."""
    lateness.sort()
    row = {
        "us_per_timer": seconds / count * 1e6,
        "cpu_us_per_timer": cpu / count * 1e6,
        "median_ms": statistics.median(lateness) * 1000,
        "p99_ms": lateness[max(0, int(len(lateness) * 0.99) - 1)] * 1000,
    }
    print(
        f"  {name:<28} {row['us_per_timer']:9.1f} us/timer ({row['cpu_us_per_timer']:7.1f} "
        f"CPU)   lateness median {row['median_ms']:7.1f} ms   p99 {row['p99_ms']:7.1f} ms"
    )
    return row


async def arm_and_wait(orchestrator: Orchestrator, count: int) -> tuple[float, list[float]]:
    """Create `count` entities (each arms its timeout), wait until every timer fired."""
    started = time.perf_counter()
    for n in range(count):
        await orchestrator.async_create_entity(f"e{n}")
    while len(orchestrator.timer_log) < count:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started - DELAY_S
    return elapsed, [o.fired_at - o.job.due_at for o in orchestrator.timer_log]


async def asyncio_pystator(count: int) -> dict[str, float]:
    scheduler = AsyncioScheduler()
    orchestrator = Orchestrator(
        StateMachine.from_dict(TIMED), InMemoryStateStore(), scheduler=scheduler
    )
    cpu = time.process_time()
    elapsed, lateness = await arm_and_wait(orchestrator, count)
    cpu = time.process_time() - cpu
    await orchestrator.close()
    return summary("pystator (asyncio)", elapsed, lateness, count, cpu)


async def asyncio_baseline(count: int) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    states: dict[str, str] = {}
    lateness: list[float] = []
    done = asyncio.Event()

    def fire(entity: str, due: float) -> None:
        if states.get(entity) == "waiting":
            states[entity] = "done"
            lateness.append(time.time() - due)
            if len(lateness) == count:
                done.set()

    started, cpu = time.perf_counter(), time.process_time()
    for n in range(count):
        entity = f"e{n}"
        states[entity] = "waiting"
        loop.call_later(DELAY_S, fire, entity, time.time() + DELAY_S)
    await done.wait()
    elapsed, cpu = time.perf_counter() - started - DELAY_S, time.process_time() - cpu
    return summary("hand-written call_later", elapsed, lateness, count, cpu)


def redis_up() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return True
    except Exception:
        return False


async def redis_pystator(count: int, *, timers_only: bool = False) -> dict[str, float]:
    """The Orchestrator with RedisScheduler and RedisStateStore; with `timers_only`, the
    in-memory store instead, which leaves the timers' share."""
    prefix = f"bench_timers_{uuid.uuid4().hex[:8]}"
    store: Any = (
        InMemoryStateStore()
        if timers_only
        else RedisStateStore(REDIS_URL, key_prefix=prefix + "_store").connect()
    )
    scheduler = RedisScheduler(REDIS_URL, prefix=prefix, poll_interval=0.01)
    orchestrator = Orchestrator(StateMachine.from_dict(TIMED), store, scheduler=scheduler)
    await scheduler.start()
    cpu = time.process_time()
    elapsed, lateness = await arm_and_wait(orchestrator, count)
    cpu = time.process_time() - cpu
    await scheduler.truncate()
    await orchestrator.close()
    if not timers_only:
        store.truncate()
        store.close()
    label = "pystator (Redis timers only)" if timers_only else "pystator (Redis)"
    return summary(label, elapsed, lateness, count, cpu)


async def redis_baseline(count: int) -> dict[str, float]:
    import redis.asyncio as aioredis

    prefix = f"bench_plain_{uuid.uuid4().hex[:8]}"
    client = aioredis.Redis.from_url(REDIS_URL)
    due_key = f"{prefix}:due"
    lateness: list[float] = []

    async def poll() -> None:
        # Claims due jobs while arming goes on, as a scheduler's loop would.
        while len(lateness) < count:
            now_ms = int(time.time() * 1000)
            due = await client.zrangebyscore(due_key, "-inf", now_ms, start=0, num=100)
            for body in due:
                if await client.zrem(due_key, body):
                    job = ScheduledJob.from_json(body)
                    await client.hset(f"{prefix}:entity:{job.entity_id}", "state", "done")
                    lateness.append(time.time() - job.due_at)
            if not due:
                await asyncio.sleep(0.01)

    started, cpu = time.perf_counter(), time.process_time()
    poller = asyncio.get_running_loop().create_task(poll())
    for n in range(count):
        entity = f"e{n}"
        await client.hset(f"{prefix}:entity:{entity}", "state", "waiting")
        job = ScheduledJob("plain", "1", entity, "t", time.time() + DELAY_S, "waiting")
        await client.zadd(due_key, {job.to_json(): math.ceil(job.due_at * 1000)})
    await poller
    elapsed, cpu = time.perf_counter() - started - DELAY_S, time.process_time() - cpu
    async for key in client.scan_iter(match=f"{prefix}*", count=500):
        await client.delete(key)
    await client.aclose()
    return summary("hand-written ZADD/ZREM loop", elapsed, lateness, count, cpu)


def rounds_of(
    kind: str, ours: list[dict[str, float]], base: list[dict[str, float]], target: float | None
) -> Figure:
    """The figure of paired rounds: medians per timer and the median of the rounds' ratios."""
    value = statistics.median(row["us_per_timer"] for row in ours)
    baseline = statistics.median(row["us_per_timer"] for row in base)
    cost = statistics.median(
        a["us_per_timer"] / b["us_per_timer"] for a, b in zip(ours, base, strict=True)
    )
    cpu = statistics.median(
        a["cpu_us_per_timer"] / b["cpu_us_per_timer"] for a, b in zip(ours, base, strict=True)
    )
    print(f"  ratio ({kind}) pystator / hand-written, time per timer: {cost:.1f}x, CPU {cpu:.1f}x")
    return Figure(f"timers, {kind}, per timer", value, baseline, "us", cost, target)


async def one_round(count: int, redis: bool) -> list[dict[str, float]]:
    rows = [await asyncio_pystator(count), await asyncio_baseline(count)]
    if redis:
        rows += [
            await redis_pystator(count),
            await redis_baseline(count),
            await redis_pystator(count, timers_only=True),
        ]
    return rows


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run with few timers")
    args = parser.parse_args(argv)
    count, rounds = (200, 1) if args.quick else (5000, 3)
    redis = redis_up()
    print(f"{count} timers due {DELAY_S}s after arming; time to arm and fire all, per timer")
    if not redis:
        print(f"  Redis at {REDIS_URL} not reachable: Redis rows skipped")
    measured = []
    for n in range(rounds):
        print(f" round {n + 1} of {rounds}")
        measured.append(asyncio.run(one_round(count, redis)))
    figures = [rounds_of("asyncio", [r[0] for r in measured], [r[1] for r in measured], None)]
    if redis:
        figures.append(rounds_of("Redis", [r[2] for r in measured], [r[3] for r in measured], 3.0))
        share = statistics.median(r[4]["us_per_timer"] / r[3]["us_per_timer"] for r in measured)
        print(f"  of which RedisScheduler with the in-memory store / hand-written: {share:.1f}x")
    return report(figures)


if __name__ == "__main__":
    main()
