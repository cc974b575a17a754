"""One scheduler replica: an Orchestrator with a started RedisScheduler, run as a process.

Every fired job is appended to the log file as `job_id<TAB>outcome`, one line each, so the
test can count how often each job fired across replicas and restarts.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from pystator import Orchestrator, RedisStateStore, StateMachine
from pystator.runtime.timers import ScheduledJob
from pystator.scheduler import RedisScheduler


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--machine", required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--store-prefix", required=True)
    parser.add_argument("--timer-prefix", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    machine = StateMachine.from_yaml(args.machine)
    store = RedisStateStore(args.redis, key_prefix=args.store_prefix).connect()
    scheduler = RedisScheduler(args.redis, prefix=args.timer_prefix, poll_interval=0.02)
    orchestrator = Orchestrator(machine, store, scheduler=scheduler)
    log = open(args.log, "a", buffering=1)  # noqa: SIM115 - open for the process's life

    async def fire(job: ScheduledJob) -> None:
        result = await orchestrator.fire(job)
        if result.metadata.get("replayed"):
            outcome = "replayed"
        elif result.metadata.get("reason") == "stale_timer":
            outcome = "stale"
        else:
            outcome = "fired" if result.success else "failed"
        log.write(f"{job.job_id.replace(chr(31), '|')}\t{outcome}\n")

    scheduler.register(machine.name, fire)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await scheduler.start()
    print("ready", flush=True)
    await stop.wait()
    await scheduler.close()
    log.close()


if __name__ == "__main__":
    asyncio.run(main())
