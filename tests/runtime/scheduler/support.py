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

import pytest

ROOT = Path(__file__).resolve().parents[3]
TIMED = ROOT / "tests" / "fixtures" / "timers.yaml"
REDIS_URL = os.environ.get("PYSTATOR_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure to reach the server
        message = f"Redis at {REDIS_URL} NOT REACHABLE ({type(exc).__name__}: {exc})"
        if os.environ.get("PYSTATOR_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


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
