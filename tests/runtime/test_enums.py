"""NameEnum: the generated State and Trigger classes behave as the StrEnum they replace."""

from __future__ import annotations

import copy
import pickle
from enum import StrEnum

import pytest

from pystator.runtime.spec import NameEnum


class Light(NameEnum):
    """Quickly built."""

    RED = "red"
    AMBER_RED = "amber.red"
    _TIMEOUT_RED = "_timeout_red"

    @property
    def stops(self) -> bool:
        """True for the states that stop traffic."""
        return self is not Light._TIMEOUT_RED


class Plain(StrEnum):
    """Built by a class statement."""

    RED = "red"
    AMBER_RED = "amber.red"
    _TIMEOUT_RED = "_timeout_red"


def test_members_are_strings_found_by_value_and_by_name() -> None:
    assert Light("amber.red") is Light.AMBER_RED
    assert Light["RED"] is Light.RED
    assert Light.RED == "red" and isinstance(Light.RED, str)
    assert {"red": 1}[Light.RED] == 1


def test_members_are_listed_in_the_order_of_the_class_body() -> None:
    assert [member.name for member in Light] == [member.name for member in Plain]
    assert list(Light.__members__) == list(Plain.__members__)
    assert len(Light) == 3


def test_text_forms_match_a_strenum() -> None:
    for quick, plain in zip(Light, Plain, strict=True):
        assert str(quick) == str(plain)
        assert f"{quick}" == f"{plain}"
        assert repr(quick) == repr(plain).replace("Plain", "Light")
        assert quick.value == plain.value


def test_an_unknown_value_raises_value_error() -> None:
    with pytest.raises(ValueError, match="is not a valid Light"):
        Light("green")


def test_methods_and_properties_of_the_body_are_kept() -> None:
    assert Light.RED.stops and not Light._TIMEOUT_RED.stops
    assert Light.__doc__ == "Quickly built."


def test_members_survive_pickle_and_copy() -> None:
    assert pickle.loads(pickle.dumps(Light.AMBER_RED)) is Light.AMBER_RED
    assert copy.deepcopy(Light.RED) is Light.RED


def test_a_subclass_is_a_name_enum_and_a_strenum() -> None:
    assert issubclass(Light, NameEnum) and issubclass(Light, StrEnum)
    assert isinstance(Light.RED, NameEnum)


def test_members_are_stored_on_the_class_as_a_class_statement_stores_them() -> None:
    # Directly, not through a descriptor, so that reading `Light.RED` costs a lookup.
    assert vars(Light)["RED"] is Light.RED
    assert type(vars(Plain)["RED"]) is Plain
