"""Recipes: helpers for preparing contexts for inline guard expressions.

Guard expressions read a flat namespace; these helpers build one from nested data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["flatten_context_for_guards"]


def flatten_context_for_guards(
    context: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    *,
    separator: str = "_",
    max_depth: int = 8,
) -> dict[str, Any]:
    """A flat copy of `context` for guard expressions.

    Top-level keys stay as they are. Each value inside a nested mapping is added under its
    joined path (`trading_context_buying_power`) and, when no other key claims it, under
    its own name (`buying_power`). `overrides` are applied last, so derived values such as
    `position_count` can be added or corrected.
    """
    if not isinstance(context, Mapping):
        raise TypeError(f"context must be a mapping, got {type(context).__name__}")
    flat: dict[str, Any] = dict(context)
    leaves: dict[str, list[Any]] = {}

    def walk(prefix: str, node: Mapping[str, Any], depth: int) -> None:
        if depth > max_depth:
            raise ValueError(f"context is nested deeper than {max_depth} levels at {prefix!r}")
        for key, value in node.items():
            name = f"{prefix}{separator}{key}"
            flat.setdefault(name, value)
            leaves.setdefault(str(key), []).append(value)
            if isinstance(value, Mapping):
                walk(name, value, depth + 1)

    for key, value in context.items():
        if isinstance(value, Mapping):
            walk(str(key), value, 1)
    for name, values in leaves.items():
        if len(values) == 1 and name not in flat:
            flat[name] = values[0]
    if overrides:
        flat.update(overrides)
    return flat
