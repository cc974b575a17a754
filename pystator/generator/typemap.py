"""Typemap: the type names a machine file may use for context variables and payloads.

Maps each YAML type name to the Python annotation the emitter writes.
"""

from __future__ import annotations

ANNOTATIONS: dict[str, str] = {
    "any": "Any",
    "string": "str",
    "str": "str",
    "number": "float",
    "float": "float",
    "integer": "int",
    "int": "int",
    "boolean": "bool",
    "bool": "bool",
    "array": "list[Any]",
    "list": "list[Any]",
    "object": "dict[str, Any]",
    "dict": "dict[str, Any]",
    "mapping": "dict[str, Any]",
    "datetime": "str",
    "timestamp": "str",
    "null": "None",
}


def annotation(type_name: str) -> str | None:
    """The annotation for a YAML type name, or None if the name is unknown."""
    return ANNOTATIONS.get(type_name.strip().lower())


def is_number(type_name: str) -> bool:
    """True for the YAML types of numbers (integer or real)."""
    return annotation(type_name) in ("int", "float")


def is_text(type_name: str) -> bool:
    """True for the YAML types whose values are strings."""
    return annotation(type_name) == "str"


def python_type_matches(type_name: str, value: object) -> bool:
    """True if a constant `value` fits the declared YAML type (None always fits)."""
    if value is None:
        return True
    expected = annotation(type_name)
    if expected in (None, "Any"):
        return True
    if expected == "str":
        return isinstance(value, str)
    if expected == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "bool":
        return isinstance(value, bool)
    if expected == "list[Any]":
        return isinstance(value, list | tuple)
    if expected == "dict[str, Any]":
        return isinstance(value, dict)
    return True
