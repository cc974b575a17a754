"""EntitySession: stateful sends, payload merging, effects, snapshots, dynamic members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pystator import EntitySession, FSMError, StateMachine, UndefinedStateError
from pystator.runtime.stores import EntityRecord

Machine = StateMachine[str, str, dict[str, Any]]

ORDER = """
meta: {machine_name: order_management, version: "2.0.0"}
state_variables:
  - {key: order_qty, type: number, default: 0}
  - {key: tags, type: array, default: []}
states:
  - name: PENDING
    type: initial
  - name: OPEN
    on_enter:
      - {set: {status: open}}
      - {increment: opens}
  - name: FILLED
    type: terminal
    on_enter:
      - {timestamp: filled_at}
      - {clear: status}
transitions:
  - {trigger: exchange_ack, source: PENDING, dest: OPEN}
  - trigger: fill
    source: OPEN
    dest: FILLED
    guards: [{expr: "fill_qty >= order_qty"}]
"""


@pytest.fixture
def machine(machine_from: Callable[[str], Machine]) -> Machine:
    return machine_from(ORDER)


def test_session_starts_in_the_initial_state(machine: Machine) -> None:
    order = machine.create(context={"order_id": "123"})
    assert order.current_state == "PENDING"
    assert order.is_pending
    assert not order.is_final


def test_declared_defaults_fill_missing_context_keys(machine: Machine) -> None:
    # The reference 0.0.10 ignores `default:`; a declared default is applied on create().
    order = machine.create(context={"order_qty": 5})
    assert order.context == {"order_qty": 5, "tags": []}


def test_create_copies_the_callers_context(machine: Machine) -> None:
    given = {"order_qty": 1}
    order = machine.create(context=given)
    order.send("exchange_ack")
    assert given == {"order_qty": 1}


def test_send_payload_merges_into_context_on_success(machine: Machine) -> None:
    order = machine.create(context={"order_qty": 10})
    order.send("exchange_ack", note="hi")
    assert order.context["note"] == "hi"


def test_failed_send_leaves_state_and_context_untouched(machine: Machine) -> None:
    order = machine.create(context={"order_qty": 10})
    order.send("exchange_ack")
    before = dict(order.context)
    result = order.send("fill", fill_qty=3)
    assert not result.success
    assert order.current_state == "OPEN"
    assert order.context == before


def test_guards_see_the_payload(machine: Machine) -> None:
    order = machine.create(context={"order_qty": 10})
    order.exchange_ack()
    assert order.fill(fill_qty=10).success
    assert order.current_state == "FILLED"
    assert order.is_final


def test_declarative_effects_update_the_context_in_order(machine: Machine) -> None:
    order = machine.create(context={"order_qty": 1})
    order.send("exchange_ack")
    assert order.context["status"] == "open"
    assert order.context["opens"] == 1
    order.send("fill", fill_qty=1)
    assert "status" not in order.context
    assert isinstance(order.context["filled_at"], str)


def test_allowed_triggers_lists_triggers_out_of_the_state(machine: Machine) -> None:
    order = machine.create()
    assert order.allowed_triggers == ["exchange_ack"]
    order.send("exchange_ack")
    assert order.allowed_triggers == ["fill"]


def test_unknown_dynamic_member_is_an_attribute_error(machine: Machine) -> None:
    order = machine.create()
    with pytest.raises(AttributeError, match="is_nowhere"):
        order.is_nowhere  # noqa: B018


def test_snapshot_round_trips(machine: Machine) -> None:
    order = machine.create(context={"order_qty": 3})
    order.send("exchange_ack")
    snapshot = order.snapshot()
    assert snapshot["current_state"] == "OPEN"
    assert snapshot["machine_name"] == "order_management"
    assert snapshot["machine_version"] == "2.0.0"
    restored = EntitySession.from_snapshot(machine, snapshot)
    assert restored.current_state == "OPEN"
    assert restored.context == order.context
    restored.send("fill", fill_qty=3)
    assert order.current_state == "OPEN"


def test_snapshot_with_unknown_state_names_state_and_versions(machine: Machine) -> None:
    snapshot = {"current_state": "GONE", "context": {}, "machine_version": "1.0.0"}
    with pytest.raises(UndefinedStateError, match="GONE") as caught:
        EntitySession.from_snapshot(machine, snapshot)
    assert "2.0.0" in str(caught.value) and "1.0.0" in str(caught.value)


def test_from_record_restores_state_and_a_private_copy_of_the_context(machine: Machine) -> None:
    record = EntityRecord("o-1", "OPEN", {"order_qty": 3, "tags": ["a"]}, version=4)
    restored = EntitySession.from_record(machine, record)
    assert restored.current_state == "OPEN"
    assert restored.context == {"order_qty": 3, "tags": ["a"]}
    restored.context["tags"].append("b")
    assert record.context == {"order_qty": 3, "tags": ["a"]}


def test_from_record_with_unknown_state_names_state_and_versions(machine: Machine) -> None:
    record = EntityRecord("o-1", "GONE", machine_version="1.0.0")
    with pytest.raises(UndefinedStateError, match="GONE") as caught:
        EntitySession.from_record(machine, record)
    assert "2.0.0" in str(caught.value) and "1.0.0" in str(caught.value)


@pytest.mark.parametrize(
    "snapshot",
    [{}, {"current_state": 3}, {"current_state": "OPEN", "context": [1]}],
)
def test_malformed_snapshot_is_a_clear_error(machine: Machine, snapshot: dict[str, Any]) -> None:
    with pytest.raises(FSMError):
        EntitySession.from_snapshot(machine, snapshot)


def test_create_in_unknown_state_is_an_error(machine: Machine) -> None:
    with pytest.raises(UndefinedStateError):
        machine.create(initial_state="NOWHERE")


def test_create_rejects_a_non_mapping_context(machine: Machine) -> None:
    with pytest.raises(TypeError, match="mapping"):
        machine.create(context=[("a", 1)])  # type: ignore[arg-type]


def test_create_applies_the_initial_states_entry_effects(
    machine_from: Callable[[str], Machine],
) -> None:
    # The reference 0.0.10 applies no effects at all; entering the first state applies its own.
    machine = machine_from(
        """
        states:
          - name: DRAFT
            type: initial
            on_enter: [notify, {set: {status: draft}}]
          - {name: DONE, type: terminal}
        transitions:
          - {trigger: finish, source: DRAFT, dest: DONE}
        """
    )
    assert machine.create().context == {"status": "draft"}


def test_a_trigger_method_is_not_taken_over_by_a_timer_event_of_the_same_method_name(
    machine_from: Callable[[str], Machine],
) -> None:
    # The timeout of `idle` is sent as `_timeout_idle`, whose method name would also be
    # `timeout_idle`; timer events have no methods, as in generated sessions.
    machine = machine_from(
        """
        states:
          - {name: idle, type: initial, timeout: {seconds: 5, destination: late}}
          - {name: late}
          - {name: early}
        transitions:
          - {trigger: timeout_idle, source: idle, dest: early}
        """
    )
    session = machine.create()
    assert session.timeout_idle().target_state == "early"
