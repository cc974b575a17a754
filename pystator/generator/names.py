"""Names: every Python identifier the compiler emits is decided here.

State `in-progress` becomes member `IN_PROGRESS` and property `is_in_progress`; trigger
`class` becomes method `class_`. Names that cannot map, or collide, are reported.
"""

from __future__ import annotations

import functools
import keyword
import re
from dataclasses import dataclass

# What a state or trigger name may look like in YAML: ASCII letters first, then letters,
# digits, '_', '.', '-'. Anything else could not become a readable identifier.
SOURCE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*")
# A machine name may also start with a digit and hold spaces: `2fa-flow`, `Order Flow`.
MACHINE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\- ]*")
_SEPARATORS = re.compile(r"[.\-]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNDERSCORES = re.compile(r"_+")

# Members of EntitySession (and its generated subclasses) that a trigger method or an
# `is_<state>` property must not shadow.
SESSION_MEMBERS = frozenset(
    {
        "allowed_triggers",
        "asend",
        "can_send",
        "context",
        "current_state",
        "from_snapshot",
        "history",
        "is_final",
        "machine",
        "matches",
        "parallel_config",
        "pending_timers",
        "send",
        "snapshot",
    }
)


@dataclass(frozen=True, slots=True)
class Mapped:
    """The identifiers chosen for one YAML name."""

    source: str
    member: str
    attribute: str


def is_source_name(name: str) -> bool:
    return bool(SOURCE_NAME.fullmatch(name))


def is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.fullmatch(name)) and not keyword.iskeyword(name)


@functools.lru_cache(maxsize=1 << 16)
def _words(name: str) -> str:
    """`name` in words joined by `_`; remembered, since check, lower and the module's
    render model all ask for every state and trigger."""
    text = _SEPARATORS.sub("_", name)
    if not text.isupper():
        text = _CAMEL.sub("_", text)
    return _UNDERSCORES.sub("_", text).strip("_")


def member_name(name: str) -> str:
    """The enum member for a state or trigger: `active.scanning` -> `ACTIVE_SCANNING`."""
    return _words(name).upper()


def attribute_name(name: str) -> str:
    """The method or attribute for a name: `exchangeAck` -> `exchange_ack`, `class` -> `class_`."""
    text = _words(name).lower()
    if keyword.iskeyword(text):
        text += "_"
    return text


def state_property(name: str) -> str:
    return "is_" + _words(name).lower()


def map_state(name: str) -> Mapped:
    return Mapped(name, member_name(name), state_property(name))


def map_trigger(name: str) -> Mapped:
    member = member_name(name)
    if name.startswith("_"):
        # Timer events (`_timeout_<state>`, `_after_...`) keep their leading underscore,
        # so their members never collide with those of triggers written in the YAML,
        # which start with a letter (`timeout_idle` and `_timeout_idle` are both events).
        member = "_" + member
    return Mapped(name, member, attribute_name(name))


def class_prefix(machine_name: str) -> str | None:
    """CamelCase prefix for generated classes: `order_management` -> `OrderManagement`.

    Every machine name maps here, and module names derive from the result. Words are split
    at every character other than an ASCII letter or digit; a name starting with a digit
    gets a leading underscore (`2fa-flow` -> `_2faFlow`). The mapping is idempotent, so a
    prefix fed back in maps to itself. None when no identifier can be made.
    """
    if not machine_name.isascii():
        return None
    parts = [part for part in re.split(r"[^A-Za-z0-9]+", machine_name) if part]
    if not parts:
        return None
    prefix = "".join(part[:1].upper() + part[1:] for part in parts)
    return "_" + prefix if prefix[0].isdigit() else prefix


def module_name(machine_name: str) -> str | None:
    """snake_case module name for a machine: `OrderManagement` -> `order_management`,
    `2fa-flow` -> `_2fa_flow` (always the snake form of `class_prefix`)."""
    prefix = class_prefix(machine_name)
    if prefix is None:
        return None
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", prefix).lower()
    # A machine named `class` or `import` needs a module that `import` can name.
    return name + "_" if keyword.iskeyword(name) else name


# Operators read aloud, so `fill_qty > 0` names a constant `..._FILL_QTY_GT_0`.
_OPERATOR_WORDS = (
    (">=", " ge "),
    ("<=", " le "),
    ("==", " eq "),
    ("!=", " ne "),
    (">", " gt "),
    ("<", " lt "),
    ("+", " plus "),
    ("*", " times "),
    ("/", " div "),
    ("%", " mod "),
)
_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")
#: Longest run of words a constant takes from one piece of YAML text.
MAX_WORDS = 40


@functools.lru_cache(maxsize=4096)
def constant_words(text: str, limit: int = MAX_WORDS) -> str:
    """Upper-case ASCII words for any text, for the names of generated constants.

    `filled_qty + fill_qty >= order_qty` -> `FILLED_QTY_PLUS_FILL_QTY_GE_ORDER_QTY`; text
    with no ASCII letter or digit gives `X`. Long text is cut at a word boundary, so two
    texts may share words: `Namer` then tells them apart.
    """
    for symbol, word in _OPERATOR_WORDS:
        text = text.replace(symbol, word)
    if not text.isupper():
        text = _CAMEL.sub("_", text)
    words = [word for word in _NOT_WORD.split(text.upper()) if word]
    kept: list[str] = []
    for word in words:
        if sum(len(w) + 1 for w in kept) + len(word) > limit:
            break
        kept.append(word[:limit])
    return "_".join(kept) or "X"
