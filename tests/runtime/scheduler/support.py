"""Shared pieces of the scheduler tests: the timed machine, service checks, replicas.

Replicas and Celery workers are real processes started here, talking to the loopback
Redis; with PYSTATOR_REQUIRE_SERVICES=1 an unreachable Redis fails the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import REDIS_URL, require_redis

ROOT = Path(__file__).resolve().parents[3]
TIMED = ROOT / "tests" / "fixtures" / "timers.yaml"
REENTRY = ROOT / "tests" / "fixtures" / "reentry_timer.yaml"
__all__ = ["REDIS_URL", "REENTRY", "ROOT", "TIMED", "require_redis", "start_process", "unique"]


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def start_process(module: str, *args: str, log: Path, env: dict[str, str] | None = None) -> Any:
    """Start `python -m module args` from the project root, output to `log`."""
    handle = log.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
    )


def flush_redis_prefix(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)
    client.close()
