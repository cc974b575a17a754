"""Symbols: names for a generated module's constants, taken from what each one holds.

A name never depends on the order of the YAML or on other constants except those it
collides with, so a one-line edit renames nothing else; collisions are settled the same
way in every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass
class Namer:
    """Collects, for each constant, names from plain to specific, then picks them all.

    Every constant starts at its plainest name; the constants sharing a name move on to
    their next one together (those that reached it from a plainer one first), and a
    constant out of names adds a digest of its key.
    """

    reserved: frozenset[str] = frozenset()
    _options: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def request(self, key: str, options: Sequence[str]) -> None:
        """Ask for a name for `key` (the first request for a key wins)."""
        if key not in self._options:
            assert options, "a constant needs at least one name"
            self._options[key] = tuple(options)

    def resolve(self) -> dict[str, str]:
        level = dict.fromkeys(self._options, 0)
        while True:
            chosen = {key: self._option(key, level[key]) for key in self._options}
            holders: dict[str, list[str]] = {}
            for key, name in chosen.items():
                holders.setdefault(name, []).append(key)
            clashes = [
                keys for name, keys in holders.items() if len(keys) > 1 or name in self.reserved
            ]
            if not clashes:
                return chosen
            for keys in clashes:
                # A constant at a plainer name than its rivals keeps it: they moved on to
                # this name after clashing elsewhere.
                lowest = min(level[key] for key in keys)
                moving = [key for key in keys if level[key] > lowest] or keys
                for key in moving:
                    level[key] += 1

    def _option(self, key: str, level: int) -> str:
        options = self._options[key]
        if level < len(options):
            return options[level]
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest().upper()
        return f"{options[-1]}_{digest[: 4 + 2 * (level - len(options))]}"


def joined(*parts: str | None) -> str:
    """`_A_B` from the parts that are present."""
    return "_" + "_".join(part for part in parts if part)


def unique(items: Iterable[str]) -> list[str]:
    """The items without repeats, in their first order."""
    return list(dict.fromkeys(items))
