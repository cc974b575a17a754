"""Entities stored under an old machine version load under the new one, or fail clearly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pystator import Orchestrator, StateMachine, UndefinedStateError
from tests.runtime.stores.conftest import open_store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_renamed_states_migrate_and_removed_ones_fail_with_both_versions(
    store_spec: tuple[str, str, str],
) -> None:
    old = StateMachine.from_yaml(FIXTURES / "evolve_v1.yaml")
    new = StateMachine.from_yaml(FIXTURES / "evolve_v2.yaml")
    store: Any = open_store(store_spec)
    try:
        before = Orchestrator(old, store)
        before.process_event("renamed", "assign")
        for trigger in ("assign", "ask"):
            before.process_event("stranded", trigger)
        stored = store.load("renamed")
        assert (stored.machine_version, stored.fingerprint) == ("1.0", old.spec.fingerprint)

        after = Orchestrator(new, store)
        moved = after.process_event("renamed", "reply", {"body": "hi", "attachments": 0})
        assert (moved.source_state, moved.target_state) == ("in_progress", "in_progress")
        rewritten = store.load("renamed")
        assert (rewritten.state, rewritten.machine_version) == ("in_progress", "2.0")

        with pytest.raises(UndefinedStateError) as caught:
            after.process_event("stranded", "close")
        message = str(caught.value)
        assert "'waiting_customer'" in message
        assert "version 2.0 (snapshot from version 1.0)" in message
        assert store.load("stranded").state == "waiting_customer", "nothing was reset"
    finally:
        store.close()


def test_a_sqlite_file_from_before_machine_versions_is_upgraded_in_place(tmp_path: Path) -> None:
    import sqlite3

    from pystator import SQLiteStateStore

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE entity_states (entity_id TEXT PRIMARY KEY, machine_name TEXT NOT NULL "
            "DEFAULT '', state TEXT NOT NULL, context TEXT NOT NULL DEFAULT '{}', history TEXT "
            "NOT NULL DEFAULT '{}', parallel TEXT, version INTEGER NOT NULL)"
        )
        db.execute(
            "INSERT INTO entity_states (entity_id, machine_name, state, version) "
            "VALUES ('t-1', 'ticket', 'triage', 3)"
        )
    store = SQLiteStateStore(f"sqlite:///{path}").connect()
    record = store.load("t-1")
    assert record is not None
    assert (record.state, record.version, record.machine_version) == ("triage", 3, "")
    result = Orchestrator(StateMachine.from_yaml(FIXTURES / "evolve_v2.yaml"), store).process_event(
        "t-1", "close"
    )
    assert result.target_state == "closed"
    store.close()
