"""Codec: how records and history rows become JSON text for the durable stores.

Shared so that every store refuses the same bad input with the same message.
"""

from __future__ import annotations

import json
from typing import Any

from pystator.runtime.errors import FSMError


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
