"""Durations: the `after:` and `timeout:` values of the YAML format, in milliseconds.

Shared by the compiler (which validates them at build time) and the schedulers.
"""

from __future__ import annotations

import math
import re

_UNITS_MS = {"ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)?\s*")

# Longer than this is almost certainly a unit mistake (and overflows some schedulers).
MAX_DURATION_MS = 366 * 86_400_000


def parse_duration_ms(value: object) -> int:
    """Milliseconds for an integer (already ms) or a string like "500ms", "1.5s", "30m", "1d".

    Raises ValueError saying what was wrong.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"a duration must be an integer or a string, got {type(value).__name__}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"duration {value!r} is not a finite number")
        milliseconds = float(value)
    else:
        match = _DURATION.fullmatch(value)
        if match is None:
            raise ValueError(
                f"{value!r} is not a duration; write milliseconds as an integer or a number "
                'with a unit: ms, s, m, h or d (e.g. "500ms", "1.5s", "30m")'
            )
        number, unit = match.groups()
        milliseconds = float(number) * _UNITS_MS[unit or "ms"]
    if milliseconds < 0:
        raise ValueError(f"duration {value!r} is negative")
    if milliseconds > MAX_DURATION_MS:
        raise ValueError(f"duration {value!r} is longer than 366 days")
    return round(milliseconds)
