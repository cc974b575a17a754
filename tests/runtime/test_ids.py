"""The entity id rule, the machine-name and idempotency-key checks: what each refuses and
the message that says why."""

from __future__ import annotations

import pytest

from pystator import FSMError, InvalidIdentifierError
from pystator.runtime.errors import ErrorCode
from pystator.runtime.ids import (
    MAX_ID_LENGTH,
    check_entity_id,
    check_idempotency_key,
    check_machine_name,
)


@pytest.mark.parametrize(
    ("entity_id", "reason"),
    [
        ("", "is empty"),
        ("x" * (MAX_ID_LENGTH + 1), f"is 201 characters long, over the limit of {MAX_ID_LENGTH}"),
        ("orders/1", "contains '/' at position 6"),
        ("a\x00b", "contains the control character U+0000 at position 1"),
        ("line\nbreak", "contains the control character U+000A at position 4"),
        ("a\x1fb", "contains the control character U+001F at position 1"),
        ("\ud800", "contains the lone surrogate U+D800 at position 0"),
        (" padded", "starts or ends with whitespace"),
        ("padded\u3000", "starts or ends with whitespace"),
        ("..", "is a relative path segment"),
        (7, "is a int, not a string"),
    ],
)
def test_an_unaddressable_entity_id_is_refused_saying_why(entity_id: object, reason: str) -> None:
    with pytest.raises(InvalidIdentifierError) as refused:
        check_entity_id(entity_id)
    assert isinstance(refused.value, FSMError) and refused.value.code is ErrorCode.INVALID_ID
    assert reason in str(refused.value)
    assert "an entity id is 1-200 characters" in str(refused.value), "the message says the rule"


@pytest.mark.parametrize(
    "entity_id", ["o-1", "x" * MAX_ID_LENGTH, "a b", "ORD:42", "é😀", "%3F?#", "...", "a.b"]
)
def test_an_addressable_entity_id_is_accepted(entity_id: str) -> None:
    assert check_entity_id(entity_id) == entity_id


def test_an_idempotency_key_may_hold_separators_but_no_nul_or_surrogate() -> None:
    assert check_idempotency_key("") == ""
    assert check_idempotency_key("timer\x1f:1/ x") == "timer\x1f:1/ x"
    for bad in ("a\x00", "\udfff", "k" * (MAX_ID_LENGTH + 1)):
        with pytest.raises(InvalidIdentifierError, match="idempotency key"):
            check_idempotency_key(bad)


def test_a_machine_name_may_be_empty_but_holds_no_control_character() -> None:
    assert check_machine_name("") == ""
    assert check_machine_name("order management.v2:x") == "order management.v2:x"
    with pytest.raises(InvalidIdentifierError, match="machine name 'a\\\\x1fb' contains"):
        check_machine_name("a\x1fb")


def test_a_very_long_refused_value_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidIdentifierError) as refused:
        check_entity_id("y" * 5000)
    assert len(str(refused.value)) < 400
