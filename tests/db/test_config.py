"""`load_settings`: the security settings from pystator.cfg and PYSTATOR_* variables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pystator.db.config import ApiSettings, load_settings


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in [name for name in os.environ if name.startswith("PYSTATOR_")]:
        monkeypatch.delenv(variable)
    monkeypatch.chdir(tmp_path)


def test_the_defaults_require_authentication_and_answer_localhost_only() -> None:
    settings = load_settings()
    assert settings == ApiSettings()
    assert (settings.no_auth, settings.auth_secret, settings.allowed_hosts) == (False, None, ())


@pytest.mark.parametrize(
    ("text", "expected"), [("1", True), ("true", True), ("On", True), ("0", False), ("no", False)]
)
def test_no_auth_reads_a_flag(monkeypatch: pytest.MonkeyPatch, text: str, expected: bool) -> None:
    monkeypatch.setenv("PYSTATOR_NO_AUTH", text)
    assert load_settings().no_auth is expected


def test_a_no_auth_that_is_not_a_flag_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYSTATOR_NO_AUTH", "maybe")
    with pytest.raises(ValueError, match="no_auth must be 1 or 0"):
        load_settings()


def test_allowed_hosts_are_a_list_separated_by_commas_or_spaces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYSTATOR_ALLOWED_HOSTS", "api.example.com, *.corp.test  b.test")
    assert load_settings().allowed_hosts == ("api.example.com", "*.corp.test", "b.test")


def test_the_config_file_holds_the_same_keys(tmp_path: Path) -> None:
    (tmp_path / "pystator.cfg").write_text(
        "[pystator]\nno_auth = yes\nallowed_hosts = a.test\ndb_timeout = 2.5\n"
    )
    settings = load_settings()
    assert (settings.no_auth, settings.allowed_hosts, settings.db_timeout) == (
        True,
        ("a.test",),
        2.5,
    )


@pytest.mark.parametrize("text", ["0", "-1", "soon", "inf"])
def test_a_db_timeout_that_is_not_a_positive_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("PYSTATOR_DB_TIMEOUT", text)
    with pytest.raises(ValueError, match="db_timeout must be a positive number of seconds"):
        load_settings()
