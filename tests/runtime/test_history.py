"""History destinations: H(p) returns to the last active child of p, H*(p) to the last
active leaf; the record belongs to the entity (session, snapshot, explicit argument)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pystator import EntitySession, FSMError, StateMachine
from pystator.runtime.stores import EntityRecord

PLAYER = Path(__file__).resolve().parents[1] / "fixtures" / "player_history.yaml"


@pytest.fixture(params=["dynamic", "generated"])
def player(
    request: pytest.FixtureRequest, generated: Callable[[Path], ModuleType]
) -> StateMachine[Any, Any, Any]:
    if request.param == "dynamic":
        return StateMachine.from_yaml(PLAYER)
    machine: StateMachine[Any, Any, Any] = generated(PLAYER).PlayerMachine()
    return machine


def walk(session: EntitySession[Any, Any, Any], *triggers: str) -> None:
    for trigger in triggers:
        assert session.send(trigger).success, trigger


def test_without_history_the_initial_children_are_entered(
    player: StateMachine[Any, Any, Any],
) -> None:
    session = player.create()
    walk(session, "power_deep")
    assert session.current_state == "on.radio"


def test_shallow_history_returns_to_the_child_then_its_initial_leaf(
    player: StateMachine[Any, Any, Any],
) -> None:
    session = player.create()
    walk(session, "power", "media", "usb", "off", "power_shallow")
    assert session.current_state == "on.media.cd"


def test_deep_history_returns_to_the_last_leaf(player: StateMachine[Any, Any, Any]) -> None:
    session = player.create()
    walk(session, "power", "media", "usb", "off", "power_deep")
    assert session.current_state == "on.media.usb"
    assert session.history == {"on": "on.media.usb", "on.media": "on.media.usb"}


def test_history_is_per_entity(player: StateMachine[Any, Any, Any]) -> None:
    first, second = player.create(), player.create()
    walk(first, "power", "media", "usb", "off")
    walk(second, "power_deep")
    assert second.current_state == "on.radio"


def test_history_survives_a_snapshot(player: StateMachine[Any, Any, Any]) -> None:
    session = player.create()
    walk(session, "power", "media", "usb", "off")
    restored = EntitySession.from_snapshot(player, session.snapshot())
    walk(restored, "power_deep")
    assert restored.current_state == "on.media.usb"


def test_history_survives_a_stored_record(player: StateMachine[Any, Any, Any]) -> None:
    record = EntityRecord("p-1", "off", history={"on": "on.media.usb"})
    restored = EntitySession.from_record(player, record)
    assert restored.history == {"on": "on.media.usb"}
    walk(restored, "power_deep")
    assert restored.current_state == "on.media.usb"


def test_a_stored_record_whose_history_names_unknown_states_is_refused(
    player: StateMachine[Any, Any, Any],
) -> None:
    with pytest.raises(FSMError, match="history"):
        EntitySession.from_record(player, EntityRecord("p-1", "off", history={"on": "gone"}))


def test_process_takes_history_and_returns_the_updated_record(
    player: StateMachine[Any, Any, Any],
) -> None:
    result = player.process("off", "power_deep", history={"on": "on.media.usb"})
    assert result.target_state == "on.media.usb"
    left = player.process("on.media.cd", "off", history={})
    assert left.metadata["history"] == {"on": "on.media.cd", "on.media": "on.media.cd"}


def test_snapshot_history_naming_unknown_states_is_refused(
    player: StateMachine[Any, Any, Any],
) -> None:
    snapshot = {"current_state": "off", "context": {}, "history": {"on": "gone"}}
    with pytest.raises(FSMError, match="history"):
        EntitySession.from_snapshot(player, snapshot)
