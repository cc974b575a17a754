"""The `H(p)` / `H*(p)` destination syntax, parsed in one place.

Checks, lowering, docs, SCXML and diagrams all read history destinations through
`parse_history`; nothing else knows the grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HISTORY_DEST = re.compile(r"(?P<kind>H\*?)\((?P<parent>[^()]*)\)")


@dataclass(frozen=True, slots=True)
class HistoryDestination:
    """A destination that returns to what `parent` last held: its child, or (deep) its leaf."""

    parent: str
    deep: bool

    def __str__(self) -> str:
        return f"{'H*' if self.deep else 'H'}({self.parent})"


def parse_history(dest: str) -> HistoryDestination | None:
    """The history destination `dest` spells, or None when it names a plain state."""
    match = _HISTORY_DEST.fullmatch(dest)
    if match is None:
        return None
    return HistoryDestination(parent=match.group("parent"), deep=match.group("kind") == "H*")


def destination_state(dest: str) -> str:
    """The state a destination enters: a history destination counts as its parent."""
    history = parse_history(dest)
    return history.parent if history is not None else dest
