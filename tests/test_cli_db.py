"""`pystator db init|upgrade|truncate|seed` and `pystator worker` on SQLite and PostgreSQL.

Every one takes the database as `--db URL` (else PYSTATOR_DB_URL); the worker logs a line
per event.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator import SQLiteStateStore
from pystator.cli import main


def test_init_creates_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(main, ["db", "init", "--db", url])
    assert result.exit_code == 0 and "ready" in result.stdout
    store = SQLiteStateStore(url).connect(auto_initialize=False)
    store.set_state("e", "A")
    assert store.get_state("e") == "A"


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "upgrade", "--db", url])
        assert result.exit_code == 0 and "up to date" in result.stdout


def test_truncate_asks_unless_forced(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = SQLiteStateStore(url).connect()
    store.set_state("e", "A")
    refused = CliRunner().invoke(main, ["db", "truncate", "--db", url], input="n\n")
    assert refused.exit_code == 1 and store.get_state("e") == "A"
    done = CliRunner().invoke(main, ["db", "truncate", "--db", url, "--force"])
    assert done.exit_code == 0 and store.get_state("e") is None


def test_a_bad_url_is_a_message_not_a_traceback() -> None:
    result = CliRunner().invoke(main, ["db", "init", "--db", "mysql://nowhere/db"])
    assert result.exit_code == 1
    assert "neither a sqlite:/// nor a postgresql:// URL" in result.stderr
    assert "Traceback" not in result.output


def test_init_on_postgres(private_pg_url: str) -> None:
    # `db init` works in the `public` schema, so it runs in a database of its own.
    result = CliRunner().invoke(main, ["db", "init", "--db", private_pg_url])
    assert result.exit_code == 0, result.output
    from pystator import PostgresStateStore

    store = PostgresStateStore(private_pg_url).connect(auto_initialize=False, validate_schema=True)
    store.set_state("cli-1", "A")
    assert store.get_state("cli-1") == "A"
    store.close()


def test_seed_adds_the_bundled_machine_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = CliRunner().invoke(main, ["db", "seed", "--db", url])
    assert first.exit_code == 0 and "order_management version 1" in first.stdout
    again = CliRunner().invoke(main, ["db", "seed", "--db", url])
    assert again.exit_code == 0 and "unchanged" in again.stdout


def test_seed_reports_a_broken_file_with_its_diagnostic(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("states: [\n")
    result = CliRunner().invoke(
        main, ["db", "seed", str(broken), "--db", f"sqlite:///{tmp_path / 'x.db'}"]
    )
    assert result.exit_code == 1 and "error[PS001]" in result.stderr


def test_worker_once_drains_the_queue_and_exits(tmp_path: Path) -> None:
    from pystator.db.database import Database
    from pystator.worker import submit_event

    url = f"sqlite:///{tmp_path / 'x.db'}"
    CliRunner().invoke(main, ["db", "seed", "--db", url])
    database = Database(url).connect()
    submit_event(database, "order_management", "o-1", "exchange_ack")
    result = CliRunner().invoke(main, ["worker", "--db", url, "--once", "--poll-interval", "0.01"])
    assert result.exit_code == 0 and "processed 1 events" in result.stdout
    assert database.store.get_state("o-1") == "OPEN"
    database.close()


def test_worker_batch_size_must_be_at_least_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(main, ["worker", "--db", url, "--once", "--batch-size", "0"])
    assert result.exit_code == 2 and "--batch-size" in result.stderr


# -- one form for the database URL -------------------------------------------------------

COMMANDS = [["db", "init"], ["db", "upgrade"], ["db", "truncate", "--force"], ["db", "seed"]]


@pytest.mark.parametrize("command", [*COMMANDS, ["worker", "--once"]], ids=" ".join)
def test_every_command_takes_the_database_as_db_url(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / "given.db"
    result = CliRunner().invoke(main, [*command, "--db", f"sqlite:///{path}"])
    assert result.exit_code == 0, result.output
    assert path.exists() and "deprecated" not in result.stderr


@pytest.mark.parametrize("command", [*COMMANDS, ["worker", "--once"]], ids=" ".join)
def test_without_db_every_command_uses_pystator_db_url(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / "from-env.db"
    result = CliRunner().invoke(main, command, env={"PYSTATOR_DB_URL": f"sqlite:///{path}"})
    assert result.exit_code == 0, result.output
    assert path.exists()


@pytest.mark.parametrize(
    "old",
    [["db", "init", "URL"], ["db", "upgrade", "URL"], ["db", "seed", "--url", "URL"]],
    ids=" ".join,
)
def test_the_old_url_forms_still_work_with_a_deprecation_warning(
    old: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    result = CliRunner().invoke(main, [f"sqlite:///{path}" if a == "URL" else a for a in old])
    assert result.exit_code == 0, result.output
    assert path.exists()
    assert "deprecated; use --db URL" in result.stderr


def test_the_url_given_twice_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = CliRunner().invoke(main, ["db", "init", url, "--db", url])
    assert result.exit_code == 2 and "give the database URL once, as --db URL" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_help_shows_db_and_not_the_deprecated_forms() -> None:
    for command in (["db", "init"], ["db", "seed"], ["worker"]):
        shown = CliRunner().invoke(main, [*command, "--help"]).stdout
        assert "--db URL" in shown and "PYSTATOR_DB_URL" in shown
        assert "--url" not in shown and "[URL]" not in shown


# -- the worker's log ----------------------------------------------------------------------

LINE = re.compile(
    r"^\S+ \S+ (?P<level>INFO|WARNING) event (?P<id>\d+) (?P<entity>\S+) (?P<trigger>\S+): "
    r"(?P<outcome>.*) \((?P<ms>\d+\.\d) ms\)$"
)


def _queue_two_events(tmp_path: Path) -> str:
    from pystator.db.database import Database
    from pystator.worker import submit_event

    url = f"sqlite:///{tmp_path / 'x.db'}"
    CliRunner().invoke(main, ["db", "seed", "--db", url])
    database = Database(url).connect()
    submit_event(database, "order_management", "o-1", "exchange_ack")
    submit_event(database, "order_management", "o-2", "no_such_trigger")
    database.close()
    return url


def _worker(url: str, *options: str) -> list[re.Match[str]]:
    result = CliRunner().invoke(
        main, ["worker", "--db", url, "--once", "--poll-interval", "0.01", *options]
    )
    assert result.exit_code == 0, result.output
    assert "processed 2 events" in result.stdout
    # Besides the event lines: the warning that the worker arms no timers.
    lines = [line for line in result.stderr.splitlines() if "has timers" not in line]
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return [match for match in matches if match]


def test_the_worker_logs_one_line_per_event(tmp_path: Path) -> None:
    done, failed = _worker(_queue_two_events(tmp_path))
    assert (done["level"], done["entity"], done["trigger"]) == (
        "INFO",
        "order_management/o-1",
        "exchange_ack",
    )
    assert done["outcome"] == "done, PENDING_NEW -> OPEN"
    assert (failed["level"], failed["entity"], failed["trigger"]) == (
        "WARNING",
        "order_management/o-2",
        "no_such_trigger",
    )
    assert failed["outcome"].startswith("failed, ") and "no_such_trigger" in failed["outcome"]
    assert int(failed["id"]) == int(done["id"]) + 1


def test_the_quiet_worker_logs_only_events_that_did_not_succeed(tmp_path: Path) -> None:
    (failed,) = _worker(_queue_two_events(tmp_path), "--quiet")
    assert failed["level"] == "WARNING" and failed["entity"] == "order_management/o-2"


def test_a_log_line_escapes_line_breaks_in_what_it_quotes(tmp_path: Path) -> None:
    from pystator.db.database import Database
    from pystator.worker import submit_event

    url = f"sqlite:///{tmp_path / 'x.db'}"
    CliRunner().invoke(main, ["db", "seed", "--db", url])
    database = Database(url).connect()
    submit_event(database, "order_management", "o-1", "ship\nINFO forged line")
    database.close()
    result = CliRunner().invoke(main, ["worker", "--db", url, "--once", "--poll-interval", "0"])
    (line,) = [line for line in result.stderr.splitlines() if "has timers" not in line]
    assert "ship\\nINFO forged line" in line
