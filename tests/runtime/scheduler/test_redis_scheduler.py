"""RedisScheduler against the real Redis: storage, single firing, leases, replicas."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pystator import Orchestrator, RedisStateStore, StateMachine
from pystator.runtime.timers import ScheduledJob
from pystator.scheduler import RedisScheduler
from tests.runtime.scheduler.support import (
    REDIS_URL,
    REENTRY,
    TIMED,
    flush_redis_prefix,
    require_redis,
    start_process,
    unique,
)


@pytest.fixture
def prefix() -> Iterator[str]:
    require_redis()
    name = unique("pystator_test_timers")
    yield name
    flush_redis_prefix(name)


def job(entity: str, delay: float = 0.2, state: str = "pending", event: str = "e") -> ScheduledJob:
    return ScheduledJob("m", "1", entity, event, time.time() + delay, state, 1)


def test_scheduled_jobs_are_listed_soonest_first(prefix: str) -> None:
    async def scenario() -> None:
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix)
        await scheduler.schedule(job("b", 5))
        await scheduler.schedule(job("a", 2))
        assert [j.entity_id for j in await scheduler.pending()] == ["a", "b"]
        assert [j.entity_id for j in await scheduler.pending(entity_id="b")] == ["b"]
        await scheduler.close()

    asyncio.run(scenario())


def test_arming_the_same_timer_again_replaces_the_job(prefix: str) -> None:
    async def scenario() -> None:
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix)
        await scheduler.schedule(job("a", 2))
        later = job("a", 9)
        await scheduler.schedule(later)
        assert await scheduler.pending() == [later]
        await scheduler.close()

    asyncio.run(scenario())


def test_cancel_drops_only_the_jobs_of_the_named_states(prefix: str) -> None:
    async def scenario() -> None:
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix)
        await scheduler.schedule(job("a", 5, state="outer"))
        await scheduler.schedule(job("a", 5, state="inner"))
        await scheduler.schedule(job("b", 5, state="inner"))
        assert await scheduler.cancel("m", "a", ["inner"]) == 1
        left = {(j.entity_id, j.armed_in) for j in await scheduler.pending()}
        assert left == {("a", "outer"), ("b", "inner")}
        assert await scheduler.cancel_for_entity("a", machine="m") == 1
        await scheduler.close()

    asyncio.run(scenario())


def test_cancelling_an_empty_list_of_states_drops_nothing(prefix: str) -> None:
    async def scenario() -> None:
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix)
        await scheduler.schedule(job("a", 5, state="outer"))
        assert await scheduler.cancel("m", "a", []) == 0
        assert [j.armed_in for j in await scheduler.pending()] == ["outer"]
        await scheduler.close()

    asyncio.run(scenario())


def test_cancelling_one_machines_entity_leaves_a_look_alike_of_another(prefix: str) -> None:
    async def scenario() -> None:
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix)
        due = time.time() + 5
        await scheduler.schedule(ScheduledJob("a:b", "1", "c", "e", due, "pending", 1))
        await scheduler.schedule(ScheduledJob("a", "1", "b:c", "e", due, "pending", 1))
        assert await scheduler.cancel("a", "b:c") == 1
        assert [(j.machine, j.entity_id) for j in await scheduler.pending()] == [("a:b", "c")]
        await scheduler.close()

    asyncio.run(scenario())


def test_each_due_job_fires_exactly_once_with_two_pollers(prefix: str) -> None:
    async def scenario() -> Counter[str]:
        fired: Counter[str] = Counter()

        async def fire(due: ScheduledJob) -> None:
            fired[due.entity_id] += 1

        pollers = [RedisScheduler(REDIS_URL, prefix=prefix, poll_interval=0.01) for _ in "ab"]
        for poller in pollers:
            poller.register("m", fire)
            await poller.start()
        for index in range(200):
            await pollers[0].schedule(job(f"e{index}", 0.1 + index / 2000))
        deadline = time.time() + 10
        while sum(fired.values()) < 200 and time.time() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        for poller in pollers:
            await poller.close()
        return fired

    fired = asyncio.run(scenario())
    assert len(fired) == 200
    assert set(fired.values()) == {1}


def test_a_job_whose_firing_failed_is_fired_again_after_its_lease(prefix: str) -> None:
    async def scenario() -> list[str]:
        calls: list[str] = []

        async def fire(due: ScheduledJob) -> None:
            calls.append(due.entity_id)
            if len(calls) == 1:
                raise ConnectionError("store down")

        scheduler = RedisScheduler(REDIS_URL, prefix=prefix, poll_interval=0.01, lease_seconds=0.3)
        scheduler.register("m", fire)
        await scheduler.start()
        await scheduler.schedule(job("a", 0.05))
        await asyncio.sleep(1.0)
        await scheduler.close()
        return calls

    assert asyncio.run(scenario()) == ["a", "a"]


def in_flight_and_indexed(prefix: str) -> tuple[int, int]:
    """Jobs of machine `m` leased to a replica, and job keys in its entities' indexes."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    leased = int(client.zcard(f"{prefix}:inflight:m"))
    indexed = sum(int(client.scard(key)) for key in client.scan_iter(f"{prefix}:entity:*"))
    client.close()
    return leased, indexed


