"""Shared pieces of the API tests: an app on a fresh SQLite file or PostgreSQL schema."""

from __future__ import annotations

import uuid
from pathlib import Path

from pystator.api.main import create_app
from pystator.db.config import ApiSettings
from tests.conftest import PG_URL, require_postgres

ROOT = Path(__file__).resolve().parents[2]
ORDER_YAML = (ROOT / "examples" / "order_fsm.yaml").read_text()


def sqlite_settings(tmp_path: Path, **overrides: object) -> ApiSettings:
    return ApiSettings(db_url=f"sqlite:///{tmp_path / 'api.db'}", **overrides)  # type: ignore[arg-type]


def postgres_settings() -> ApiSettings:
    return ApiSettings(db_url=PG_URL, schema=f"pystator_api_{uuid.uuid4().hex[:8]}")


__all__ = ["ORDER_YAML", "create_app", "postgres_settings", "require_postgres", "sqlite_settings"]
