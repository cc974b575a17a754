"""YAML source: composing YAML (or JSON) text into a node tree with bounded effort, and the
positions, tags and errors that `yaml_data` builds plain data with.

Aliases, depth and node counts are bounded while composing, so bombs stop early; the
loader (`load`) decides what the text may ask through `Limits`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import yaml

from pystator.generator.diagnostics import CompileError, Diagnostic

if TYPE_CHECKING:
    from pystator.generator.load import Limits

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the source text; both numbers are 1-based."""

    line: int
    col: int


class Positions(Mapping[Path, Position]):
    """Positions by path, kept as (line, col) pairs and made `Position`s when read: a large
    machine has hundreds of thousands of them and reads few."""

    __slots__ = ("pairs",)

    def __init__(self) -> None:
        self.pairs: dict[Path, tuple[int, int]] = {}

    def __getitem__(self, path: Path) -> Position:
        return Position(*self.pairs[path])

    def __iter__(self) -> Iterator[Path]:
        return iter(self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)


def fail(
    file: str, code: str, message: str, hint: str, line: int = 1, col: int = 1
) -> CompileError:
    return CompileError([Diagnostic(code, message, file, line, col, hint=hint)])


# -- composing -------------------------------------------------------------------------------

YAML_TAG = "tag:yaml.org,2002:"
TAG_STR = YAML_TAG + "str"
TAG_INT = YAML_TAG + "int"
TAG_FLOAT = YAML_TAG + "float"
TAG_BOOL = YAML_TAG + "bool"
TAG_NULL = YAML_TAG + "null"
TAG_MERGE = YAML_TAG + "merge"
SCALAR_TAGS = frozenset(
    {
        TAG_STR,
        TAG_INT,
        TAG_FLOAT,
        TAG_BOOL,
        TAG_NULL,
        TAG_MERGE,
        YAML_TAG + "timestamp",
        YAML_TAG + "value",
    }
)
TAG_SEQ = YAML_TAG + "seq"
TAG_MAP = YAML_TAG + "map"