async def fire_all(scheduler: RedisScheduler, count: int) -> list[str]:
    fired: list[str] = []

    async def fire(due: ScheduledJob) -> None:
        fired.append(due.entity_id)

    scheduler.register("m", fire)
    await scheduler.start()
    for index in range(count):
        await scheduler.schedule(job(f"e{index}", 0.05))
    deadline = time.time() + 10
    while len(fired) < count and time.time() < deadline:
        await asyncio.sleep(0.02)
    return fired


def test_fired_jobs_are_acknowledged_by_the_next_claim(prefix: str) -> None:
    async def scenario() -> tuple[int, int]:
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix, poll_interval=0.01)
        assert len(await fire_all(scheduler, 20)) == 20
        await asyncio.sleep(0.2)
        left = in_flight_and_indexed(prefix)
        await scheduler.close()
        return left

    assert asyncio.run(scenario()) == (0, 0)


def test_stopping_acknowledges_every_job_fired(prefix: str) -> None:
    async def scenario() -> None:
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix, poll_interval=5.0)
        assert len(await fire_all(scheduler, 20)) == 20
        await scheduler.close()

    asyncio.run(scenario())
    assert in_flight_and_indexed(prefix) == (0, 0)


def test_orchestrator_timers_fire_through_redis(prefix: str) -> None:
    async def scenario() -> str:
        store = RedisStateStore(REDIS_URL, key_prefix=prefix + "_store").connect()
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix, poll_interval=0.01)
        orchestrator = Orchestrator(StateMachine.from_yaml(TIMED), store, scheduler=scheduler)
        await scheduler.start()
        await orchestrator.async_process_event("o-1", "submit")
        await asyncio.sleep(0.6)
        await orchestrator.close()
        record = store.load("o-1")
        store.truncate()
        store.close()
        assert record is not None
        return record.state

    assert asyncio.run(scenario()) == "expired"


def test_a_malformed_job_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="due_at"):
        ScheduledJob.from_json(
            '{"machine":"m","version":"1","entity_id":"e","event":"x",'
            '"armed_in":"s","due_at":"soon"}'
        )
    with pytest.raises(ValueError, match="JSON"):
        ScheduledJob.from_json("not json")


# -- replicas in separate processes -------------------------------------------------------------

REPLICA = "tests.runtime.scheduler.replica"
DELAYED = Path(__file__).resolve().parent / "delayed.yaml"


