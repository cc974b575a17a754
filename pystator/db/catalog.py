"""Catalog: machines stored as YAML with numbered versions, compiled on every write.

Only YAML that compiles is stored; each update adds a version and keeps the old ones.
Stored entities are keyed by machine name, so one name belongs to one catalog machine,
and a new version keeps the name and strands no stored entity (the rules of
`pystator-gen diff`: a removed state needs a `renamed_from:` on its successor).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pystator.db.database import Cursor, Database
from pystator.generator.diagnostics import CompileError
from pystator.generator.evolution import diff_specs
from pystator.generator.load import load_text
from pystator.generator.pipeline import Compiled, compile_document
from pystator.runtime.machine import StateMachine
from pystator.runtime.stores._failures import Repeat

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
#: Reads change nothing, so one that lost its connection always runs again.
READ = Repeat.ALWAYS


class CatalogError(Exception):
    """A request the catalog refuses; `status` is the HTTP status that fits."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class StoredMachine:
    id: str
    name: str
    version: int
    yaml: str
    created_at: str
    updated_at: str


def compile_yaml(text: str, file: str = "machine.yaml") -> Compiled:
    """Compile machine text; raises CompileError with positioned diagnostics."""
    return compile_document(load_text(text, file))


def check_id(machine_id: str) -> str:
    if not isinstance(machine_id, str) or not _ID.fullmatch(machine_id):
        raise CatalogError(
            422,
            f"machine id {machine_id!r} must be 1-128 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit",
        )
    return machine_id


_COLUMNS = "id, name, version, yaml, created_at, updated_at"


