"""`commit` with an expected record: the durable stores write only if the stored entity
still equals it in every field, whatever its version says."""

from __future__ import annotations

from typing import Any

import pytest

from pystator import InMemoryStateStore, StaleVersionError
from pystator.runtime.errors import DuplicateEventError
from pystator.runtime.stores import EntityRecord, HistoryEntry
from tests.runtime.stores.conftest import open_store

Spec = tuple[str, str, str]


def _row(source: str, target: str) -> HistoryEntry:
    return HistoryEntry("e", source, target, "go", True, None, (), "2026-12-01T00:00:00", 0.1)


def _stored(store: Any) -> EntityRecord:
    return store.commit(EntityRecord("e", "A", {"n": 1}, machine_name="m"), 0)


def test_commit_returns_the_record_as_stored_with_its_version(store_spec: Spec) -> None:
    store = open_store(store_spec)
    stored = _stored(store)
    assert stored == EntityRecord("e", "A", {"n": 1}, 1, "m")
    assert store.load("e", machine_name="m") == stored


def test_commit_over_an_unchanged_record_writes(store_spec: Spec) -> None:
    store = open_store(store_spec)
    kept = _stored(store)
    written = store.commit(EntityRecord("e", "B", {"n": 2}, machine_name="m"), kept, _row("A", "B"))
    assert written.version == 2
    assert store.load("e", machine_name="m") == written
    assert [row.target_state for row in store.history("e", machine_name="m")] == ["B"]


@pytest.mark.parametrize(
    "changed",
    [
        {"state": "B"},
        {"context": {"n": 2}},
        {"context": {"n": 1.0}},
        {"context": {"n": True}},
        {"history": {"P": "A"}},
        {"parallel": "P|r=A"},
        {"machine_version": "2"},
        {"fingerprint": "f"},
        {"timers": {"A": 1}},
    ],
    ids=lambda changed: "-".join(f"{key}={value}" for key, value in changed.items()),
)
def test_commit_over_a_record_that_differs_in_any_field_at_the_same_version_is_stale(
    store_spec: Spec, changed: dict[str, Any]
) -> None:
    store = open_store(store_spec)
    kept = _stored(store)
    # Another writer left the entity at the kept version with other contents, as a
    # restored backup or an entity deleted and made again would.
    fields = {
        "entity_id": "e",
        "state": "A",
        "context": {"n": 1},
        "machine_name": "m",
        **changed,
    }
    store.truncate()
    store.commit(EntityRecord(**fields), 0)
    assert store.load("e", machine_name="m").version == kept.version
    with pytest.raises(StaleVersionError):
        store.commit(EntityRecord("e", "C", {}, machine_name="m"), kept, _row("A", "C"))
    assert store.load("e", machine_name="m").state == fields["state"]
    assert store.history("e", machine_name="m") == []


def test_commit_over_a_record_whose_version_moved_on_is_stale(store_spec: Spec) -> None:
    store = open_store(store_spec)
    kept = _stored(store)
    store.save(EntityRecord("e", "A", {"n": 1}, machine_name="m"), 1)
    with pytest.raises(StaleVersionError):
        store.commit(EntityRecord("e", "B", {}, machine_name="m"), kept)


def test_commit_over_a_kept_record_under_a_stored_key_is_a_duplicate(store_spec: Spec) -> None:
    store = open_store(store_spec)
    kept = _stored(store)
    outcome = ("k", {"success": True})
    kept = store.commit(EntityRecord("e", "B", {}, machine_name="m"), kept, None, outcome)
    with pytest.raises(DuplicateEventError):
        store.commit(EntityRecord("e", "A", {}, machine_name="m"), kept, None, outcome)
    assert store.load("e", machine_name="m") == kept


def test_commit_with_a_record_of_another_entity_is_refused(store_spec: Spec) -> None:
    store = open_store(store_spec)
    kept = _stored(store)
    with pytest.raises(ValueError, match="not the one written"):
        store.commit(EntityRecord("other", "B", machine_name="m"), kept)


def test_a_store_that_compares_versions_only_refuses_an_expected_record() -> None:
    store = InMemoryStateStore()
    kept = store.commit(EntityRecord("e", "A", machine_name="m"), 0)
    assert kept.version == 1
    with pytest.raises(TypeError, match="compares versions only"):
        store.commit(EntityRecord("e", "B", machine_name="m"), kept)
