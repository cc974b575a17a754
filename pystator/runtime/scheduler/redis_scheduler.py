"""RedisScheduler: durable timers in Redis that any replica can fire, each exactly once.

Due jobs sit in a sorted set per machine; a Lua script claims them atomically and leases
them, so a replica that dies while firing leaves its jobs to be fired by another.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import Iterable
from typing import Any

from pystator.runtime.scheduler.base import SchedulerBase, logger, now
from pystator.runtime.stores._codec import missing_extra
from pystator.runtime.timers import ScheduledJob

# KEYS: due set, job bodies, entity index. ARGV: key, due (ms), body.
_SCHEDULE = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
"""

# KEYS: due set, job bodies, in-flight set, then the entity index of each job acknowledged.
# ARGV: now (ms), lease (ms), limit, then the body and key of each job acknowledged.
# Acknowledges jobs fired since the last claim (drops them from the in-flight set), then
# moves due jobs to the in-flight set under a lease and returns their bodies; jobs whose
# lease ran out (their replica died) are leased again and returned too. The first element
# is the due time (ms) of the next job left in the due set, '' if none, so the poller knows
# how long to sleep without asking again.
_CLAIM = """
local now = tonumber(ARGV[1])
local deadline = now + tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
for i = 4, #KEYS do
  local body, key = ARGV[2 * i - 4], ARGV[2 * i - 3]
  redis.call('ZREM', KEYS[3], body)
  if redis.call('HEXISTS', KEYS[2], key) == 0 then redis.call('SREM', KEYS[i], key) end
end
local out = {''}
if limit == 0 then return out end
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, limit)
for _, body in ipairs(expired) do
  redis.call('ZADD', KEYS[3], deadline, body)
  table.insert(out, body)
end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, limit)
for _, key in ipairs(due) do
  local body = redis.call('HGET', KEYS[2], key)
  redis.call('ZREM', KEYS[1], key)
  redis.call('HDEL', KEYS[2], key)
  if body then
    redis.call('ZADD', KEYS[3], deadline, body)
    table.insert(out, body)
  end
end
local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if head[2] then out[1] = head[2] end
return out
"""

# KEYS: due set, job bodies, entity index. ARGV: '1' to drop every job of the entity, '0'
# to drop those armed in the states that follow.
# A job key is machine, entity, state and event joined by "\x1f".
_CANCEL = """
local every = ARGV[1] == '1'
local wanted = {}
for i = 2, #ARGV do wanted[ARGV[i]] = true end
local function armed_in(key)
  local parts, start = {}, 1
  while true do
    local found = string.find(key, '\\31', start, true)
    if not found then
      table.insert(parts, string.sub(key, start))
      break
    end
    table.insert(parts, string.sub(key, start, found - 1))
    start = found + 1
  end
  if #parts == 4 then return parts[3] end
  return nil
end
local dropped = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local state = armed_in(key)
  if every or (state and wanted[state]) then
    dropped = dropped + redis.call('ZREM', KEYS[1], key)
    redis.call('HDEL', KEYS[2], key)
    redis.call('SREM', KEYS[3], key)
  end
end
return dropped
"""


