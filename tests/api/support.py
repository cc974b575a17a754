"""Shared pieces of the API tests: an app on a fresh SQLite file or PostgreSQL schema.

The settings serve the API without authentication, the explicit opt-out, unless a test
passes `auth_secret` (test_auth.py covers tokens). Starlette's test client sends
`Host: testserver`, which the settings allow beside the localhost names; test_hosts.py
covers the default list.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from pystator.api.main import create_app
from pystator.db.config import ApiSettings
from tests.conftest import PG_URL, require_postgres

ROOT = Path(__file__).resolve().parents[2]
ORDER_YAML = (ROOT / "examples" / "order_fsm.yaml").read_text()
TEST_CLIENT_HOST = "testserver"


def api_settings(db_url: str, **overrides: object) -> ApiSettings:
    chosen: dict[str, object] = {
        "no_auth": "auth_secret" not in overrides,
        "allowed_hosts": (TEST_CLIENT_HOST,),
        **overrides,
    }
    return ApiSettings(db_url=db_url, **chosen)  # type: ignore[arg-type]


def sqlite_settings(tmp_path: Path, **overrides: object) -> ApiSettings:
    return api_settings(f"sqlite:///{tmp_path / 'api.db'}", **overrides)


def postgres_settings(**overrides: object) -> ApiSettings:
    return api_settings(PG_URL, schema=f"pystator_api_{uuid.uuid4().hex[:8]}", **overrides)


__all__ = [
    "ORDER_YAML",
    "api_settings",
    "create_app",
    "postgres_settings",
    "require_postgres",
    "sqlite_settings",
]
