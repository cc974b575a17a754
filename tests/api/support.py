"""Shared pieces of the API tests: an app on a fresh SQLite file or PostgreSQL schema."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from pystator.api.main import create_app
from pystator.db.config import ApiSettings

ROOT = Path(__file__).resolve().parents[2]
ORDER_YAML = (ROOT / "examples" / "order_fsm.yaml").read_text()
PG_URL = os.environ.get("PYSTATOR_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def require_postgres() -> None:
    try:
        import psycopg

        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as exc:  # any failure to reach the server
        message = f"PostgreSQL at {PG_URL} NOT REACHABLE ({type(exc).__name__}: {exc})"
        if os.environ.get("PYSTATOR_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)


def sqlite_settings(tmp_path: Path, **overrides: object) -> ApiSettings:
    return ApiSettings(db_url=f"sqlite:///{tmp_path / 'api.db'}", **overrides)  # type: ignore[arg-type]


def postgres_settings() -> ApiSettings:
    return ApiSettings(db_url=PG_URL, schema=f"pystator_api_{uuid.uuid4().hex[:8]}")


__all__ = ["ORDER_YAML", "create_app", "postgres_settings", "require_postgres", "sqlite_settings"]
