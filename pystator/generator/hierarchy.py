"""Hierarchy: parent/child relations of states, computed once for check and lower.

Pure functions over a name -> parent map; the compiler resolves every LCA and leaf here so
that the runtime never has to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Tree:
    """States by name with their parents, children and initial children."""

    order: tuple[str, ...]
    parent: Mapping[str, str | None]
    children: Mapping[str, tuple[str, ...]]
    initial_child: Mapping[str, str | None]
    leaf_order: tuple[str, ...]
    # Chains already walked, so that asking for every state's ancestors reads each parent
    # link once instead of once per descendant.
    _chains: dict[str, tuple[str, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def ancestors(self, state: str) -> tuple[str, ...]:
        """`state` and its ancestors, innermost first."""
        known = self._chains.get(state)
        if known is not None:
            return known
        walked = [state]
        seen = {state}
        current = self.parent.get(state)
        while current is not None and current not in self._chains:
            if current in seen:
                # A cycle (only in input that `check` refuses): the walk so far, unstored.
                return tuple(walked)
            walked.append(current)
            seen.add(current)
            current = self.parent.get(current)
        tail = self._chains[current] if current is not None else ()
        for index in range(len(walked) - 1, -1, -1):
            tail = (walked[index], *tail)
            self._chains[walked[index]] = tail
        return tail

    def is_leaf(self, state: str) -> bool:
        return not self.children.get(state)

    def leaf_of(self, state: str) -> str:
        """The leaf entered when `state` is entered: follow initial children down."""
        seen = {state}
        current = state
        while not self.is_leaf(current):
            child = self.initial_child.get(current)
            if child is None or child in seen:
                return current
            seen.add(child)
            current = child
        return current

    def lca(self, a: str, b: str) -> str | None:
        """Lowest common ancestor of two states (a state counts as its own ancestor)."""
        above = set(self.ancestors(b))
        for state in self.ancestors(a):
            if state in above:
                return state
        return None

    def leaves(self) -> tuple[str, ...]:
        return self.leaf_order

    def depth(self, state: str) -> int:
        """How many states enclose `state` (0 for a top-level state)."""
        return len(self.ancestors(state)) - 1

    def path_down(self, top: str | None, leaf: str) -> tuple[str, ...]:
        """States strictly below `top` down to `leaf`, outermost first."""
        chain = []
        for state in self.ancestors(leaf):
            if state == top:
                break
            chain.append(state)
        return tuple(reversed(chain))

    def path_up(self, leaf: str, top: str | None) -> tuple[str, ...]:
        """States from `leaf` up to but excluding `top`, innermost first."""
        chain = []
        for state in self.ancestors(leaf):
            if state == top:
                break
            chain.append(state)
        return tuple(chain)


def build_tree(
    names: Sequence[str],
    parents: Mapping[str, str | None],
    initial_children: Mapping[str, str | None],
) -> Tree:
    children: dict[str, list[str]] = {name: [] for name in names}
    for name in names:
        parent = parents.get(name)
        if parent is not None and parent in children:
            children[parent].append(name)
    return Tree(
        order=tuple(names),
        parent=dict(parents),
        children={name: tuple(kids) for name, kids in children.items()},
        initial_child=dict(initial_children),
        leaf_order=tuple(name for name in names if not children[name]),
    )


def find_cycle(parents: Mapping[str, str | None]) -> tuple[str, ...] | None:
    """A cycle in parent links, as the list of states on it, or None.

    Each link is followed once: a walk stops at a state an earlier walk already cleared.
    """
    cleared: set[str] = set()
    for start in parents:
        walk: dict[str, int] = {}
        current: str | None = start
        while current is not None and current in parents and current not in cleared:
            if current in walk:
                return tuple(list(walk)[walk[current] :])
            walk[current] = len(walk)
            current = parents.get(current)
        cleared.update(walk)
    return None


def depths(parents: Mapping[str, str | None]) -> dict[str, int]:
    """How many states enclose each state, for acyclic parent links; each link is read
    once, so a hierarchy can be measured before anything walks its chains."""
    found: dict[str, int] = {}
    for start in parents:
        walk: list[str] = []
        current: str | None = start
        while current is not None and current in parents and current not in found:
            walk.append(current)
            current = parents.get(current)
        depth = found[current] if current is not None and current in found else -1
        for name in reversed(walk):
            depth += 1
            found[name] = depth
    return found