class RedisScheduler(SchedulerBase):
    """Timers in Redis (redis-py's asyncio client); call `start()` to begin firing.

    Every replica that runs an Orchestrator for a machine may call `start()`: the claim
    script gives each due job to exactly one of them. A job is acknowledged after it was
    fired, by the next claim of its machine (so within a poll interval) or by `stop()`; if
    its replica dies first, the job is fired again once `lease_seconds` pass, and the
    Orchestrator's idempotency key makes that second firing change nothing.
    """

    def __init__(
        self,
        redis: Any = None,
        *,
        prefix: str = "pystator:timers",
        poll_interval: float = 0.05,
        batch_size: int = 100,
        lease_seconds: float = 30.0,
        max_concurrency: int = 64,
    ) -> None:
        super().__init__()
        if poll_interval <= 0 or batch_size < 1 or lease_seconds <= 0 or max_concurrency < 1:
            raise ValueError(
                "poll_interval and lease_seconds must be positive; batch_size and "
                "max_concurrency at least 1"
            )
        self._given = redis
        self._client: Any = None
        self.prefix = prefix
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.lease_ms = round(lease_seconds * 1000)
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self.max_connections = max_concurrency + 8
        self._scripts: dict[str, Any] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        #: Jobs fired and not yet acknowledged, by machine: (body, key, entity id).
        self._acks: dict[str, list[tuple[str, str, str]]] = {}

    # -- connection ----------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            given = self._given
            if given is None or isinstance(given, str):
                try:
                    import redis.asyncio as aioredis
                except ImportError:
                    raise missing_extra("redis", "redis") from None
                url = given or os.environ.get("PYSTATOR_REDIS_URL", "redis://127.0.0.1:6379/0")
                # A blocking pool makes a burst of timers wait for a connection instead of
                # failing with "too many connections".
                pool = aioredis.BlockingConnectionPool.from_url(
                    url, max_connections=self.max_connections, timeout=30
                )
                given = aioredis.Redis(connection_pool=pool)
            self._client = given
            for name, source in (
                ("schedule", _SCHEDULE),
                ("claim", _CLAIM),
                ("cancel", _CANCEL),
            ):
                self._scripts[name] = given.register_script(source)
        return self._client

    def _script(self, name: str) -> Any:
        _ = self.client
        return self._scripts[name]

    def _due(self, machine: str) -> str:
        return f"{self.prefix}:due:{machine}"

    def _bodies(self) -> str:
        return f"{self.prefix}:jobs"

    def _inflight(self, machine: str) -> str:
        return f"{self.prefix}:inflight:{machine}"

    def _entity(self, machine: str, entity_id: str) -> str:
        # Length-prefixed like the store's keys: machine 'a:b' and entity 'c' never share
        # an index with machine 'a' and entity 'b:c'.
        return f"{self.prefix}:entity:{len(machine)}:{machine}:{entity_id}"

    # -- the protocol ----------------------------------------------------------------------

    async def schedule(self, job: ScheduledJob) -> None:
        await self._script("schedule")(
            keys=[self._due(job.machine), self._bodies(), self._entity(job.machine, job.entity_id)],
            # Due times round up and the clock rounds down, so no job is claimed early.
            args=[job.key, math.ceil(job.due_at * 1000), job.to_json()],
        )

    async def cancel(
        self, machine: str, entity_id: str, states: Iterable[str] | None = None
    ) -> int:
        chosen = ["1"] if states is None else ["0", *states]
        if chosen == ["0"]:
            return 0
        dropped = await self._script("cancel")(
            keys=[self._due(machine), self._bodies(), self._entity(machine, entity_id)],
            args=chosen,
        )
        return int(dropped)

    async def pending(
        self, machine: str | None = None, entity_id: str | None = None
    ) -> list[ScheduledJob]:
        bodies = await self.client.hvals(self._bodies())
        jobs = []
        for body in bodies:
            try:
                job = ScheduledJob.from_json(body)
            except ValueError:
                continue
            if (machine is None or job.machine == machine) and (
                entity_id is None or job.entity_id == entity_id
            ):
                jobs.append(job)
        return sorted(jobs, key=lambda job: (job.due_at, job.key))

    async def truncate(self) -> None:
        """Delete every job under this scheduler's prefix (tests and resets)."""
        async for key in self.client.scan_iter(match=f"{self.prefix}:*", count=500):
            await self.client.delete(key)

    # -- firing ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Begin polling for due jobs of the registered machines (idempotent)."""
        if self._loop_task is None or self._loop_task.done():
            self._stopping.clear()
            _ = self.client
            self._loop_task = asyncio.get_running_loop().create_task(self._poll())

    async def _poll(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed, soonest = await self._claim_all()
            except Exception:
                logger.exception("claiming due timers from Redis failed; retrying")
                claimed, soonest = 0, None
            if claimed >= self.batch_size:
                continue
            delay = self.poll_interval
            if soonest is not None:
                delay = max(0.0, min(delay, soonest - now()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)

    async def _claim_all(self) -> tuple[int, float | None]:
        """Claim and start firing the due jobs of every machine: the most claimed for one
        machine, and when the soonest job left is due (None if none is left)."""
        total, soonest = 0, None
        for machine in self.machines:
            bodies, due = await self._claim(machine, self.batch_size)
            total = max(total, len(bodies))
            if due is not None:
                soonest = due if soonest is None else min(soonest, due)
            for body in bodies:
                await self._semaphore.acquire()
                task = asyncio.get_running_loop().create_task(self._run(machine, body))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        return total, soonest

    async def _claim(self, machine: str, limit: int) -> tuple[list[bytes | str], float | None]:
        """Acknowledge the jobs of `machine` fired since its last claim, and claim up to
        `limit` due jobs, in one script call: their bodies, and when the next job left is
        due (None if none is left)."""
        acks = self._acks.pop(machine, [])
        keys = [self._due(machine), self._bodies(), self._inflight(machine)]
        args: list[Any] = [math.floor(now() * 1000), self.lease_ms, limit]
        for body, key, entity_id in acks:
            keys.append(self._entity(machine, entity_id))
            args += [body, key]
        try:
            reply: list[bytes | str] = await self._script("claim")(keys=keys, args=args)
        except BaseException:
            self._acks.setdefault(machine, []).extend(acks)  # sent with the next claim
            raise
        head = reply[0] if reply else ""
        due = float(head) / 1000.0 if head not in ("", b"") else None
        return reply[1:], due

    async def _flush_acks(self) -> None:
        """Acknowledge every job fired, claiming none."""
        for machine in list(self._acks):
            await self._claim(machine, 0)

    async def _run(self, machine: str, body: bytes | str) -> None:
        try:
            text = body.decode() if isinstance(body, bytes) else body
            try:
                job = ScheduledJob.from_json(text)
            except ValueError:
                logger.error("dropping a malformed timer job: %r", text[:200])
                self._ack(machine, text, "", "")
                return
            fire = self._handlers.get(job.machine)
            if fire is None:
                return  # leased: another replica that knows the machine takes it later
            try:
                await fire(job)
            except Exception:
                # Not acknowledged: the lease runs out and the job is fired again.
                logger.exception("firing timer %r of entity %r failed", job.event, job.entity_id)
                return
            self._ack(machine, text, job.key, job.entity_id)
        finally:
            self._semaphore.release()

    def _ack(self, machine: str, body: str, key: str, entity_id: str) -> None:
        """Acknowledge a job with the next claim of its machine (or on `stop()`)."""
        self._acks.setdefault(machine, []).append((body, key, entity_id))

    async def stop(self) -> None:
        """Stop polling and wait for the jobs being fired; pending jobs stay in Redis."""
        self._stopping.set()
        if self._loop_task is not None:
            await self._loop_task
            self._loop_task = None
        if self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)
        if self._acks:
            try:
                await self._flush_acks()
            except Exception:
                # Their leases run out and they fire again, changing nothing.
                logger.exception("acknowledging fired timers in Redis failed")

    async def close(self) -> None:
        """Stop, then close the client if this scheduler created it."""
        await self.stop()
        if self._client is not None and self._client is not self._given:
            await self._client.aclose(close_connection_pool=True)
        self._client = None
        self._scripts.clear()
