"""Codec: the one rule for values a store accepts, and how records and history rows
become JSON text for the durable stores.

Every store (the in-memory one too) and the API refuse the same values with the same
message naming where the value is, so swapping stores never changes what is accepted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pystator.runtime.errors import FSMError, UnstorableValueError

if TYPE_CHECKING:
    from pystator.runtime.stores.base import EntityRecord, HistoryEntry

#: The entity columns of the SQL stores, in the order `record_from_row` reads them.
RECORD_COLUMNS = (
    "state, context, version, machine_name, history, parallel, machine_version, fingerprint, timers"
)

#: The deepest nesting of lists and mappings a stored value may have.
MAX_DEPTH = 100

#: Integers whose decimal text is longer than this cannot be read back by `json.loads`.
MAX_INT_DIGITS = 4300

VALUE_RULE = "store JSON data: str, int, finite float, bool, None, lists and dicts with string keys"

_SCALARS = (str, int, float, bool, type(None))


def storable(value: Any, path: str) -> Any:
    """A copy of `value` if every store can write it and read it back equal and of the same
    types; UnstorableValueError naming the first offending path otherwise."""
    return _copy(value, path, 0)


def _copy(value: Any, path: str, depth: int) -> Any:
    kind = type(value)
    if kind is str:
        _check_text(value, path, "the text")
        return value
    if kind is float:
        if math.isnan(value):
            raise UnstorableValueError(path, "NaN cannot be stored; use None or a number")
        if math.isinf(value):
            raise UnstorableValueError(
                path, f"{value} cannot be stored; use None or a finite number"
            )
        return value
    if kind is int:
        # bit_length is cheap; only very long integers pay for the decimal conversion.
        if value.bit_length() > 14_000 and _digits(value) > MAX_INT_DIGITS:
            raise UnstorableValueError(
                path, f"an integer of more than {MAX_INT_DIGITS} digits cannot be stored"
            )
        return value
    if kind is bool or value is None:
        return value
    if depth >= MAX_DEPTH and kind in (dict, list):
        raise UnstorableValueError(
            path, f"values nested deeper than {MAX_DEPTH} levels cannot be stored; flatten it"
        )
    if kind is dict:
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                raise UnstorableValueError(
                    path,
                    f"the key {key!r} ({type(key).__name__}) cannot be stored; "
                    "mapping keys must be strings",
                )
            _check_text(key, path, f"the key {key!r}")
            copied[key] = _copy(item, _child(path, key), depth + 1)
        return copied
    if kind is list:
        return [_copy(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
    if kind is tuple:
        raise UnstorableValueError(
            path, "a tuple cannot be stored (it would come back as a list); use a list"
        )
    if isinstance(value, _SCALARS):
        raise UnstorableValueError(
            path,
            f"a {kind.__name__} cannot be stored (it would come back as a plain "
            f"{_base(value)}); store {_base(value)}(value)",
        )
    raise UnstorableValueError(path, f"a {kind.__name__} cannot be stored; {VALUE_RULE}")


def _check_text(text: str, path: str, what: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start]
        raise UnstorableValueError(
            path,
            f"{what} contains the lone surrogate U+{ord(bad):04X} at position "
            f"{exc.start}, which cannot be stored; store valid Unicode text",
        ) from None


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


def _digits(value: int) -> int:
    try:
        return len(str(abs(value)))
    except ValueError:  # over the interpreter's own conversion limit
        return MAX_INT_DIGITS + 1


def _base(value: Any) -> str:
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind.__name__
    return "value"


def clone(value: Any) -> Any:
    """A copy of a value `storable` accepted: its lists and dicts are new, the rest is
    immutable and shared (cheaper than `copy.deepcopy`, which keeps a memo)."""
    kind = type(value)
    if kind is dict:
        return {key: clone(item) for key, item in value.items()}
    if kind is list:
        return [clone(item) for item in value]
    return value


def storable_mapping(value: Mapping[str, Any], path: str) -> dict[str, Any]:
    """`storable` for a value that must also be a mapping (contexts, outcomes)."""
    if not isinstance(value, Mapping):
        raise UnstorableValueError(path, f"a {type(value).__name__} is not a mapping")
    # `storable` copies a dict itself; only another mapping needs making into one first.
    copied: dict[str, Any] = storable(value if type(value) is dict else dict(value), path)
    return copied


def text_column(text: str) -> str:
    """Free text written by pystator itself (error messages): NUL and lone surrogates,
    which a text column cannot hold, are written as backslash escapes."""
    if "\x00" in text:
        text = text.replace("\x00", "\\x00")
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def record_from_row(entity_id: str, row: Sequence[Any]) -> EntityRecord:
    """An EntityRecord from a row of RECORD_COLUMNS, refusing corrupt JSON clearly."""
    from pystator.runtime.stores.base import EntityRecord  # base imports this module

    state, context, version, machine_name, history, parallel = row[:6]
    machine_version, fingerprint, timers = row[6:9]
    loaded = loads(context, "context", entity_id)
    if not isinstance(loaded, dict):
        raise FSMError(f"stored context of entity {entity_id!r} is not a mapping")
    return EntityRecord(
        entity_id,
        state,
        loaded,
        int(version),
        machine_name,
        loads(history, "history", entity_id),
        parallel,
        machine_version,
        fingerprint,
        loads(timers, "timers", entity_id),
    )


#: The entity columns a save writes besides version and key, in `entity_values` order.
ENTITY_FIELDS = "state, context, history, parallel, machine_version, fingerprint, timers"


def entity_values(record: EntityRecord) -> tuple[Any, ...]:
    """The values of ENTITY_FIELDS for `record`, its JSON columns encoded."""
    return (
        record.state,
        dumps(dict(record.context), "context"),
        dumps(dict(record.history), "history"),
        record.parallel,
        record.machine_version,
        record.fingerprint,
        dumps(dict(record.timers), "timers"),
    )


#: The columns of a history row after its key, in `history_values` order.
HISTORY_FIELDS = (
    "source_state, target_state, trigger, success, error, actions, timestamp, duration_ms"
)
#: The columns of transition_history that `history_from_row` reads, in its order.
HISTORY_COLUMNS = f"entity_id, {HISTORY_FIELDS}"


def history_values(entry: HistoryEntry) -> tuple[Any, ...]:
    """The values of HISTORY_FIELDS for `entry`, its actions encoded."""
    return (
        entry.source_state,
        entry.target_state,
        entry.trigger,
        entry.success,
        entry.error,
        dumps(list(entry.actions), "actions"),
        entry.timestamp,
        entry.duration_ms,
    )


def history_from_row(entity_id: str, row: Sequence[Any]) -> HistoryEntry:
    """A HistoryEntry from a row of HISTORY_COLUMNS (SQLite stores booleans as 0 and 1)."""
    from pystator.runtime.stores.base import HistoryEntry  # base imports this module

    return HistoryEntry(
        row[0],
        row[1],
        row[2],
        row[3],
        bool(row[4]),
        row[5],
        tuple(loads(row[6], "history actions", entity_id)),
        row[7],
        float(row[8]),
    )


#: `json.dumps(value, allow_nan=False)` builds an encoder per call; one shared does the same.
_ENCODE = json.JSONEncoder(allow_nan=False).encode
_DECODE = json.JSONDecoder().decode


def dumps(value: Any, what: str) -> str:
    """JSON text of a value `storable` accepted (key order kept, NaN refused)."""
    if not value and type(value) is dict:
        return "{}"  # empty history and timers, the common case
    try:
        return _ENCODE(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise UnstorableValueError(what, f"cannot be stored as JSON: {exc}") from None


def loads(text: str | bytes, what: str, entity_id: str) -> Any:
    if text == "{}" or text == b"{}":
        return {}
    try:
        return _DECODE(text) if type(text) is str else json.loads(text)
    except (TypeError, ValueError) as exc:
        raise FSMError(
            f"stored {what} of entity {entity_id!r} is corrupt: {exc}",
            {"entity_id": entity_id},
        ) from None


def missing_extra(package: str, extra: str) -> FSMError:
    from pystator.runtime.extras import install_hint

    return FSMError(f"{package} is not installed; {install_hint(extra)}")
