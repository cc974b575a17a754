"""The reads the SQL stores share: entities, machines of an id, history rows, outcomes.

Written once against a `_read` primitive; PostgreSQL and SQLite differ in the parameter
mark, the schema prefix of table names and how a query reaches the connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pystator.runtime.stores._codec import (
    ENTITY_FIELDS,
    HISTORY_COLUMNS,
    RECORD_COLUMNS,
    history_from_row,
    loads,
    record_from_row,
)
from pystator.runtime.stores.base import EntityRecord, HistoryEntry, RecordStore

Row = Sequence[Any]


def unchanged(mark: str, same: str) -> str:
    """The condition that an entity's row holds `entity_values` of a record (ENTITY_FIELDS
    in order, one parameter each): `same` is the dialect's null-safe equality for the one
    nullable column, `parallel`."""
    return " AND ".join(
        f"{name} {same if name == 'parallel' else '='} {mark}" for name in ENTITY_FIELDS.split(", ")
    )


class SQLReads(RecordStore):
    """RecordStore reads in SQL; a subclass gives `_read`, `_mark` and `_prefix`."""

    #: The driver's parameter placeholder.
    _mark = "?"

    #: What precedes a table name: a schema and a dot, or nothing.
    _prefix = ""

    def _read(self, operation: str, sql: str, params: tuple[Any, ...]) -> list[Row]:
        """The rows `sql` answers for `params`; `operation` names the read in errors."""
        raise NotImplementedError

    def _sql(self, text: str) -> str:
        return text.replace("{t}", self._prefix).replace("?", self._mark)

    def _fetch(self, entity_id: str, machine_name: str | None) -> list[EntityRecord]:
        if machine_name is None:
            rows = self._read(
                "load",
                self._sql(
                    f"SELECT {RECORD_COLUMNS} FROM {{t}}entity_states WHERE entity_id = ? LIMIT 2"
                ),
                (entity_id,),
            )
        else:
            rows = self._read(
                "load",
                self._sql(
                    f"SELECT {RECORD_COLUMNS} FROM {{t}}entity_states "
                    "WHERE machine_name = ? AND entity_id = ?"
                ),
                (machine_name, entity_id),
            )
        return [record_from_row(entity_id, row) for row in rows]

    # An outcome only exists beside its entity, so one query reads both.
    def _fetch_event(
        self, entity_id: str, machine_name: str, key: str
    ) -> tuple[list[EntityRecord], Mapping[str, Any] | None]:
        rows = self._read(
            "load",
            self._sql(
                f"SELECT {RECORD_COLUMNS}, (SELECT outcome FROM {{t}}event_outcomes "
                "WHERE machine_name = ? AND entity_id = ? AND key = ?) "
                "FROM {t}entity_states WHERE machine_name = ? AND entity_id = ?"
            ),
            (machine_name, entity_id, key, machine_name, entity_id),
        )
        if not rows:
            return [], None
        row = rows[0]
        seen = None if row[-1] is None else loads(row[-1], "event outcome", entity_id)
        return [record_from_row(entity_id, row[:-1])], seen

    def machines_of(self, entity_id: str) -> tuple[str, ...]:
        rows = self._read(
            "machines_of",
            self._sql(
                "SELECT machine_name FROM {t}entity_states WHERE entity_id = ? "
                "ORDER BY machine_name"
            ),
            (entity_id,),
        )
        return tuple(row[0] for row in rows)

    def _history(self, machine_name: str, entity_id: str) -> list[HistoryEntry]:
        rows = self._read(
            "history",
            self._sql(
                f"SELECT {HISTORY_COLUMNS} FROM {{t}}transition_history "
                "WHERE machine_name = ? AND entity_id = ? ORDER BY id"
            ),
            (machine_name, entity_id),
        )
        return [history_from_row(entity_id, row) for row in rows]

    def _recall(self, machine_name: str, entity_id: str, key: str) -> Mapping[str, Any] | None:
        rows = self._read(
            "recall",
            self._sql(
                "SELECT outcome FROM {t}event_outcomes "
                "WHERE machine_name = ? AND entity_id = ? AND key = ?"
            ),
            (machine_name, entity_id, key),
        )
        if not rows:
            return None
        outcome: Mapping[str, Any] = loads(rows[0][0], "event outcome", entity_id)
        return outcome
