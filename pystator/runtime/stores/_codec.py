"""Codec: how records and history rows become JSON text for the durable stores.

Shared so that every store refuses the same bad input with the same message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pystator.runtime.errors import FSMError
from pystator.runtime.stores.base import EntityRecord

#: The entity columns of the SQL stores, in the order `record_from_row` reads them.
RECORD_COLUMNS = (
    "state, context, version, machine_name, history, parallel, machine_version, fingerprint, timers"
)


def record_from_row(entity_id: str, row: Sequence[Any]) -> EntityRecord:
    """An EntityRecord from a row of RECORD_COLUMNS, refusing corrupt JSON clearly."""
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


def dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise FSMError(f"{what} is not JSON-serialisable: {exc}") from None


def loads(text: str | bytes, what: str, entity_id: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise FSMError(
            f"stored {what} of entity {entity_id!r} is corrupt: {exc}",
            {"entity_id": entity_id},
        ) from None


def missing_extra(package: str, extra: str) -> FSMError:
    return FSMError(f'{package} is not installed; install it with: pip install "pystator[{extra}]"')
