"""Constraints: guards read as comparisons of context variables with constants.

Interval reasoning over numbers and equality over strings and booleans, decided exactly by
evaluating every comparison on a few representative values; anything else is not read.
"""

from __future__ import annotations

import ast
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pystator.generator import typemap
from pystator.runtime import expr
from pystator.runtime.expr import COMPARE_SYMBOLS
from pystator.runtime.spec import CHECK_SYMBOLS, GuardSpec

Value = int | float | str | bool

#: Products of representative values larger than this are not enumerated (no finding).
MAX_POINTS = 20_000
#: Work one analysis may spend deciding questions, as comparisons evaluated (points times
#: atoms); a fraction of a second, and far more than machines written by hand ask for.
MAX_EFFORT = 500_000

_ORDERING = ("<", "<=", ">", ">=")
_NEGATED = {
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "==": "!=",
    "!=": "==",
    "in": "not in",
    "not in": "in",
}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class Effort:
    """What is left of one analysis's work; a question it can no longer afford is left
    undecided, and an undecided question is never the reason for a finding."""

    def __init__(self, budget: int = MAX_EFFORT) -> None:
        self.remaining = budget

    def spend(self, work: int) -> bool:
        """Take `work` from what is left; False (and nothing left) if it does not fit."""
        if work > self.remaining:
            self.remaining = 0
            return False
        self.remaining -= work
        return True


class Kind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"


def kind_of(value: Value) -> Kind:
    if isinstance(value, bool):
        return Kind.BOOL
    if isinstance(value, str):
        return Kind.TEXT
    return Kind.NUMBER


@dataclass(frozen=True, slots=True)
class Atom:
    """`variable op constant`, or `variable in (constants)` / `not in`."""

    variable: str
    op: str
    values: tuple[Value, ...]

    def holds(self, value: Value) -> bool:
        if self.op == "in":
            return any(_equal(value, option) for option in self.values)
        if self.op == "not in":
            return not any(_equal(value, option) for option in self.values)
        constant = self.values[0]
        if self.op == "==":
            return _equal(value, constant)
        if self.op == "!=":
            return not _equal(value, constant)
        assert isinstance(value, int | float) and isinstance(constant, int | float)
        if self.op == "<":
            return value < constant
        if self.op == "<=":
            return value <= constant
        if self.op == ">":
            return value > constant
        return value >= constant

    @property
    def sense(self) -> str:
        """What the atom says of its variable: an `upper` or `lower` bound, or that it is
        (`positive`) or is not (`negative`) one of the values."""
        return _SENSES[self.op]


_SENSES = {
    "<": "upper",
    "<=": "upper",
    ">": "lower",
    ">=": "lower",
    "==": "positive",
    "in": "positive",
    "!=": "negative",
    "not in": "negative",
}


def _equal(a: Value, b: Value) -> bool:
    # Values of different kinds never compare equal here (True == 1 is not meant).
    return kind_of(a) is kind_of(b) and a == b


@dataclass(frozen=True, slots=True)
class Conjunction:
    """Every atom must hold: the guards of one transition, as read."""

    atoms: tuple[Atom, ...]

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(atom.variable for atom in self.atoms)

    def holds(self, point: Mapping[str, Value]) -> bool:
        return all(atom.holds(point[atom.variable]) for atom in self.atoms)


# -- reading guards --------------------------------------------------------------------------


def read_guards(guards: Sequence[GuardSpec]) -> Conjunction | None:
    """The guards as one conjunction, or None if any of them is not understood."""
    atoms: list[Atom] = []
    for guard in guards:
        found = read_guard(guard)
        if found is None:
            return None
        atoms.extend(found)
    return Conjunction(tuple(atoms))


def read_guard(guard: GuardSpec) -> tuple[Atom, ...] | None:
    if guard.check is not None:
        check = guard.check
        op = CHECK_SYMBOLS.get(check.op)
        if op is None:
            return None
        values = check.value if isinstance(check.value, tuple | list) else (check.value,)
        if op not in ("in", "not in") and len(values) != 1:
            return None
        return _atom(check.field, op, tuple(values))
    if guard.expr is not None:
        try:
            parsed = expr.parse_expression(guard.expr)
        except expr.ExpressionError:
            return None
        return _read_node(parsed.tree)
    return None