class Catalog:
    """Machines in the `machines` and `machine_versions` tables, with compiled machines
    cached per (id, version).

    Each operation is one transaction on the Database's connections; reads run again after
    a lost connection, writes only when nothing can have been committed.
    """

    def __init__(self, database: Database) -> None:
        self.db = database
        self._machines: dict[tuple[str, int], StateMachine[str, str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def create(self, yaml_text: str, machine_id: str | None = None) -> StoredMachine:
        compiled = compile_yaml(yaml_text)
        name = compiled.spec.name
        chosen = check_id(machine_id or name)
        now = _now()
        p = self.db.prefix

        def insert(cursor: Cursor) -> None:
            self._lock_machines(cursor)
            if cursor.execute(f"SELECT 1 FROM {p}machines WHERE id = %s", (chosen,)).fetchone():
                raise CatalogError(409, f"machine {chosen!r} exists; PUT a new version instead")
            owner = _owner(cursor, p, name)
            if owner is not None:
                raise CatalogError(
                    409,
                    f"machine name {name!r} belongs to catalog machine {owner.id!r}, whose "
                    "stored entities are keyed by that name and would be taken over; send "
                    f"this YAML as a new version of {owner.id!r} (PUT /api/v1/machines/"
                    f"{owner.id}) or give it another meta.machine_name",
                )
            cursor.execute(
                f"INSERT INTO {p}machines ({_COLUMNS}) VALUES (%s, %s, 1, %s, %s, %s)",
                (chosen, name, yaml_text, now, now),
            )
            _add_version(cursor, p, chosen, 1, yaml_text, now)

        self.db.run(insert, "create")
        return StoredMachine(chosen, name, 1, yaml_text, now, now)

    def update(self, machine_id: str, yaml_text: str) -> StoredMachine:
        compiled = compile_yaml(yaml_text)
        now = _now()
        p = self.db.prefix

        def replace(cursor: Cursor) -> StoredMachine:
            self._lock_machines(cursor)
            stored = _get(cursor, p, machine_id)
            _check_evolution(machine_id, stored.name, stored.yaml, compiled)
            version = stored.version + 1
            cursor.execute(
                f"UPDATE {p}machines SET name = %s, version = %s, yaml = %s, updated_at = %s "
                "WHERE id = %s",
                (compiled.spec.name, version, yaml_text, now, machine_id),
            )
            _add_version(cursor, p, machine_id, version, yaml_text, now)
            return StoredMachine(
                machine_id, compiled.spec.name, version, yaml_text, stored.created_at, now
            )

        return self.db.run(replace, "update")

    def _lock_machines(self, cursor: Cursor) -> None:
        """Serialise catalog writes, so two machines cannot claim one name at once (SQLite's
        write lock already does)."""
        if self.db.postgres:
            cursor.execute(f"LOCK TABLE {self.db.prefix}machines IN SHARE ROW EXCLUSIVE MODE")

    def owner(self, name: str) -> StoredMachine | None:
        """The catalog machine whose machine name is `name`, if any."""
        return self.db.run(lambda cursor: _owner(cursor, self.db.prefix, name), "owner", READ)

    def get(self, machine_id: str, version: int | None = None) -> StoredMachine:
        p = self.db.prefix

        def read(cursor: Cursor) -> StoredMachine:
            current = _get(cursor, p, machine_id)
            if version is None or version == current.version:
                return current
            old = cursor.execute(
                f"SELECT yaml, created_at FROM {p}machine_versions "
                "WHERE machine_id = %s AND version = %s",
                (machine_id, version),
            ).fetchone()
            if old is None:
                raise CatalogError(404, f"machine {machine_id!r} has no version {version}")
            return StoredMachine(
                machine_id, current.name, version, old[0], current.created_at, old[1]
            )

        return self.db.run(read, "get", READ)

    def versions(self, machine_id: str) -> list[tuple[int, str]]:
        p = self.db.prefix

        def read(cursor: Cursor) -> list[tuple[int, str]]:
            _get(cursor, p, machine_id)
            rows = cursor.execute(
                f"SELECT version, created_at FROM {p}machine_versions "
                "WHERE machine_id = %s ORDER BY version",
                (machine_id,),
            ).fetchall()
            return [(int(version), str(created)) for version, created in rows]

        return self.db.run(read, "versions", READ)

    def list(self) -> list[StoredMachine]:
        sql = f"SELECT {_COLUMNS} FROM {self.db.prefix}machines ORDER BY id"
        rows = self.db.run(lambda cursor: cursor.execute(sql).fetchall(), "list", READ)
        return [StoredMachine(*row) for row in rows]

    def delete(self, machine_id: str) -> None:
        p = self.db.prefix

        def remove(cursor: Cursor) -> None:
            if not cursor.execute(f"DELETE FROM {p}machines WHERE id = %s", (machine_id,)).rowcount:
                raise CatalogError(404, f"no machine {machine_id!r}")
            cursor.execute(f"DELETE FROM {p}machine_versions WHERE machine_id = %s", (machine_id,))

        self.db.run(remove, "delete")
        with self._lock:
            for key in [key for key in self._machines if key[0] == machine_id]:
                del self._machines[key]

    def machine(
        self, machine_id: str, version: int | None = None
    ) -> StateMachine[str, str, dict[str, Any]]:
        """The compiled machine of a stored version (the current one by default)."""
        stored = self.get(machine_id, version)
        key = (machine_id, stored.version)
        with self._lock:
            found = self._machines.get(key)
        if found is not None:
            return found
        try:
            spec = compile_yaml(stored.yaml, f"{machine_id}.yaml").spec
        except CompileError as exc:  # stored YAML compiled when written; a newer compiler
            raise CatalogError(
                409,
                f"stored machine {machine_id!r} no longer compiles: {exc.diagnostics[0].format()}",
            ) from None
        built: StateMachine[str, str, dict[str, Any]] = StateMachine(spec)
        with self._lock:
            self._machines[key] = built
        return built


def _get(cursor: Cursor, p: str, machine_id: str) -> StoredMachine:
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM {p}machines WHERE id = %s", (machine_id,)
    ).fetchone()
    if row is None:
        raise CatalogError(404, f"no machine {machine_id!r}")
    return StoredMachine(*row)


def _owner(cursor: Cursor, p: str, name: str) -> StoredMachine | None:
    row = cursor.execute(
        f"SELECT {_COLUMNS} FROM {p}machines WHERE name = %s ORDER BY id LIMIT 1", (name,)
    ).fetchone()
    return None if row is None else StoredMachine(*row)


def _add_version(
    cursor: Cursor, p: str, machine_id: str, version: int, yaml: str, now: str
) -> None:
    cursor.execute(
        f"INSERT INTO {p}machine_versions (machine_id, version, yaml, created_at) "
        "VALUES (%s, %s, %s, %s)",
        (machine_id, version, yaml, now),
    )


def _check_evolution(machine_id: str, name: str, stored_yaml: str, new: Compiled) -> None:
    """Refuse a new version that renames the machine or strands its stored entities."""
    if new.spec.name != name:
        raise CatalogError(
            409,
            f"the new version of {machine_id!r} is named {new.spec.name!r}, but the stored "
            f"entities of {machine_id!r} are keyed by its name {name!r} and would be left "
            f"behind; keep meta.machine_name: {name}",
        )
    try:
        old = compile_yaml(stored_yaml, f"{machine_id}.yaml").spec
    except CompileError:  # a version a newer compiler refuses: the new one replaces it
        return
    found = diff_specs(old, new.spec)
    if found.stranded:
        problems = [line for line in found.lines() if line.startswith("removed state")]
        raise CatalogError(
            409,
            f"the new version of {machine_id!r} would strand stored entities: "
            + "; ".join(problems),
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()