class _TooComplex(Exception):
    def __init__(self, message: str, hint: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.mark = mark


_ALIAS_HINT = "Write the repeated parts out; a machine file needs only a few anchors."
DEPTH_HINT = "Flatten the structure; a machine file needs only a few levels of nesting."
SIZE_HINT = "Remove unused content; a machine file has no reason to be this large."


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1's implicit types, and exponents as JSON writes them (see below).

    Resolves as PyYAML's `Resolver` does, with the patterns for each first character
    gathered once: a large machine has hundreds of thousands of scalars. No path
    resolvers are registered, so the composer's descending and ascending have nothing to do.
    """

    _by_first: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                patterns = self._by_first
                # The empty value has resolvers of its own, keyed by "".
                for tag, pattern in patterns.get(value[:1], patterns[None]):
                    if pattern.match(value):
                        return tag
            return TAG_STR
        return TAG_SEQ if kind is yaml.SequenceNode else TAG_MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


def _patterns(
    resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]],
) -> dict[str | None, list[tuple[str, re.Pattern[str]]]]:
    """The implicit resolvers to try for each first character, wildcards last, as
    `BaseResolver.resolve` tries them; under None, those for any other character."""
    wildcard = resolvers.get(None, [])
    found: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {
        first: [*patterns, *wildcard] for first, patterns in resolvers.items() if first is not None
    }
    found[None] = list(wildcard)
    return found


class _Bounded:
    """Composes nodes only, counting aliases, depth and nodes so that bombs stop early."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.alias_count = 0
        self.depth = 0
        self.node_count = 0
        # Where each alias is written, by (parent node id, index or key node id): an aliased
        # value shares the anchor's node, whose own mark points at the anchor instead.
        self.alias_sites: dict[tuple[int, int], Any] = {}

    def peek_event(self) -> Any:
        raise NotImplementedError  # the parser's, named again by each loader

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        mark = event.start_mark
        limits = self.limits
        if isinstance(event, yaml.AliasEvent):
            self.alias_count += 1
            _bound(self.alias_count, limits.max_aliases, "uses more than {} aliases", mark)
            if parent is not None and index is not None:
                slot = index if isinstance(index, int) else id(index)
                self.alias_sites[(id(parent), slot)] = mark
        else:
            self.node_count += 1
            _bound(self.node_count, limits.max_nodes, "has more than {} nodes", mark)
        # PyYAML composes recursively; bounding the depth here keeps it far from the
        # interpreter's recursion limit whatever the input.
        _bound(self.depth + 1, limits.max_depth, "is nested deeper than {} levels", mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self.depth -= 1


class _Loader(
    _Bounded,
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    _Resolver,
):
    """PyYAML's own scanner and parser: the reference, and the one that reports errors."""

    def __init__(self, stream: str, limits: Limits) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)
        _Bounded.__init__(self, limits)

    def peek_event(self) -> Any:
        return yaml.parser.Parser.peek_event(self)  # type: ignore[no-untyped-call]


_CParser: Any = getattr(getattr(yaml, "_yaml", None), "CParser", None)


if _CParser is not None:

    class _FastLoader(_Bounded, yaml.composer.Composer, _Resolver, _CParser):  # type: ignore[misc]
        """libyaml's scanner and parser under the same composer: the same nodes and
        positions, several times faster. Any error is reported by `_Loader` instead."""

        def __init__(self, stream: str, limits: Limits) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            _Resolver.__init__(self)
            _Bounded.__init__(self, limits)

        def peek_event(self) -> Any:
            return _CParser.peek_event(self)

    class _TreeLoader(_Resolver, _CParser):  # type: ignore[misc]
        """libyaml's parser and composer, unbounded: several times faster again, and used
        only where the result is measured before use (see `_tree`)."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _Resolver.__init__(self)


_HINTS = {"aliases": _ALIAS_HINT, "nodes": SIZE_HINT, "levels": DEPTH_HINT}


def _bound(count: int, limit: int, excess: str, mark: Any) -> None:
    """Stop composing once `count` passes `limit`; `excess` says how, e.g. "has more than
    {} nodes", and its last word chooses the hint."""
    if count > limit:
        raise _TooComplex(f"the input {excess.format(limit)}", _HINTS[excess.split()[-1]], mark)


# JSON (and YAML 1.2) read `1e5` and `2.5e-3` as numbers; YAML 1.1 insists on a dot and a
# signed exponent and would keep them as strings.
_Resolver.add_implicit_resolver(
    TAG_FLOAT,
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+\Z"),
    list("-+.0123456789"),
)
_Resolver._by_first = _patterns(_Resolver.yaml_implicit_resolvers)

_SYNTAX_HINT = "Fix the YAML syntax at this position."


@dataclass(frozen=True, slots=True)
class Composed:
    """The root node; where each alias is written (see `_Bounded.alias_sites`); how many
    aliases there are (none: the nodes form a tree the composer has measured)."""

    root: yaml.Node
    alias_sites: dict[tuple[int, int], Any]
    aliases: int


def compose(text: str, file: str, limits: Limits) -> Composed:
    """The composed document; raises CompileError if it is not valid YAML or too complex."""
    if _CParser is not None and _NESTING_BOUNDED and len(text) <= limits.max_nodes:
        tree = None
        try:
            tree = _TreeLoader(text)
            found = tree.get_single_node()
        except Exception:  # `_Loader` below finds the error and describes it
            found = None
            text_is_valid = False
        else:
            text_is_valid = found is not None
        finally:
            if tree is not None:
                tree.dispose()
        if text_is_valid and _tree(found, limits, maybe_aliased="*" in text):
            return Composed(found, {}, 0)
    if _CParser is not None:
        fast = None
        try:
            fast = _FastLoader(text, limits)
            found = fast.get_single_node()
            if found is not None:
                return Composed(found, fast.alias_sites, fast.alias_count)
        except Exception:  # `_Loader` below finds the error and describes it
            pass
        finally:
            if fast is not None:
                fast.dispose()
    loader: _Loader | None = None
    try:
        loader = _Loader(text, limits)
        node: yaml.Node | None = loader.get_single_node()
        sites = loader.alias_sites
    except _TooComplex as exc:
        raise fail(file, "PS004", f"{exc.message}.", exc.hint, *line_and_col(exc.mark)) from None
    except yaml.MarkedYAMLError as exc:
        message, hint = _describe(exc)
        raise fail(
            file, "PS001", message, hint, *line_and_col(exc.problem_mark or exc.context_mark)
        ) from None
    except yaml.reader.ReaderError as exc:
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        raise fail(
            file,
            "PS001",
            f"the input contains the unprintable character {character!r}.",
            "Remove it, or write it as an escape inside a double-quoted string.",
            *offset_position(text, exc.position),
        ) from None
    except yaml.YAMLError as exc:
        raise fail(file, "PS001", f"invalid YAML: {_sentence(str(exc))}", _SYNTAX_HINT) from None
    except RecursionError:
        # Unreachable with the depth bound above; kept so a deep caller stack still
        # yields a diagnostic rather than a traceback.
        raise fail(file, "PS004", "the input is nested too deeply.", DEPTH_HINT) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise fail(
            file,
            "PS005",
            "the file is empty.",
            "Write a machine: a mapping with `states:` and `transitions:`.",
        )
    return Composed(node, sites, loader.alias_count)


#: libyaml's parser refuses collections nested over 1,000 deep from version 0.2.6 on
#: (yaml/libyaml#287), which keeps its recursive composer far from the end of the C stack.
_NESTING_BOUNDED = _CParser is not None and yaml._yaml.get_version() >= (0, 2, 6)


def _tree(root: yaml.Node, limits: Limits, *, maybe_aliased: bool) -> bool:
    """Whether a document composed without bounds is a tree (no aliases) within the node and
    depth limits: exactly what composing it with bounds would accept, with the same nodes.

    A text no longer than the node limit composes to a number of nodes of the same order,
    so composing it unbounded first costs no more memory than the limit allows. Aliases
    can only be written with a `*`; without one, no node is looked for twice.
    """
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    count = 1
    max_nodes, max_depth = limits.max_nodes, limits.max_depth
    mapping = yaml.MappingNode
    while stack:
        node, depth = stack.pop()
        if maybe_aliased:
            if id(node) in seen:
                return False
            seen.add(id(node))
        value = node.value
        if type(value) is not list or not value:
            continue
        depth += 1
        if depth > max_depth:
            return False
        # Scalars are counted here and never stacked, unless an alias may share them.
        if type(node) is mapping:
            count += 2 * len(value)
            for key, item in value:
                if maybe_aliased or type(key.value) is list:
                    stack.append((key, depth))
                if maybe_aliased or type(item.value) is list:
                    stack.append((item, depth))
        else:
            count += len(value)
            stack.extend(
                [(item, depth) for item in value if maybe_aliased or type(item.value) is list]
            )
        if count > max_nodes:
            return False
    return count <= max_nodes


def _describe(exc: yaml.MarkedYAMLError) -> tuple[str, str]:
    """A one-sentence message and a hint for a PyYAML syntax or composition error."""
    problem = exc.problem or ""
    context = exc.context or ""
    if "another document" in problem:
        return (
            "only one document is allowed, but the file holds more than one.",
            "Keep one machine per file and remove the extra `---`.",
        )
    if context.startswith("found duplicate anchor"):
        name = context.removeprefix("found duplicate anchor ").split(";")[0]
        first = exc.context_mark.line + 1 if exc.context_mark else 1
        return (
            f"the anchor {name} is defined twice (first on line {first}).",
            "Give each anchor a distinct name.",
        )
    if problem.startswith("found undefined alias"):
        return (f"invalid YAML: {_sentence(problem)}", "Define the anchor before using it.")
    text = problem or context or "invalid syntax"
    if problem and context:
        where = f" on line {exc.context_mark.line + 1}" if exc.context_mark else ""
        text = f"{problem}, {context}{where}"
    hint = _SYNTAX_HINT
    if "'\\t'" in problem:
        hint = "Indent with spaces; YAML does not allow tabs there."
    return f"invalid YAML: {_sentence(text)}", hint


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith(".") else text + "."


def offset_position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def line_and_col(mark: Any) -> tuple[int, int]:
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


# A quoted string (only where one can start, and running to the end of the text when
# unterminated so that matching stays linear), a comment, or a tab.
_FLOW_TOKEN = re.compile(
    r"""(?<![^\s{\[,:])(?:"(?:[^"\\]|\\.)*+(?:"|\Z)|'(?:[^']|'')*+(?:'|\Z))"""
    r"""|(?<!\S)#[^\n]*|\t""",
    re.DOTALL,
)


def json_tabs_to_spaces(text: str) -> str:
    """Turn tabs outside quoted strings into spaces when the input is a JSON-style document.

    JSON allows tabs as whitespace but PyYAML refuses them outside quoted strings, so
    tab-indented JSON would fail. Each tab becomes one space, which keeps every column.
    """
    if "\t" not in text or text.lstrip(" \t\r\n\ufeff")[:1] not in ("{", "["):
        return text
    return _FLOW_TOKEN.sub(lambda m: " " if m.group() == "\t" else m.group(), text)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def measure(root: yaml.Node, file: str, limits: Limits) -> None:
    """Refuse a node graph that contains itself, or that aliases expand past the limits.

    Works on the composed graph with memoised sizes, so a billion-laughs document is
    measured in a handful of steps and never expanded.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    entered: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = _children(node)
            entered.discard(key)
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            if size[key] > limits.max_nodes:
                raise fail(
                    file,
                    "PS004",
                    f"through aliases, the value here expands to more than {limits.max_nodes} "
                    "nodes.",
                    _ALIAS_HINT,
                    *line_and_col(node.start_mark),
                )
            if height[key] > limits.max_depth:
                raise fail(
                    file,
                    "PS004",
                    f"through aliases, the data here nests deeper than {limits.max_depth} levels.",
                    _ALIAS_HINT,
                    *line_and_col(node.start_mark),
                )
            continue
        if key in size:
            continue
        if key in entered:
            # Nodes entered but not finished are exactly the ancestors of this one.
            raise fail(
                file,
                "PS004",
                "an alias refers to the anchored value that contains it.",
                "Remove the alias; a value cannot contain itself.",
                *line_and_col(node.start_mark),
            )
        entered.add(key)
        stack.append((node, True))
        children = _children(node)
        stack.extend((child, False) for child in children if id(child) not in size)
