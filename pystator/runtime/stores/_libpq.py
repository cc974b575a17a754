"""Statements the PostgreSQL store runs on libpq directly: its one statement per event.

psycopg adapts each parameter, builds a cursor and waits for the answer in Python on every
execute, which costs more client CPU than the server spends on a small write. The save's
parameters are plain text, integers, booleans and floats and its answer is one value, so
it is prepared once per connection and run with `PQexecPrepared`, which waits for the
answer without holding the GIL. Errors are psycopg's own exceptions, as `execute` raises
them, so the store's failure policy sees no difference.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from typing import Any

#: A `%s` placeholder as psycopg writes it (the store's statements hold no literal %).
_MARK = re.compile(r"%s")

#: The SQLSTATE of a prepared statement the session does not know (a reset session).
_UNKNOWN_STATEMENT = "26000"

#: The SQLSTATE of a statement name the session prepared already.
_DUPLICATE_STATEMENT = b"42P05"

#: libpq's PGRES_COMMAND_OK and PGRES_TUPLES_OK (psycopg.pq.ExecStatus, which would import
#: psycopg with this module).
_SUCCEEDED = (1, 2)


def _text(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text format; the statement's context gives its type."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value.encode()  # type: ignore[no-any-return]
    if kind is bool:
        return b"t" if value else b"f"
    if kind is int:
        return b"%d" % value
    if kind is float:
        return repr(value).encode()
    raise TypeError(f"a {kind.__name__} is not a parameter of a prepared store statement")


class Prepared:
    """One statement, prepared on each connection the first time it runs there.

    Parameters are sent untyped: where the statement's context does not give a type (a
    value in a SELECT list), the statement casts it. A session whose client encoding is
    not UTF-8 runs it through psycopg instead.
    """

    def __init__(self, sql: str) -> None:
        self.psycopg_sql = sql
        count = iter(range(1, sql.count("%s") + 1))
        self.sql = _MARK.sub(lambda _: f"${next(count)}", sql).encode()
        self.name = b"pystator_" + hashlib.sha256(self.sql).hexdigest()[:24].encode()
        self._ready: weakref.WeakSet[Any] = weakref.WeakSet()

    def value(self, connection: Any, params: tuple[Any, ...]) -> str | None:
        """The first column of the first row the statement answers, as text (None if it
        answers no row or NULL)."""
        ready = connection in self._ready
        if not ready and connection.info.encoding != "utf-8":
            row = connection.execute(self.psycopg_sql, params).fetchone()
            return None if row is None or row[0] is None else str(row[0])
        # Most parameters are text: encoded in line, the rest by `_text`.
        arguments = [value.encode() if type(value) is str else _text(value) for value in params]
        try:
            return self._run(connection, arguments, ready)
        except Exception as exc:
            if getattr(exc, "sqlstate", None) != _UNKNOWN_STATEMENT:
                raise
        # The session forgot its prepared statements (DISCARD ALL, a pooler between):
        # nothing ran, so it is prepared again and run once more.
        return self._run(connection, arguments, False)

    def _run(self, connection: Any, arguments: list[bytes | None], ready: bool) -> str | None:
        pgconn = connection.pgconn
        if not ready:
            from psycopg import pq

            prepared = pgconn.prepare(self.name, self.sql)
            # Already prepared in this session (by another handle on the same connection).
            if prepared.error_field(pq.DiagnosticField.SQLSTATE) != _DUPLICATE_STATEMENT:
                _check(pgconn, prepared)
            self._ready.add(connection)
        result = pgconn.exec_prepared(self.name, arguments)
        _check(pgconn, result)
        if result.ntuples == 0:
            return None
        value = result.get_value(0, 0)
        return None if value is None else bytes(value).decode()


def _check(pgconn: Any, result: Any) -> None:
    """Raise what psycopg's `execute` would for a failed `result`."""
    if result.status in _SUCCEEDED:
        return
    from psycopg import errors, pq

    if pgconn.status == pq.ConnStatus.BAD:
        # The socket closed: psycopg says so with an OperationalError without a SQLSTATE.
        message = pgconn.error_message.decode("utf-8", "replace").strip()
        raise errors.OperationalError(message or "the connection is lost")
    raise errors.error_from_result(result, encoding="utf-8")
