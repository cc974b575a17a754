"""Configuration of the API and the worker: `pystator.cfg`, then environment variables.

One frozen value, read once at start-up; every setting has a safe default.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BODY = 4 * 1_048_576
DEFAULT_MAX_DEPTH = 64
DEFAULT_DB_TIMEOUT = 30.0

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """`db_url` is a `sqlite:///file` or `postgresql://` URL shared with the stores.

    The API needs `auth_secret` (32 bytes or more) or, to serve without authentication on
    purpose, `no_auth`. It answers requests for localhost names and `allowed_hosts` (`*`:
    any host). `db_timeout` is how long a request waits for a database connection.
    """

    db_url: str = "sqlite:///pystator.db"
    auth_secret: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_json_depth: int = DEFAULT_MAX_DEPTH
    schema: str = "public"
    no_auth: bool = False
    allowed_hosts: tuple[str, ...] = ()
    db_timeout: float = DEFAULT_DB_TIMEOUT

    @property
    def auth_enabled(self) -> bool:
        return bool(self.auth_secret and self.auth_secret.strip())


_ENV = {
    "db_url": "PYSTATOR_DB_URL",
    "auth_secret": "PYSTATOR_AUTH_SECRET",
    "max_body_bytes": "PYSTATOR_MAX_BODY_BYTES",
    "max_json_depth": "PYSTATOR_MAX_JSON_DEPTH",
    "schema": "PYSTATOR_DB_SCHEMA",
    "no_auth": "PYSTATOR_NO_AUTH",
    "allowed_hosts": "PYSTATOR_ALLOWED_HOSTS",
    "db_timeout": "PYSTATOR_DB_TIMEOUT",
}


def load_settings(path: str | os.PathLike[str] | None = None) -> ApiSettings:
    """Read `[pystator]` from `path` (default: PYSTATOR_CONFIG, then ./pystator.cfg), then
    let environment variables override each key. A bad value raises ValueError naming it."""
    values: dict[str, str] = {}
    chosen = Path(path or os.environ.get("PYSTATOR_CONFIG", "pystator.cfg"))
    if chosen.is_file():
        parser = configparser.ConfigParser()
        try:
            parser.read(chosen, encoding="utf-8")
        except configparser.Error as exc:
            raise ValueError(f"{chosen}: {exc}") from None
        if parser.has_section("pystator"):
            for key in _ENV:
                if parser.has_option("pystator", key):
                    values[key] = parser.get("pystator", key)
            unknown = set(parser.options("pystator")) - set(_ENV)
            if unknown:
                raise ValueError(f"{chosen}: unknown keys in [pystator]: {sorted(unknown)}")
    for key, variable in _ENV.items():
        if os.environ.get(variable):
            values[key] = os.environ[variable]
    defaults = ApiSettings()
    try:
        return ApiSettings(
            db_url=values.get("db_url", defaults.db_url),
            auth_secret=values.get("auth_secret") or None,
            max_body_bytes=int(values.get("max_body_bytes", defaults.max_body_bytes)),
            max_json_depth=int(values.get("max_json_depth", defaults.max_json_depth)),
            schema=values.get("schema", defaults.schema),
            no_auth=_flag("no_auth", values.get("no_auth", "")),
            allowed_hosts=tuple(values.get("allowed_hosts", "").replace(",", " ").split()),
            db_timeout=_positive("db_timeout", values.get("db_timeout", defaults.db_timeout)),
        )
    except ValueError as exc:
        raise ValueError(f"invalid pystator setting: {exc}") from None


def _flag(key: str, text: str) -> bool:
    chosen = text.strip().lower()
    if chosen in _TRUE:
        return True
    if chosen in _FALSE or not chosen:
        return False
    raise ValueError(f"{key} must be 1 or 0 (true/false, yes/no, on/off), got {text!r}")


def _positive(key: str, text: str | float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise ValueError(f"{key} must be a positive number of seconds, got {text!r}")
    return value