def _atom(variable: str, op: str, values: tuple[object, ...]) -> tuple[Atom, ...] | None:
    constants: list[Value] = []
    for value in values:
        if not isinstance(value, bool | int | float | str):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
        constants.append(value)
    if not constants or len({kind_of(c) for c in constants}) != 1:
        return None
    if op in _ORDERING and kind_of(constants[0]) is not Kind.NUMBER:
        return None
    return (Atom(variable, op, tuple(constants)),)


def _read_node(node: ast.expr) -> tuple[Atom, ...] | None:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        atoms: list[Atom] = []
        for value in node.values:
            found = _read_node(value)
            if found is None:
                return None
            atoms.extend(found)
        return tuple(atoms)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _read_node(node.operand)
        if inner is None or len(inner) != 1:
            return None
        atom = inner[0]
        return (Atom(atom.variable, _NEGATED[atom.op], atom.values),)
    if isinstance(node, ast.Compare):
        atoms = []
        operands = [node.left, *node.comparators]
        for op_node, (left, right) in zip(node.ops, itertools.pairwise(operands), strict=True):
            op = COMPARE_SYMBOLS.get(type(op_node))
            if op is None:
                return None
            found = _comparison(left, op, right)
            if found is None:
                return None
            atoms.extend(found)
        return tuple(atoms)
    return None


def _comparison(left: ast.expr, op: str, right: ast.expr) -> tuple[Atom, ...] | None:
    if op in ("in", "not in"):
        if not isinstance(left, ast.Name) or not isinstance(right, ast.List | ast.Tuple):
            return None
        options = [_constant(element) for element in right.elts]
        if any(option is None for option in options):
            return None
        return _atom(left.id, op, tuple(options))
    if isinstance(left, ast.Name):
        constant = _constant(right)
        return None if constant is None else _atom(left.id, op, (constant,))
    if isinstance(right, ast.Name):
        constant = _constant(left)
        return None if constant is None else _atom(right.id, _FLIPPED[op], (constant,))
    return None


def _constant(node: ast.expr) -> Value | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float | str):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    ):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    return None


# -- deciding ---------------------------------------------------------------------------------

# The value kinds of the Python annotations YAML types map to (`typemap`).
_KIND_OF_ANNOTATION = {
    "int": Kind.NUMBER,
    "float": Kind.NUMBER,
    "str": Kind.TEXT,
    "bool": Kind.BOOL,
}


@dataclass(frozen=True, slots=True)
class Domain:
    """What a variable may hold: declared types (YAML type names) by variable."""

    declared: Mapping[str, str]

    def points(
        self, variable: str, atoms: Iterable[Atom], *, exists: bool
    ) -> tuple[Value, ...] | None:
        """Representative values of `variable`: every atom has one truth value between two
        consecutive points, so checking these decides every question exactly.

        `exists` questions ("is there a value ...") read an undeclared number compared
        only with integers as an integer; "for every value" questions read it as any real,
        so that neither kind of answer claims more than is true.
        """
        constants = [value for atom in atoms for value in atom.values]
        kinds = {kind_of(value) for value in constants}
        declared = typemap.annotation(self.declared.get(variable, "any"))
        if len(kinds) != 1:
            return None
        kind = kinds.pop()
        expected = _KIND_OF_ANNOTATION.get(declared or "")
        if expected is not None and expected is not kind:
            return None
        if kind is Kind.BOOL:
            return (False, True)
        if kind is Kind.TEXT:
            texts = sorted({str(value) for value in constants})
            return (*texts, _fresh(texts))
        numbers = sorted(
            {v for v in constants if isinstance(v, int | float) and not isinstance(v, bool)}
        )
        integral = declared == "int" or (
            exists
            and declared != "float"
            and all(isinstance(v, int) and not isinstance(v, bool) for v in constants)
        )
        return _integer_points(numbers) if integral else _real_points(numbers)


