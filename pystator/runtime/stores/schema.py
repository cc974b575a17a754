"""Schema: every table pystator keeps in SQLite or PostgreSQL, described once, and the
statements that create, index and empty them in either dialect.

The stores own entity_states, transition_history and event_outcomes (STORE_TABLES); the
service layer (API, worker, `pystator db`) adds the machine catalog and the event queue
(SERVICE_TABLES). `migrate.py` runs these statements and upgrades tables of earlier versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Dialect = Literal["sqlite", "postgresql"]

#: Column kinds and their SQLite and PostgreSQL types.
_TYPES: dict[str, tuple[str, str]] = {
    "text": ("TEXT", "TEXT"),
    "integer": ("INTEGER", "INTEGER"),
    "bigint": ("INTEGER", "BIGINT"),
    "boolean": ("INTEGER", "BOOLEAN"),
    "real": ("REAL", "DOUBLE PRECISION"),
    # SQLite's AUTOINCREMENT never reuses the id of a deleted row, like a sequence.
    "serial": ("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"),
}


@dataclass(frozen=True, slots=True)
class Column:
    """`rule` follows the type: NOT NULL, a DEFAULT, or nothing for a nullable column.
    `added`: tables of earlier versions lack it, so it is added in place (with a default)."""

    name: str
    kind: str
    rule: str = "NOT NULL"
    added: bool = False

    def definition(self, dialect: Dialect) -> str:
        sql_type = _TYPES[self.kind][dialect == "postgresql"]
        return f"{self.name} {sql_type} {self.rule}".rstrip()


@dataclass(frozen=True, slots=True)
class Index:
    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """`retired`: indexes earlier versions created, dropped where they are found."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()
    retired: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _text(name: str, rule: str = "NOT NULL", *, added: bool = False) -> Column:
    return Column(name, "text", rule, added)


# -- the stores' tables ----------------------------------------------------------------------

ENTITY_STATES = Table(
    "entity_states",
    (
        _text("machine_name", "NOT NULL DEFAULT ''"),
        _text("entity_id"),
        _text("state"),
        _text("context", "NOT NULL DEFAULT '{}'"),
        _text("history", "NOT NULL DEFAULT '{}'"),
        _text("parallel", ""),
        Column("version", "bigint"),
        _text("machine_version", "NOT NULL DEFAULT ''", added=True),
        _text("fingerprint", "NOT NULL DEFAULT ''", added=True),
        _text("timers", "NOT NULL DEFAULT '{}'", added=True),
    ),
    key=("machine_name", "entity_id"),
    indexes=(Index("entity_states_entity", ("entity_id",)),),
)

TRANSITION_HISTORY = Table(
    "transition_history",
    (
        Column("id", "serial", ""),
        _text("machine_name", "NOT NULL DEFAULT ''"),
        _text("entity_id"),
        _text("source_state"),
        _text("target_state", ""),
        _text("trigger"),
        Column("success", "boolean"),
        _text("error", ""),
        _text("actions"),
        _text("timestamp"),
        Column("duration_ms", "real"),
    ),
    indexes=(Index("transition_history_machine_entity", ("machine_name", "entity_id", "id")),),
    retired=("transition_history_entity",),
)

EVENT_OUTCOMES = Table(
    "event_outcomes",
    (_text("machine_name"), _text("entity_id"), _text("key"), _text("outcome")),
    key=("machine_name", "entity_id", "key"),
)

# -- the service layer's tables --------------------------------------------------------------

MACHINES = Table(
    "machines",
    (
        _text("id"),
        _text("name"),
        Column("version", "integer"),
        _text("yaml"),
        _text("created_at"),
        _text("updated_at"),
    ),
    key=("id",),
)

MACHINE_VERSIONS = Table(
    "machine_versions",
    (_text("machine_id"), Column("version", "integer"), _text("yaml"), _text("created_at")),
    key=("machine_id", "version"),
)

WORKER_EVENTS = Table(
    "worker_events",
    (
        Column("id", "serial", ""),
        _text("machine_id"),
        _text("entity_id"),
        _text("trigger"),
        _text("context"),
        _text("status", "NOT NULL DEFAULT 'pending'"),
        Column("attempts", "integer", "NOT NULL DEFAULT 0"),
        _text("error", ""),
        _text("result", ""),
        _text("claimed_by", ""),
        Column("claimed_at", "real", ""),
        Column("available_at", "real", "NOT NULL DEFAULT 0"),
        _text("created_at"),
    ),
    # An entity is a machine and an id: claims look for earlier events of both.
    indexes=(
        Index("worker_events_status", ("status", "id")),
        Index("worker_events_machine_entity", ("machine_id", "entity_id", "id")),
    ),
    retired=("worker_events_entity",),
)

STORE_TABLES = (ENTITY_STATES, TRANSITION_HISTORY, EVENT_OUTCOMES)
SERVICE_TABLES = (MACHINES, MACHINE_VERSIONS, WORKER_EVENTS)
ALL_TABLES = STORE_TABLES + SERVICE_TABLES


# -- statements ------------------------------------------------------------------------------


def qualified(name: str, dialect: Dialect, schema: str) -> str:
    """A table or index name as statements write it: PostgreSQL's carry their schema."""
    return f"{schema}.{name}" if dialect == "postgresql" else name


def create_table(table: Table, dialect: Dialect, schema: str = "", name: str = "") -> str:
    """CREATE TABLE IF NOT EXISTS for `table`, under `name` when given (a rebuild's copy)."""
    parts = [column.definition(dialect) for column in table.columns]
    if table.key:
        parts.append(f"PRIMARY KEY ({', '.join(table.key)})")
    body = ",\n    ".join(parts)
    target = qualified(name or table.name, dialect, schema)
    return f"CREATE TABLE IF NOT EXISTS {target} (\n    {body}\n)"


def add_column(table: Table, column: Column, dialect: Dialect, schema: str = "") -> str:
    """ALTER TABLE ... ADD COLUMN; PostgreSQL's skips a column the table has."""
    exists = "IF NOT EXISTS " if dialect == "postgresql" else ""
    return (
        f"ALTER TABLE {qualified(table.name, dialect, schema)} "
        f"ADD COLUMN {exists}{column.definition(dialect)}"
    )


def index_statements(
    tables: tuple[Table, ...], dialect: Dialect, schema: str = ""
) -> tuple[str, ...]:
    """Drop the retired indexes of `tables` and create their current ones.

    Run after upgrades: an index may name a column that older tables lack until then.
    """
    statements: list[str] = []
    for table in tables:
        statements += [
            f"DROP INDEX IF EXISTS {qualified(n, dialect, schema)}" for n in table.retired
        ]
        statements += [
            f"CREATE INDEX IF NOT EXISTS {index.name} ON "
            f"{qualified(table.name, dialect, schema)} ({', '.join(index.columns)})"
            for index in table.indexes
        ]
    return tuple(statements)


def truncate_statements(
    tables: tuple[Table, ...], dialect: Dialect, schema: str = ""
) -> tuple[str, ...]:
    """Empty `tables`, the queue and catalog before the entities they name."""
    ordered = tuple(reversed(tables))
    if dialect == "postgresql":
        return (f"TRUNCATE {', '.join(qualified(t.name, dialect, schema) for t in ordered)}",)
    return tuple(f"DELETE FROM {table.name}" for table in ordered)
