"""Outages for tests: a port where nothing listens, and the PostgreSQL sessions of one
application name ended from a separate connection, as a server restart would end them."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import PG_URL


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, so nothing else takes it, but not
    listening."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


def application_name() -> str:
    return f"pystator_test_{uuid.uuid4().hex[:12]}"


def named_url(name: str, url: str = PG_URL) -> str:
    """`url` with `application_name`, so that `terminate` finds its sessions."""
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def terminate(name: str) -> int:
    """End every server session of application `name`; returns how many it ended."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


def sessions(name: str) -> int:
    """How many server sessions application `name` has open."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


def end_session(pid: int) -> None:
    """End one server session, from a separate connection."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
