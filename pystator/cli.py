"""The `pystator` command: the databases behind the SQL stores, the worker and the API.

Every command that opens a database takes it as `--db URL`; without it, PYSTATOR_DB_URL,
then `pystator.db` in the working directory. The URL as an argument (`db init URL`) and
`--url` still work, with a deprecation warning.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from pystator import __version__
from pystator.runtime.errors import FSMError
from pystator.runtime.extras import install_hint

DEFAULT_DB_URL = "sqlite:///pystator.db"
API_EXTRA = install_hint("api")
F = TypeVar("F", bound=Callable[..., Any])


def db_option(command: F) -> F:
    """`--db URL` and the deprecated `--url` it replaces."""
    command = click.option("--url", "legacy_url", hidden=True)(command)
    return click.option(
        "--db",
        "db_url",
        metavar="URL",
        help="Database: sqlite:///FILE or postgresql://... [default: PYSTATOR_DB_URL, "
        f"then {DEFAULT_DB_URL}]",
    )(command)


def url_argument(command: F) -> F:
    """The URL as an argument, as `pystator db` took it before `--db`: still read, deprecated."""
    return click.argument("legacy_argument", metavar="", required=False)(command)


def _database_url(db_url: str | None, *legacy: str | None) -> str | None:
    """The URL the command was given: `--db`, else a deprecated form (with a warning)."""
    given = [value for value in legacy if value]
    if given:
        if db_url is not None or len(given) > 1:
            raise click.UsageError("give the database URL once, as --db URL.")
        click.echo(
            "pystator: giving the database URL as an argument or with --url is deprecated; "
            "use --db URL.",
            err=True,
        )
        return given[0]
    return db_url


def _open(url: str | None) -> Any:
    from pystator.db.database import Database

    url = url or os.environ.get("PYSTATOR_DB_URL") or DEFAULT_DB_URL
    return Database(url, schema=os.environ.get("PYSTATOR_DB_SCHEMA", "public"))


def _fail(exc: Exception) -> None:
    click.echo(f"pystator: {exc}", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pystator")
def main() -> None:
    """pystator operations."""


@main.group()
def db() -> None:
    """Create, upgrade and empty the tables of the SQL stores."""


@db.command()
@db_option
@url_argument
def init(db_url: str | None, legacy_url: str | None, legacy_argument: str | None) -> None:
    """Create the tables: entity_states, transition_history, event_outcomes, machines,
    machine_versions and worker_events."""
    url = _database_url(db_url, legacy_argument, legacy_url)
    try:
        database = _open(url)
        database.connect()
        database.close()
    except (FSMError, OSError) as exc:
        _fail(exc)
    except Exception as exc:  # the driver's own connection errors
        _fail(exc)
    click.echo("pystator tables are ready")


@db.command()
@db_option
@url_argument
def upgrade(db_url: str | None, legacy_url: str | None, legacy_argument: str | None) -> None:
    """Bring existing tables up to this version's schema: create missing tables, add
    missing columns and key entities by machine and id; never drops data."""
    url = _database_url(db_url, legacy_argument, legacy_url)
    try:
        database = _open(url)
        database.connect()
        database.close()
    except Exception as exc:  # reported, not a traceback: usually a URL or server problem
        _fail(exc)
    click.echo("pystator schema is up to date")


@db.command()
@db_option
@url_argument
@click.option("--force", is_flag=True, help="Do not ask for confirmation.")
def truncate(
    db_url: str | None, legacy_url: str | None, legacy_argument: str | None, force: bool
) -> None:
    """Delete every entity, history row, event outcome, machine and queued event."""
    url = _database_url(db_url, legacy_argument, legacy_url)
    if not force and not click.confirm(
        "Delete all pystator entities, history, machines and queued events?", default=False
    ):
        click.echo("nothing deleted")
        sys.exit(1)
    try:
        database = _open(url)
        database.connect()
        database.truncate()
        database.close()
    except Exception as exc:  # reported, not a traceback
        _fail(exc)
    click.echo("pystator tables are empty")


@db.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True))
@db_option
def seed(files: tuple[str, ...], db_url: str | None, legacy_url: str | None) -> None:
    """Add machine YAML files (or the YAML files of directories) to the machine catalog.

    Without FILES, adds the bundled order example. A machine already in the catalog gets a
    new version when its YAML changed.
    """
    from pathlib import Path

    from pystator.db.catalog import Catalog, CatalogError
    from pystator.generator.diagnostics import CompileError

    url = _database_url(db_url, legacy_url)
    paths: list[Path] = []
    for given in files or (str(Path(__file__).parent / "db" / "seed"),):
        found = Path(given)
        paths += (
            sorted(found.glob("*.yaml")) + sorted(found.glob("*.yml"))
            if found.is_dir()
            else [found]
        )
    try:
        database = _open(url)
        database.connect()
    except Exception as exc:  # reported, not a traceback
        _fail(exc)
    catalog = Catalog(database)
    failed = False
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:
            try:
                stored = catalog.create(text)
            except CatalogError as exc:
                if exc.status != 409:
                    raise
                from pystator.db.catalog import compile_yaml

                # A machine already in the catalog gets a new version, under whichever id
                # holds its name.
                name = compile_yaml(text).spec.name
                owner = catalog.owner(name)
                machine_id = owner.id if owner is not None else name
                if catalog.get(machine_id).yaml == text:
                    click.echo(f"{path}: {machine_id} unchanged")
                    continue
                stored = catalog.update(machine_id, text)
            click.echo(f"{path}: {stored.id} version {stored.version}")
        except CompileError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(f"{path}: {diagnostic.format()}", err=True)
            failed = True
        except CatalogError as exc:
            click.echo(f"{path}: {exc.message}", err=True)
            failed = True
    database.close()
    if failed:
        sys.exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Serve without authentication, on purpose (PYSTATOR_NO_AUTH=1). Without it the "
    "API needs an auth secret (PYSTATOR_AUTH_SECRET, 32 bytes or more).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Also answer requests for this host name (repeatable; *.example.com for its "
    "subdomains, * for any host). localhost names are always answered.",
)
def api(host: str, port: int, no_auth: bool, allowed_hosts: tuple[str, ...]) -> None:
    """Serve the REST API and the web UI (needs pystator's extra `api`).

    Settings come from pystator.cfg and PYSTATOR_* variables; the options add to them.
    """
    from dataclasses import replace

    try:
        import uvicorn

        from pystator.api.main import create_app
        from pystator.db.config import load_settings
    except ImportError as exc:
        _fail(ImportError(f"{exc}; {API_EXTRA}"))
    try:
        settings = load_settings()
        settings = replace(
            settings,
            no_auth=settings.no_auth or no_auth,
            allowed_hosts=settings.allowed_hosts + allowed_hosts,
        )
        app = create_app(settings)
    except (ValueError, FSMError) as exc:
        _fail(exc)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.allowed_hosts:
        click.echo(
            f"pystator: listening on {host}, but answering only requests for localhost "
            "names: add the names clients use with --allowed-host",
            err=True,
        )
    uvicorn.run(app, host=host, port=port)


@main.command()
@db_option
@click.option("--poll-interval", default=0.5, show_default=True, type=float)
@click.option(
    "--batch-size",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Events claimed at once, at most one per entity.",
)
@click.option("--once", is_flag=True, help="Exit when the queue is empty.")
@click.option(
    "-q", "--quiet", is_flag=True, help="Log only failed and retried events, not every one."
)
def worker(
    db_url: str | None,
    legacy_url: str | None,
    poll_interval: float,
    batch_size: int,
    once: bool,
    quiet: bool,
) -> None:
    """Process queued events from worker_events until stopped (Ctrl-C), logging a line per
    event: its id, machine/entity, trigger, outcome and duration."""
    import signal
    import threading

    from pystator.worker import Worker

    url = _database_url(db_url, legacy_url)
    try:
        database = _open(url)
        database.connect()
    except Exception as exc:  # reported, not a traceback
        _fail(exc)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    runner = Worker(database, poll_interval=poll_interval, batch_size=batch_size)
    click.echo(f"pystator worker {runner.worker_id} started")
    with _worker_log(logging.WARNING if quiet else logging.INFO):
        try:
            count = runner.run(stop, exit_when_idle=once)
        except KeyboardInterrupt:
            count = runner.processed
    database.close()
    click.echo(f"processed {count} events")


class _EchoHandler(logging.Handler):
    """Log records as lines on stderr, through click (which tests can capture)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            click.echo(self.format(record), err=True)
        except Exception:
            self.handleError(record)


@contextmanager
def _worker_log(level: int) -> Iterator[None]:
    """Show the worker's log at `level` and above while the block runs."""
    handler = _EchoHandler(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger("pystator.worker")
    previous = log.level
    log.addHandler(handler)
    log.setLevel(min(level, log.getEffectiveLevel()))
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)


# -- ui: the web UI, served by the API server ----------------------------------------------
# `ui serve` and `ui dev` take exactly `api`'s options and run its callback, so an option
# added to `api` is one of theirs too.


@main.group()
def ui() -> None:
    """Serve the web UI (with the REST API it runs on)."""


def _serve_ui(**options: Any) -> None:
    click.get_current_context().invoke(api, **options)


def _run_api(options: dict[str, Any], sockets: Any = None) -> None:
    """`pystator api` with `options`, in a process the reloader started (`sockets` is the
    reloader's; `api` binds its own)."""
    with click.Context(main, info_name="pystator") as context:
        context.invoke(api, **options)


def _dev_ui(**options: Any) -> None:
    from functools import partial
    from pathlib import Path

    try:
        import uvicorn
        from uvicorn.supervisors import ChangeReload
    except ImportError as exc:
        _fail(ImportError(f"{exc}; {API_EXTRA}"))
    package = Path(__file__).resolve().parent
    # Only the reloader's settings are used: which directory to watch and how to log.
    config = uvicorn.Config("pystator.api.main:create_app", reload=True, reload_dirs=[str(package)])
    click.echo(f"pystator ui dev: restarting on changes to the Python files in {package}")
    ChangeReload(config, target=partial(_run_api, options), sockets=[]).run()


# `pystator ui serve` and `ui dev` take the options of `pystator api`.
for name, callback, short_help, text in (
    (
        "serve",
        _serve_ui,
        "Serve the web UI and the REST API (the options of `pystator api`).",
        "Serve the web UI and the REST API: `pystator api` under its UI name, with the same "
        "options.",
    ),
    (
        "dev",
        _dev_ui,
        "Serve them, restarting when the code changes (for development).",
        "`pystator ui serve` that restarts when a Python file of the package changes; the "
        "UI's HTML, JavaScript and CSS are read on every request, so a browser reload shows "
        "an edit. No Node build is involved.",
    ),
):
    ui.add_command(
        click.Command(
            name, params=list(api.params), callback=callback, short_help=short_help, help=text
        )
    )


if __name__ == "__main__":  # pragma: no cover
    main()
