"""CeleryScheduler with a real Celery worker, Redis as the broker and a shared SQLite file."""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pystator import SQLiteStateStore
from tests.runtime.scheduler.support import REDIS_URL, ROOT, require_redis, unique


@pytest.fixture(scope="module")
def celery_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    require_redis()
    tmp = tmp_path_factory.mktemp("celery")
    env = {
        "PYSTATOR_TEST_BROKER": REDIS_URL,
        "PYSTATOR_TEST_QUEUE": unique("pystator_timers"),
        "PYSTATOR_TEST_DB": f"sqlite:///{tmp / 'entities.db'}",
    }
    log = (tmp / "worker.log").open("w")
    import subprocess

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.runtime.scheduler.celery_app",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.time() + 60
    text = ""
    while time.time() < deadline:
        text = (tmp / "worker.log").read_text()
        if "ready." in text or worker.poll() is not None:
            break
        time.sleep(0.1)
    assert "ready." in text, text
    yield env
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)


@pytest.fixture
def client(celery_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for key, value in celery_env.items():
        monkeypatch.setenv(key, value)
    sys.modules.pop("tests.runtime.scheduler.celery_app", None)
    return importlib.import_module("tests.runtime.scheduler.celery_app")


def wait_for_state(path: str, entity_id: str, wanted: str, timeout: float = 30) -> str | None:
    store = SQLiteStateStore(path)
    deadline = time.time() + timeout
    state = None
    while time.time() < deadline:
        record = store.load(entity_id)
        state = record.state if record else None
        if state == wanted:
            break
        time.sleep(0.1)
    store.close()
    return state


def test_a_worker_fires_the_timer_task(client: Any, celery_env: dict[str, str]) -> None:
    async def arm() -> None:
        await client.orchestrator.async_process_event("o-1", "submit")

    asyncio.run(arm())
    assert wait_for_state(celery_env["PYSTATOR_TEST_DB"], "o-1", "expired") == "expired"


def test_a_timer_task_for_a_state_already_left_changes_nothing(
    client: Any, celery_env: dict[str, str]
) -> None:
    async def arm() -> None:
        orchestrator = client.orchestrator
        await orchestrator.async_process_event("o-2", "submit")
        (job,) = await orchestrator.scheduler.pending(entity_id="o-2")
        # The revoke may or may not reach the worker first; either way nothing changes.
        orchestrator.scheduler._sent.clear()
        await orchestrator.async_process_event("o-2", "ack")
        assert job.armed_in == "pending"

    asyncio.run(arm())
    time.sleep(1.5)
    store = SQLiteStateStore(celery_env["PYSTATOR_TEST_DB"])
    assert [entry.target_state for entry in store.history("o-2")] == ["pending", "open"]
    store.close()


def test_register_task_is_idempotent(client: Any) -> None:
    assert client.scheduler.register_task() is client.scheduler.task
    assert client.scheduler.task.name == "pystator.fire_timer"


def test_a_non_celery_object_is_refused() -> None:
    from pystator.scheduler import CeleryScheduler

    with pytest.raises(TypeError, match="Celery app"):
        CeleryScheduler(object())