def _fresh(taken: Sequence[str]) -> str:
    candidate = "other"
    while candidate in taken:
        candidate += "_"
    return candidate


def _real_points(numbers: Sequence[int | float]) -> tuple[Value, ...]:
    points: list[int | float] = [_tidy(numbers[0] - 1)]
    for low, high in itertools.pairwise(numbers):
        points.append(low)
        between = math.floor(low) + 1
        points.append(between if between < high else _tidy((low + high) / 2))
    points.append(numbers[-1])
    points.append(_tidy(numbers[-1] + 1))
    return tuple(points)


def _integer_points(numbers: Sequence[int | float]) -> tuple[Value, ...]:
    found: set[int] = set()
    for number in numbers:
        low, high = math.floor(number), math.ceil(number)
        found.update((low - 1, low, low + 1, high, high + 1))
    return tuple(sorted(found))


def _tidy(number: float) -> int | float:
    return int(number) if isinstance(number, float) and number.is_integer() else number


def find_point(
    domain: Domain,
    true: Sequence[Conjunction],
    false: Sequence[Conjunction],
    *,
    exists: bool = True,
    effort: Effort | None = None,
) -> dict[str, Value] | None:
    """Values of the variables under which every `true` conjunction holds and every
    `false` one fails; None if there are none or the question cannot be decided (or
    `effort` cannot afford it)."""
    conjunctions = [*true, *false]
    variables = sorted(set().union(*(c.variables for c in conjunctions)))
    found = _points(domain, conjunctions, variables, exists=exists)
    if found is None:
        return None
    per_variable, size = found
    if effort is not None and not effort.spend(size * sum(len(c.atoms) for c in conjunctions)):
        return None
    for values in itertools.product(*per_variable):
        point = dict(zip(variables, values, strict=True))
        if all(c.holds(point) for c in true) and not any(c.holds(point) for c in false):
            return point
    return None


def decidable(domain: Domain, conjunctions: Sequence[Conjunction]) -> bool:
    """True if every variable the conjunctions read has one understood kind."""
    variables = sorted(set().union(*(c.variables for c in conjunctions)))
    return _points(domain, conjunctions, variables, exists=False) is not None


def _points(
    domain: Domain, conjunctions: Sequence[Conjunction], variables: Sequence[str], *, exists: bool
) -> tuple[list[tuple[Value, ...]], int] | None:
    """Each variable's representative points and how many combinations they make; None if
    a variable has no understood kind or the combinations are more than MAX_POINTS."""
    per_variable: list[tuple[Value, ...]] = []
    size = 1
    for variable in variables:
        atoms = [a for c in conjunctions for a in c.atoms if a.variable == variable]
        points = domain.points(variable, atoms, exists=exists)
        if points is None:
            return None
        per_variable.append(points)
        size *= len(points)
        if size > MAX_POINTS:
            return None
    return per_variable, size


def implies(
    domain: Domain,
    premise: Conjunction,
    conclusion: Conjunction,
    *,
    effort: Effort | None = None,
) -> bool:
    """True if every value satisfying `premise` satisfies `conclusion` (decided exactly);
    False when that cannot be decided, `effort` included."""
    if not decidable(domain, [premise, conclusion]):
        return False
    if effort is not None:
        # Decidable, so find_point below enumerates; charge it here, where running out
        # must answer False rather than "no counterexample".
        points = 1
        for variable in premise.variables | conclusion.variables:
            atoms = [a for c in (premise, conclusion) for a in c.atoms if a.variable == variable]
            found = domain.points(variable, atoms, exists=False)
            points *= len(found) if found is not None else 1
        if not effort.spend(points * (len(premise.atoms) + len(conclusion.atoms))):
            return False
    return find_point(domain, [premise], [conclusion], exists=False) is None


def describe(point: Mapping[str, Value]) -> str:
    """`amount = 10, status = 'open'`."""
    return ", ".join(f"{name} = {value!r}" for name, value in sorted(point.items()))
