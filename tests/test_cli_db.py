"""`pystator db init|upgrade|truncate` on SQLite files and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pystator import SQLiteStateStore
from pystator.cli import main


def test_init_creates_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(main, ["db", "init", url])
    assert result.exit_code == 0 and "ready" in result.stdout
    store = SQLiteStateStore(url).connect(auto_initialize=False)
    store.set_state("e", "A")
    assert store.get_state("e") == "A"


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "upgrade", url])
        assert result.exit_code == 0 and "up to date" in result.stdout


def test_truncate_asks_unless_forced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = SQLiteStateStore(url).connect()
    store.set_state("e", "A")
    refused = CliRunner().invoke(main, ["db", "truncate", url], input="n\n")
    assert refused.exit_code == 1 and store.get_state("e") == "A"
    done = CliRunner().invoke(main, ["db", "truncate", url, "--force"])
    assert done.exit_code == 0 and store.get_state("e") is None


def test_a_bad_url_is_a_message_not_a_traceback() -> None:
    result = CliRunner().invoke(main, ["db", "init", "mysql://nowhere/db"])
    assert result.exit_code == 1
    assert "neither a sqlite:/// nor a postgresql:// URL" in result.stderr
    assert "Traceback" not in result.output


def test_init_on_postgres(private_pg_url: str) -> None:
    # `db init` works in the `public` schema, so it runs in a database of its own.
    result = CliRunner().invoke(main, ["db", "init", private_pg_url])
    assert result.exit_code == 0, result.output
    from pystator import PostgresStateStore

    store = PostgresStateStore(private_pg_url).connect(auto_initialize=False, validate_schema=True)
    store.set_state("cli-1", "A")
    assert store.get_state("cli-1") == "A"
    store.close()


def test_seed_adds_the_bundled_machine_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = CliRunner().invoke(main, ["db", "seed", "--url", url])
    assert first.exit_code == 0 and "order_management version 1" in first.stdout
    again = CliRunner().invoke(main, ["db", "seed", "--url", url])
    assert again.exit_code == 0 and "unchanged" in again.stdout


def test_seed_reports_a_broken_file_with_its_diagnostic(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("states: [\n")
    result = CliRunner().invoke(
        main, ["db", "seed", str(broken), "--url", f"sqlite:///{tmp_path / 'x.db'}"]
    )
    assert result.exit_code == 1 and "error[PS001]" in result.stderr


def test_worker_once_drains_the_queue_and_exits(tmp_path: Path) -> None:
    from pystator.db.database import Database
    from pystator.worker import submit_event

    url = f"sqlite:///{tmp_path / 'x.db'}"
    CliRunner().invoke(main, ["db", "seed", "--url", url])
    database = Database(url).connect()
    submit_event(database, "order_management", "o-1", "exchange_ack")
    result = CliRunner().invoke(main, ["worker", "--url", url, "--once", "--poll-interval", "0.01"])
    assert result.exit_code == 0 and "processed 1 events" in result.stdout
    assert database.store.get_state("o-1") == "OPEN"
    database.close()