class Recorder(RedisScheduler):
    """Keeps every job it schedules, to know each one's due time."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.jobs: dict[str, ScheduledJob] = {}

    async def schedule(self, job: ScheduledJob) -> None:
        self.jobs[job.job_id.replace("\x1f", "|")] = job
        await super().schedule(job)


def start_replicas(count: int, prefix: str, tmp: Path, generation: int) -> list[object]:
    replicas = []
    for index in range(count):
        replicas.append(
            start_process(
                REPLICA,
                "--machine",
                str(DELAYED),
                "--redis",
                REDIS_URL,
                "--store-prefix",
                prefix + "_store",
                "--timer-prefix",
                prefix,
                "--log",
                str(tmp / f"fired-{generation}-{index}.log"),
                log=tmp / f"replica-{generation}-{index}.out",
            )
        )
    for index, _ in enumerate(replicas):
        out = tmp / f"replica-{generation}-{index}.out"
        deadline = time.time() + 30
        while "ready" not in out.read_text() and time.time() < deadline:
            time.sleep(0.05)
        assert "ready" in out.read_text(), out.read_text()
    return replicas


def arm(count: int, prefix: str) -> dict[str, ScheduledJob]:
    async def scenario() -> dict[str, ScheduledJob]:
        store = RedisStateStore(REDIS_URL, key_prefix=prefix + "_store").connect()
        recorder = Recorder(REDIS_URL, prefix=prefix)
        orchestrator = Orchestrator(StateMachine.from_yaml(DELAYED), store, scheduler=recorder)
        for index in range(count):
            await orchestrator.async_process_event(f"e{index}", "start")
        await orchestrator.close()
        store.close()
        return recorder.jobs

    return asyncio.run(scenario())


def firings(tmp: Path) -> list[tuple[str, str]]:
    lines = []
    for log in sorted(tmp.glob("fired-*.log")):
        for line in log.read_text().splitlines():
            job_id, outcome = line.split("\t")
            lines.append((job_id, outcome))
    return lines


def wait_for(count: int, tmp: Path, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if sum(1 for _, outcome in firings(tmp) if outcome == "fired") >= count:
            return
        time.sleep(0.1)


def stop(replicas: list[object], sig: int = signal.SIGTERM) -> None:
    for replica in replicas:
        os.kill(replica.pid, sig)  # type: ignore[attr-defined]
    for replica in replicas:
        replica.wait(timeout=30)  # type: ignore[attr-defined]


def test_three_replicas_fire_a_thousand_timers_once_each_and_never_early(
    prefix: str, tmp_path: Path
) -> None:
    replicas = start_replicas(3, prefix, tmp_path, 0)
    try:
        jobs = arm(1000, prefix)
        wait_for(1000, tmp_path, 90)
        time.sleep(0.5)  # let any double firing show up before counting
    finally:
        stop(replicas)
    fired = firings(tmp_path)
    counts = Counter(job_id for job_id, _ in fired)
    assert len(jobs) == 1000
    assert set(counts) == set(jobs), "every armed job fired"
    assert set(counts.values()) == {1}, "no job fired twice"
    assert {outcome for _, outcome in fired} == {"fired"}
    store = RedisStateStore(REDIS_URL, key_prefix=prefix + "_store").connect()
    lateness = []
    for job_id, armed in jobs.items():
        history = store.history(armed.entity_id)
        assert [entry.target_state for entry in history] == ["waiting", "done"]
        committed = _epoch(history[1].timestamp)
        assert committed >= armed.due_at, f"{job_id} fired early"
        lateness.append(committed - armed.due_at)
    store.truncate()
    store.close()
    lateness.sort()
    p99 = lateness[int(len(lateness) * 0.99) - 1]
    print(
        f"\n1000 timers, 3 replicas: lateness median {statistics.median(lateness) * 1000:.1f} ms,"
        f" p99 {p99 * 1000:.1f} ms, max {lateness[-1] * 1000:.1f} ms"
    )


def test_pending_timers_fire_after_every_replica_is_killed_and_restarted(
    prefix: str, tmp_path: Path
) -> None:
    replicas = start_replicas(3, prefix, tmp_path, 0)
    jobs = arm(200, prefix)
    stop(replicas, signal.SIGKILL)
    time.sleep(max(0.0, max(j.due_at for j in jobs.values()) - time.time()) + 0.5)
    assert firings(tmp_path) == [], "killed before any job was due"
    restarted = start_replicas(3, prefix, tmp_path, 1)
    try:
        wait_for(200, tmp_path, 60)
    finally:
        stop(restarted)
    counts = Counter(job_id for job_id, outcome in firings(tmp_path) if outcome == "fired")
    assert set(counts) == set(jobs)
    assert set(counts.values()) == {1}
    store = RedisStateStore(REDIS_URL, key_prefix=prefix + "_store").connect()
    assert {store.load(j.entity_id).state for j in jobs.values()} == {"done"}  # type: ignore[union-attr]
    store.truncate()
    store.close()


def _epoch(timestamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(timestamp).timestamp()


def test_a_state_re_entered_through_an_eventless_transition_restarts_its_timer(
    prefix: str,
) -> None:
    async def scenario() -> None:
        store = RedisStateStore(REDIS_URL, key_prefix=prefix + "_store").connect()
        scheduler = RedisScheduler(REDIS_URL, prefix=prefix)
        orchestrator = Orchestrator(StateMachine.from_yaml(REENTRY), store, scheduler=scheduler)
        try:
            await orchestrator.async_process_event("o-1", "submit")
            (first,) = await scheduler.pending(entity_id="o-1")
            await orchestrator.async_process_event("o-1", "poke")
            record = store.load("o-1")
            assert record is not None and record.state == "waiting"
            (job,) = await scheduler.pending(entity_id="o-1")
            assert job.armed_in == "waiting"
            assert job.armed_version == record.version != first.armed_version
            assert record.timers == {"waiting": record.version}
        finally:
            await orchestrator.close()
            store.truncate()
            store.close()

    asyncio.run(scenario())
