"""PostgresStateStore: the production store on PostgreSQL (psycopg 3, connection pool).

Writes are compare-and-set statements on the entity's version, committed together with
the history row, so replicas sharing the database never lose or double an event.
Entities are keyed by machine and id.
"""

from __future__ import annotations

import re
import select
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

from pystator.runtime.errors import ConfigurationError
from pystator.runtime.stores._codec import (
    ENTITY_FIELDS,
    HISTORY_FIELDS,
    dumps,
    entity_values,
    history_values,
    missing_extra,
)
from pystator.runtime.stores._failures import Repeat, guarded, store_call, take, transaction
from pystator.runtime.stores._libpq import Prepared
from pystator.runtime.stores._sql import Row, SQLReads, unchanged
from pystator.runtime.stores.base import Write
from pystator.runtime.stores.migrate import initialize_postgres
from pystator.runtime.stores.schema import STORE_TABLES, Table, truncate_statements

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

#: A versioned update's extra condition when the write must find the entity unchanged.
_UNCHANGED = unchanged("%s", "IS NOT DISTINCT FROM")


def _check_idle(connection: Any) -> None:
    """Raise if the server ended this idle pooled connection, without a round trip.

    An idle session receives nothing unasked, except a server ending it (its last message
    and the socket's end) or a rare notice: a readable socket is checked with an empty
    query (the pool's own check), which raises if the session is gone. A quiet socket is
    handed out as it is, saving a round trip per checkout; a server that ends the session
    after this look is the same race as after the empty query.
    """
    if _readable(connection.pgconn.socket):
        from psycopg_pool import ConnectionPool

        ConnectionPool.check_connection(connection)


