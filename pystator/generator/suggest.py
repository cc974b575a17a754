"""Suggest: the closest known name for a misspelt one, at a bounded cost however many.

Indexes built once per set of names shortlist likely candidates (names one typo away,
and names sharing the most letter triples), and a budget shared by one run caps difflib's
comparisons (past it, neighbours one typo away and shared triples decide), so n misspelt
names among n states cost O(n), not O(n^2). Small sets are compared in full, as difflib
would.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Iterable
from dataclasses import dataclass

#: Sets of at most this many names are compared in full: difflib's own answer.
FULL_COMPARISON = 50
#: From a larger set, the names sharing the most letter triples are compared.
SHORTLIST = 8
#: Postings of the triple index read per name while shortlisting, and how many of the
#: names found there are ranked again by all the triples they share with the name.
SCAN = 256
RESCORE = 32
#: Longer names get no fuzzy suggestion: comparing them costs their length squared.
MAX_NAME_LENGTH = 64
#: Work one run may spend on fuzzy comparisons, as compared characters (the product of
#: the two lengths, which bounds a comparison's cost); about a third of a second.
RUN_BUDGET = 1_000_000

_CUTOFF = 0.6


@dataclass
class Budget:
    """What is left of one run's fuzzy-comparison work; shared by its suggesters."""

    remaining: int = RUN_BUDGET

    def take(self, name: str, candidates: list[str]) -> list[str]:
        """The leading candidates whose comparison with `name` the budget still covers; the
        first one it cannot cover ends the run's fuzzy matching."""
        affordable: list[str] = []
        for candidate in candidates:
            cost = len(name) * len(candidate)
            if cost > self.remaining:
                self.remaining = 0
                break
            self.remaining -= cost
            affordable.append(candidate)
        return affordable


class Suggester:
    """Did-you-mean over one set of names, built once and asked any number of times."""

    def __init__(self, candidates: Iterable[str], budget: Budget | None = None) -> None:
        self._pool = sorted(set(candidates))
        self._budget = budget if budget is not None else Budget()
        # Sorted first, so that of names differing only in case the last one wins.
        self._lowered = {name.lower(): name for name in self._pool}
        self._index: dict[str, list[int]] | None = None
        self._edits: dict[str, list[int]] | None = None

    def closest(self, name: str) -> str | None:
        """The known name `name` was most likely meant to be, or None."""
        if len(name) <= MAX_NAME_LENGTH:
            shortlist = self._shortlist(name)
            compared = self._budget.take(name, shortlist) if self._budget.remaining else []
            matches = difflib.get_close_matches(name, compared, n=1, cutoff=_CUTOFF)
            if matches:
                return matches[0]
            if len(compared) < len(shortlist):
                # The run's comparisons are spent: judge the rest without them.
                found = _judged_cheaply(name, shortlist[len(compared) :])
                if found is not None:
                    return found
        return self._lowered.get(name.lower())

    def hint(self, name: str) -> str:
        """'Did you mean ...?' for the closest known name, or ''."""
        found = self.closest(name)
        return f"Did you mean {found!r}?" if found is not None else ""

    def _shortlist(self, name: str) -> list[str]:
        if len(self._pool) <= FULL_COMPARISON:
            return self._pool
        # One letter dropped, added, changed or two swapped: the typos people make most,
        # found whatever the other names look like.
        edits = self._edits if self._edits is not None else self._build_edits()
        near: dict[int, None] = {}
        for key in _deletions(name.lower()):
            near.update(dict.fromkeys(edits.get(key, ())[:RESCORE]))
        index = self._index if self._index is not None else self._build_index()
        # Rare triples say most about a name; read their postings first, up to SCAN.
        postings = sorted((index.get(gram, []) for gram in _triples(name)), key=len)
        shared: dict[int, int] = {}
        read = 0
        for posting in postings:
            for position in posting[: SCAN - read]:
                shared[position] = shared.get(position, 0) + 1
            read += len(posting)
            if read >= SCAN:
                break
        pool = self._pool
        ranked = [
            (-count, abs(len(pool[position]) - len(name)), position)
            for position, count in shared.items()
        ]
        # Counts from partly read postings are rough: the best of them are ranked again by
        # all the triples they share with the name.
        mine = _triples(name)
        best = [position for _, _, position in heapq.nsmallest(RESCORE, ranked)]
        rescored = sorted(
            (-_dice(mine, _triples(pool[position])), abs(len(pool[position]) - len(name)), position)
            for position in dict.fromkeys([*list(near)[:RESCORE], *best])
        )
        return [pool[position] for _, _, position in rescored[:SHORTLIST]]

    def _build_edits(self) -> dict[str, list[int]]:
        """Each name, and each name with one letter dropped (case folded), to the names."""
        edits: dict[str, list[int]] = {}
        for position, candidate in enumerate(self._pool):
            if len(candidate) <= MAX_NAME_LENGTH + 1:
                for key in _deletions(candidate.lower()):
                    edits.setdefault(key, []).append(position)
        self._edits = edits
        return edits

    def _build_index(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        for position, candidate in enumerate(self._pool):
            if len(candidate) <= 2 * MAX_NAME_LENGTH:
                for gram in _triples(candidate):
                    index.setdefault(gram, []).append(position)
        self._index = index
        return index


def _judged_cheaply(name: str, candidates: list[str]) -> str | None:
    """Without difflib: of the candidates one typo away from `name`, the one sharing most
    letter triples with it; else the one sharing most, if that reaches difflib's cutoff."""
    mine = _triples(name)
    scored = sorted(
        (-_dice(mine, _triples(candidate)), order, candidate)
        for order, candidate in enumerate(candidates)
    )
    folded = name.lower()
    for _, _, candidate in scored:
        if _one_typo(folded, candidate.lower()):
            return candidate
    if scored and -scored[0][0] >= _CUTOFF:
        return scored[0][2]
    return None


def _one_typo(a: str, b: str) -> bool:
    """True if `a` becomes `b` by one letter dropped, added or changed, or two neighbouring
    letters swapped (or is `b` already)."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    same = 0
    while same < len(a) and a[same] == b[same]:
        same += 1
    if len(a) < len(b):
        return a[same:] == b[same + 1 :]
    rest = same + 2
    swapped = a[same : same + 2] == b[same : same + 2][::-1] and a[rest:] == b[rest:]
    return a[same + 1 :] == b[same + 1 :] or swapped


def _deletions(name: str) -> set[str]:
    """`name` and every string one letter shorter: two names one typo apart share one."""
    return {name, *(name[:cut] + name[cut + 1 :] for cut in range(len(name)))}


def _dice(mine: set[str], theirs: set[str]) -> float:
    """The share of letter triples two names have in common (1.0: the same triples)."""
    return 2 * len(mine & theirs) / (len(mine) + len(theirs))


def _triples(name: str) -> set[str]:
    """The letter triples of a name, case folded, with its ends marked."""
    padded = f"\x02{name.lower()}\x03"
    return {padded[start : start + 3] for start in range(len(padded) - 2)}


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """'Did you mean ...?' for the closest of `candidates`, or ''; for one-off questions
    (a stage asking about many names builds one `Suggester` and shares a `Budget`)."""
    return Suggester(candidates).hint(name)
