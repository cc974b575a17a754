"""Identifiers: the one rule for entity ids, and the checks on the machine names and
idempotency keys that, with an entity id, address a stored record.

Stores, the Orchestrator, the worker queue and the API all apply these, so an id one of
them accepts can be stored, read back and addressed in a URL by every one of them.
"""

from __future__ import annotations

import re
import unicodedata

from pystator.runtime.errors import InvalidIdentifierError

#: The longest entity id, machine name (as a store key) or idempotency key, in characters.
#: Three of them at four UTF-8 bytes a character still fit one PostgreSQL index entry.
MAX_ID_LENGTH = 200

# Control characters (Unicode category Cc) and lone surrogates cannot travel through a
# URL, a log line or a database text column unchanged; '/' would split a URL path.
_ENTITY_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f/\ud800-\udfff]")
_NAME_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# PostgreSQL text cannot hold NUL and no store can encode a lone surrogate; every other
# character (separators such as '\x1f' and ':' included) is a valid key character.
_KEY_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")

ENTITY_ID_RULE = (
    f"1-{MAX_ID_LENGTH} characters, no '/', no control characters or lone surrogates, "
    "no leading or trailing whitespace, and not '.' or '..'"
)


def entity_id_problem(value: object) -> str | None:
    """Why `value` cannot be an entity id, or None if it can."""
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    if not value:
        return "is empty"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long, over the limit of {MAX_ID_LENGTH}"
    found = _ENTITY_FORBIDDEN.search(value)
    if found is not None:
        return f"contains {_describe(found.group())} at position {found.start()}"
    if value != value.strip():
        return "starts or ends with whitespace"
    if value in (".", ".."):
        return "is a relative path segment"
    return None


def check_entity_id(value: object) -> str:
    """`value` if it is a valid entity id; InvalidIdentifierError saying why not otherwise."""
    problem = entity_id_problem(value)
    if problem is not None:
        raise InvalidIdentifierError(
            "entity id", value, problem, f"an entity id is {ENTITY_ID_RULE}"
        )
    assert isinstance(value, str)
    return value


def check_machine_name(value: object) -> str:
    """`value` if it can key stored entities ('' is the entities of no machine)."""
    problem = _text_problem(value, _NAME_FORBIDDEN)
    if problem is not None:
        raise InvalidIdentifierError(
            "machine name",
            value,
            problem,
            f"a machine name is at most {MAX_ID_LENGTH} characters without control "
            "characters or lone surrogates",
        )
    assert isinstance(value, str)
    return value


def idempotency_key_problem(value: object) -> str | None:
    """Why `value` cannot be stored as an idempotency key, or None if it can."""
    return _text_problem(value, _KEY_FORBIDDEN)


def check_idempotency_key(value: object) -> str:
    """`value` if it can be stored as an idempotency key (the empty key included)."""
    problem = idempotency_key_problem(value)
    if problem is not None:
        raise InvalidIdentifierError(
            "idempotency key",
            value,
            problem,
            f"an idempotency key is at most {MAX_ID_LENGTH} characters without NUL or "
            "lone surrogates",
        )
    assert isinstance(value, str)
    return value


def _text_problem(value: object, forbidden: re.Pattern[str]) -> str | None:
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a string"
    if len(value) > MAX_ID_LENGTH:
        return f"is {len(value)} characters long, over the limit of {MAX_ID_LENGTH}"
    found = forbidden.search(value)
    if found is not None:
        return f"contains {_describe(found.group())} at position {found.start()}"
    return None


def _describe(char: str) -> str:
    if char == "/":
        return "'/'"
    if unicodedata.category(char) == "Cs":
        return f"the lone surrogate U+{ord(char):04X}"
    return f"the control character U+{ord(char):04X}"
