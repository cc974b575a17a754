"""Shared fixtures: build machines from YAML text, import generated modules, and reach
the loopback PostgreSQL and Redis (required, not skipped, under PYSTATOR_REQUIRE_SERVICES)."""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from pystator import StateMachine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PG_URL = os.environ.get("PYSTATOR_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PYSTATOR_REDIS_URL", "redis://127.0.0.1:6379/0")


def unavailable(server: str, reason: str) -> None:
    """Fail under PYSTATOR_REQUIRE_SERVICES=1, else skip, naming the server and why."""
    message = f"{server} NOT REACHABLE ({reason}); its tests did not run"
    if os.environ.get("PYSTATOR_REQUIRE_SERVICES"):
        pytest.fail(message)
    pytest.skip(message)


def require_postgres() -> None:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # any failure to reach the server
        unavailable("PostgreSQL at " + PG_URL, f"{type(exc).__name__}: {exc}")


@pytest.fixture
def private_pg_url() -> Iterator[str]:
    """The URL of a PostgreSQL database of this test's own, dropped afterwards: for code
    that works in the `public` schema, which tests must not share."""
    require_postgres()
    import psycopg

    name = f"pystator_test_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(PG_URL)
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def require_redis() -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure to reach the server
        unavailable("Redis at " + REDIS_URL, f"{type(exc).__name__}: {exc}")


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML text to a file and return its path."""

    def write(text: str, name: str = "machine.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def machine_from(
    write_yaml: Callable[..., Path],
) -> Callable[[str], StateMachine[str, str, dict[str, Any]]]:
    def build(text: str) -> StateMachine[str, str, dict[str, Any]]:
        return StateMachine.from_yaml(write_yaml(text))

    return build


def import_module_text(text: str, directory: Path, name: str | None = None) -> ModuleType:
    """Write module text to `directory` and import it under a unique name."""
    module_name = name or f"generated_{uuid.uuid4().hex}"
    path = directory / f"{module_name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[Callable[[Path], ModuleType]]:
    """Compile a YAML file with the real pipeline and import the module it produces."""
    from pystator.generator.pipeline import generate

    names: list[str] = []

    def build(path: Path) -> ModuleType:
        result = generate(path)
        module = import_module_text(result.text, tmp_path)
        names.append(module.__name__)
        return module

    yield build
    for name in names:
        sys.modules.pop(name, None)