def _readable(socket: int) -> bool:
    """Whether `socket` has input waiting (poll, where select's descriptor limit is none)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(socket, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([socket], [], [], 0)[0])


class PostgresStateStore(SQLReads):
    """Entities, transition history and idempotency records in PostgreSQL tables.

    Pooled connections are checked when taken from the pool, so a restarted server costs
    no failed operation; `timeout` is how long an operation waits for a connection before
    StoreUnavailableError. Driver errors are raised as StoreError, the driver's exception
    as the cause.
    """

    compares_records = True

    def __init__(
        self,
        connection_string: str,
        *,
        schema: str = "public",
        pool_size: int = 4,
        machine_name: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not isinstance(connection_string, str) or not connection_string.startswith(
            ("postgresql://", "postgres://")
        ):
            raise ConfigurationError(
                f"{connection_string!r} is not a PostgreSQL URL (postgresql://user@host/db)"
            )
        if not _SCHEMA_NAME.fullmatch(schema):
            raise ConfigurationError(f"{schema!r} is not a plain lower-case schema name")
        self.url = connection_string
        self.machine_name = self._scope(machine_name)
        self.schema = schema
        self._prefix = f"{schema}."
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: Any = None
        self._statements: dict[tuple[bool, ...], Prepared] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def connect(
        self, auto_initialize: bool = True, validate_schema: bool = False
    ) -> PostgresStateStore:
        if self._pool is not None:
            return self
        try:
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise missing_extra("psycopg and psycopg-pool", "postgres") from None
        # Autocommit: each statement is its own transaction unless a block asks for one,
        # which saves the COMMIT round trip of every single-statement read and write.
        self._pool = ConnectionPool(
            self.url,
            min_size=1,
            max_size=self.pool_size,
            open=True,
            timeout=self.timeout,
            # A connection the server closed (restart, failover, idle timeout) is replaced
            # when taken from the pool instead of failing the operation that took it.
            check=_check_idle,
            kwargs={"autocommit": True, "fallback_application_name": "pystator"},
        )
        try:
            if auto_initialize:
                self.initialize()
            if validate_schema:
                self.validate_schema()
        except BaseException:
            # A store that failed to start must not leave its pool's threads behind.
            self.close()
            raise
        return self

    @store_call(Repeat.ALWAYS)
    def initialize(self, tables: tuple[Table, ...] = STORE_TABLES) -> None:
        """Create the schema and `tables` (the store's own by default), upgrading those an
        earlier version created."""
        with self.transaction() as connection:
            initialize_postgres(connection, self.schema, tables)

    @store_call(Repeat.ALWAYS)
    def validate_schema(self, tables: tuple[Table, ...] = STORE_TABLES) -> None:
        with self._connection() as connection:
            found = {
                row[0]
                for row in connection.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (self.schema,),
                )
            }
        missing = {table.name for table in tables} - found
        if missing:
            raise ConfigurationError(
                f"schema {self.schema!r} lacks tables {', '.join(sorted(missing))}; "
                "run `pystator db init` or connect(auto_initialize=True)"
            )

    @store_call(Repeat.IF_UNSENT)
    def truncate(self, tables: tuple[Table, ...] = STORE_TABLES) -> None:
        """Delete every row of `tables` (the store's own by default)."""
        with self.transaction() as connection:
            for statement in truncate_statements(tables, "postgresql", self.schema):
                connection.execute(statement)

    @store_call(Repeat.ALWAYS)
    def drop(self) -> None:
        """Remove the schema and everything in it (tests use a schema of their own)."""
        with self._connection() as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    @property
    def connected(self) -> bool:
        """True while the store holds its connection pool open."""
        return self._pool is not None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        if self._pool is None:
            self.connect()
        # The pool's own context manager adds nothing here: an autocommit connection has
        # nothing to commit, and `putconn` rolls back one left in a transaction.
        pool = self._pool
        connection = take(pool)
        try:
            yield connection
        finally:
            pool.putconn(connection)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A pooled psycopg connection in one transaction, committed when the block ends.

        For work beside the store's own on its pool (the service layer's catalog and
        queue). A driver error before COMMIT is raised as `Unsent` (nothing was applied);
        wrap the work in `guarded` or `store_call` to turn errors into StoreError.
        """
        with self._connection() as connection, transaction(connection):
            yield connection

    # -- versioned protocol ---------------------------------------------------------------

    _mark = "%s"

    def _read(self, operation: str, sql: str, params: tuple[Any, ...]) -> list[Row]:
        # Reads are repeated on a fresh connection; errors name the operation they serve.
        return guarded(
            partial(self._rows, sql, params), Repeat.ALWAYS, type(self).__name__, operation
        )

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[Row]:
        with self._connection() as connection:
            rows: list[Row] = connection.execute(sql, params).fetchall()
        return rows

    # Autocommit: a lost answer leaves the commit unknown, so the write is sent again only
    # with an idempotency record that makes a second application impossible.
    @store_call(Repeat.IF_PROTECTED, "save")
    def _save(self, write: Write) -> int:
        record, entry, outcome = write.record, write.entry, write.outcome
        params: tuple[Any, ...] = (
            *entity_values(record),
            write.version,
            record.machine_name,
            record.entity_id,
        )
        if write.expected_version != 0:
            params = (*params, write.expected_version)
            if write.matching is not None:
                params = (*params, *entity_values(write.matching))
        if entry is not None:
            params = (*params, *history_values(entry))
        if outcome is not None:
            params = (*params, outcome[0], dumps(dict(outcome[1]), "outcome"))
        shape = (
            write.expected_version == 0,
            write.matching is not None,
            entry is not None,
            outcome is not None,
        )
        statement = self._statements.get(shape)
        if statement is None:
            statement = self._statements[shape] = Prepared(self._save_statement(*shape))
        from psycopg import errors

        try:
            with self._connection() as connection:
                written = statement.value(connection, params)
        except errors.UniqueViolation:
            if outcome is None:
                raise
            raise write.duplicate() from None
        if written != "1":
            raise write.stale()
        return write.version

    def _save_statement(self, create: bool, matching: bool, logged: bool, keyed: bool) -> str:
        """The one statement of a save: the versioned write of the entity, and the history
        row and idempotency record only if it happened (the whole save is one round trip on
        an autocommit connection). Values in SELECT lists are cast: they are sent untyped."""
        table = f"{self.schema}.entity_states"
        if create:
            written = (
                f"INSERT INTO {table} ({ENTITY_FIELDS}, version, machine_name, entity_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (machine_name, entity_id) DO NOTHING"
            )
        else:
            written = (
                f"UPDATE {table} SET state = %s, context = %s, history = %s, parallel = %s, "
                "machine_version = %s, fingerprint = %s, timers = %s, version = %s "
                "WHERE machine_name = %s AND entity_id = %s AND version = %s"
            )
            if matching:
                written += f" AND {_UNCHANGED}"
        statement = f"WITH written AS ({written} RETURNING machine_name, entity_id)"
        if logged:
            statement += (
                f", logged AS (INSERT INTO {self.schema}.transition_history (machine_name, "
                f"entity_id, {HISTORY_FIELDS}) SELECT machine_name, entity_id, %s::text, "
                "%s::text, %s::text, %s::boolean, %s::text, %s::text, %s::text, "
                "%s::double precision FROM written)"
            )
        if keyed:
            # A key stored before violates the primary key, which aborts the whole statement.
            statement += (
                f", remembered AS (INSERT INTO {self.schema}.event_outcomes (machine_name, "
                "entity_id, key, outcome) SELECT machine_name, entity_id, %s::text, %s::text "
                "FROM written)"
            )
        return f"{statement} SELECT count(*) FROM written"

    # ON CONFLICT DO NOTHING: writing the same key twice leaves the first outcome.
    @store_call(Repeat.ALWAYS, "remember")
    def _remember(
        self, machine_name: str, entity_id: str, key: str, outcome: Mapping[str, Any]
    ) -> None:
        with self._connection() as connection:
            connection.execute(
                f"INSERT INTO {self.schema}.event_outcomes (machine_name, entity_id, key, "
                "outcome) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (machine_name, entity_id, key, dumps(dict(outcome), "outcome")),
            )
