"""Hierarchy: parent/child relations of states, computed once for check and lower.

Pure functions over a name -> parent map; the compiler resolves every LCA and leaf here so
that the runtime never has to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tree:
    """States by name with their parents, children and initial children."""

    order: tuple[str, ...]
    parent: Mapping[str, str | None]
    children: Mapping[str, tuple[str, ...]]
    initial_child: Mapping[str, str | None]

    def ancestors(self, state: str) -> tuple[str, ...]:
        """`state` and its ancestors, innermost first."""
        chain = [state]
        seen = {state}
        current = self.parent.get(state)
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = self.parent.get(current)
        return tuple(chain)

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
        return tuple(state for state in self.order if self.is_leaf(state))

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
    )


def find_cycle(parents: Mapping[str, str | None]) -> tuple[str, ...] | None:
    """A cycle in parent links, as the list of states on it, or None."""
    for start in parents:
        seen: list[str] = []
        current: str | None = start
        while current is not None and current in parents:
            if current in seen:
                return tuple(seen[seen.index(current) :])
            seen.append(current)
            current = parents.get(current)
    return None
