"""The `pystator` command: operations on the databases behind the SQL stores.

`pystator db init|upgrade|truncate [URL]`; the URL defaults to PYSTATOR_DB_URL, then to
`pystator.db` in the working directory.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from pystator import __version__
from pystator.runtime.errors import FSMError


def _open(url: str | None) -> Any:
    from pystator.runtime.stores import PostgresStateStore, SQLiteStateStore

    url = url or os.environ.get("PYSTATOR_DB_URL")
    if url and url.startswith(("postgresql://", "postgres://")):
        return PostgresStateStore(url)
    return SQLiteStateStore(url)


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
@click.argument("url", required=False)
def init(url: str | None) -> None:
    """Create the tables (entity_states, transition_history, event_outcomes)."""
    try:
        store = _open(url)
        store.connect(auto_initialize=True)
        store.close()
    except (FSMError, OSError) as exc:
        _fail(exc)
    except Exception as exc:  # the driver's own connection errors
        _fail(exc)
    click.echo("pystator tables are ready")


@db.command()
@click.argument("url", required=False)
def upgrade(url: str | None) -> None:
    """Bring existing tables up to this version's schema (creating what is missing)."""
    try:
        store = _open(url)
        store.connect(auto_initialize=True)
        store.close()
    except Exception as exc:  # reported, not a traceback: usually a URL or server problem
        _fail(exc)
    click.echo("pystator schema is up to date")


@db.command()
@click.argument("url", required=False)
@click.option("--force", is_flag=True, help="Do not ask for confirmation.")
def truncate(url: str | None, force: bool) -> None:
    """Delete every entity, history row and event outcome."""
    if not force and not click.confirm(
        "Delete all pystator entities, history and event outcomes?", default=False
    ):
        click.echo("nothing deleted")
        sys.exit(1)
    try:
        store = _open(url)
        store.connect(auto_initialize=True)
        store.truncate()
        store.close()
    except Exception as exc:  # reported, not a traceback
        _fail(exc)
    click.echo("pystator tables are empty")


if __name__ == "__main__":  # pragma: no cover
    main()
