"""Load: the first pipeline stage, reading YAML or JSON with a position for every node.

Safe loading only; duplicate keys, YAML 1.1 booleans such as `on`, alias bombs and
oversized input are diagnostics, never tracebacks or silent surprises.
"""

from __future__ import annotations

import copy
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from pystator.generator.diagnostics import CompileError, Diagnostic

Path = tuple[str | int, ...]

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 200_000


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    col: int


_START = Position(1, 1)


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data from one file, with the source position of every value and key."""

    file: str
    data: dict[str, Any]
    positions: Mapping[Path, Position] = field(default_factory=dict)
    key_positions: Mapping[Path, Position] = field(default_factory=dict)
    source_hash: str = ""

    def position(self, path: Sequence[str | int]) -> Position:
        """Where the value at `path` starts, or its nearest known ancestor."""
        current = tuple(path)
        while True:
            found = self.positions.get(current)
            if found is not None:
                return found
            if not current:
                return _START
            current = current[:-1]

    def key_position(self, path: Sequence[str | int]) -> Position:
        """Where the key of the mapping entry at `path` is written."""
        found = self.key_positions.get(tuple(path))
        return found if found is not None else self.position(path)


def _fail(
    file: str, code: str, message: str, hint: str, line: int = 1, col: int = 1
) -> CompileError:
    return CompileError([Diagnostic(code, message, file, line, col, hint=hint)])


def load_file(path: str | os.PathLike[str], display_name: str | None = None) -> Document:
    """Read and load one machine file."""
    name = display_name or os.fspath(path)
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise _fail(
                name,
                "PS003",
                f"the file is {size} bytes; the limit is {MAX_BYTES} bytes.",
                "Split the machine into several files.",
            )
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except CompileError:
        raise
    except IsADirectoryError:
        raise _fail(
            name, "PS007", f"{name} is a directory, not a file.", "Pass a YAML file."
        ) from None
    except FileNotFoundError:
        raise _fail(name, "PS007", f"{name} does not exist.", "Check the path.") from None
    except OSError as exc:
        raise _fail(
            name,
            "PS007",
            f"{name} cannot be read: {exc.strerror or exc}.",
            "Check the path and its permissions.",
        ) from None
    return load_text(raw, name)


def load_text(text: str | bytes, file: str = "<string>") -> Document:
    """Load YAML or JSON text (JSON is parsed as YAML, so positions work the same)."""
    if isinstance(text, bytes):
        raw = text
        if len(raw) > MAX_BYTES:
            raise _fail(
                file,
                "PS003",
                f"the input is {len(raw)} bytes; the limit is {MAX_BYTES} bytes.",
                "Split the machine into several files.",
            )
        try:
            decoded = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _fail(
                file,
                "PS007",
                f"the input is not valid UTF-8 (byte {exc.start}).",
                "Save the file as UTF-8.",
            ) from None
    else:
        decoded = text
        raw = text.encode("utf-8", "surrogatepass")
        if len(raw) > MAX_BYTES:
            raise _fail(
                file,
                "PS003",
                f"the input is {len(raw)} bytes; the limit is {MAX_BYTES} bytes.",
                "Split the machine into several files.",
            )
    if "\x00" in decoded:
        raise _fail(
            file, "PS001", "the input contains a NUL character.", "Remove it; YAML is text."
        )
    digest = hashlib.sha256(raw).hexdigest()
    node = _compose(decoded, file)
    builder = _Builder(file)
    data = builder.build(node)
    if not isinstance(data, dict):
        raise _fail(
            file,
            "PS006",
            f"the document is {_kind(data)}, not a mapping.",
            "A machine file is a mapping with `states:` and `transitions:`.",
            node.start_mark.line + 1,
            node.start_mark.column + 1,
        )
    return Document(file, data, builder.positions, builder.key_positions, digest)


def load_data(data: Mapping[str, Any], file: str = "<dict>") -> Document:
    """Wrap already-parsed data (for `StateMachine.from_dict`); positions are unknown."""
    if not isinstance(data, Mapping):
        raise _fail(
            file,
            "PS006",
            f"the configuration is {type(data).__name__}, not a mapping.",
            "Pass a dict with `states:` and `transitions:`.",
        )
    try:
        copied = copy.deepcopy(dict(data))
    except RecursionError:
        raise _fail(
            file, "PS004", "the configuration is nested too deeply.", "Flatten it."
        ) from None
    return Document(file, copied)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


# -- composing ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Composes nodes only, counting aliases so expansion bombs stop early."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.alias_count = 0
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _TooComplex(f"the input uses more than {MAX_ALIASES} aliases", mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _TooComplex(f"the input is nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _TooComplex(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


def _compose(text: str, file: str) -> yaml.Node:
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
    except _TooComplex as exc:
        raise _fail(
            file,
            "PS004",
            f"{exc.message}.",
            "Write the machine out plainly; anchors and deep nesting are not needed.",
            exc.mark.line + 1,
            exc.mark.column + 1,
        ) from None
    except yaml.composer.ComposerError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "another document" in (exc.problem or "") or "single document" in (exc.context or ""):
            message = "the file holds more than one YAML document."
            hint = "Keep one machine per file (remove the extra `---`)."
        else:
            message = f"{exc.problem or exc.context or 'invalid YAML'}."
            hint = "Fix the YAML syntax at this position."
        raise _fail(file, "PS001", message, hint, *_mark(mark)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise _fail(
            file,
            "PS001",
            f"invalid YAML: {problem}.",
            "Fix the YAML syntax at this position.",
            *_mark(mark),
        ) from None
    except yaml.reader.ReaderError as exc:
        line, col = _offset_position(text, exc.position)
        raise _fail(
            file,
            "PS001",
            f"the input contains the unprintable character {chr(exc.character)!r}.",
            "Remove it or write it as an escape inside a double-quoted string.",
            line,
            col,
        ) from None
    except yaml.YAMLError as exc:
        raise _fail(file, "PS001", f"invalid YAML: {exc}.", "Fix the YAML syntax.") from None
    except RecursionError:
        raise _fail(
            file, "PS004", "the input is nested too deeply.", "Flatten the structure."
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        raise _fail(
            file,
            "PS005",
            "the file is empty.",
            "Write a machine with `states:` and `transitions:`.",
        )
    return node


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _mark(mark: Any) -> tuple[int, int]:
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


# -- building plain data -----------------------------------------------------------------------

_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_NULL = {"", "~", "null", "Null", "NULL"}
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class _Builder:
    """Turns composed nodes into plain data, recording positions as it goes."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.positions: dict[Path, Position] = {}
        self.key_positions: dict[Path, Position] = {}
        self.nodes = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, root: yaml.Node) -> Any:
        # An explicit stack instead of recursion: depth is already bounded, but this keeps
        # alias expansion cheap to count and never near the interpreter's limit.
        return self._node(root, ())

    def _count(self, node: yaml.Node) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _fail(
                self.file,
                "PS004",
                f"the input expands to more than {MAX_NODES} nodes.",
                "Write the machine out plainly; anchors that expand hugely are refused.",
                *_mark(node.start_mark),
            )

    def _node(self, node: yaml.Node, path: Path) -> Any:
        self._count(node)
        self.positions.setdefault(
            path, Position(node.start_mark.line + 1, node.start_mark.column + 1)
        )
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self._node(item, (*path, index)) for index, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        raise _fail(
            self.file, "PS001", "unsupported YAML node.", "Use plain mappings, lists and scalars."
        )

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:merge":
                raise _fail(
                    self.file,
                    "PS001",
                    "merge keys (`<<:`) are not supported.",
                    "Write the keys out in full.",
                    *_mark(key_node.start_mark),
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise _fail(
                    self.file,
                    "PS001",
                    "complex mapping keys are not supported.",
                    "Use plain strings as keys.",
                    *_mark(key_node.start_mark),
                )
            key_value = self._scalar(key_node)
            key = key_value if isinstance(key_value, str) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in result:
                raise _fail(
                    self.file,
                    "PS002",
                    f"key {key!r} appears twice in this mapping (first on line {first_line[key]}).",
                    "Remove or rename one of them; YAML would silently keep only the last.",
                    line,
                    key_node.start_mark.column + 1,
                )
            first_line[key] = line
            child = (*path, key)
            self.key_positions[child] = Position(line, key_node.start_mark.column + 1)
            result[key] = self._node(value_node, child)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        value = node.value
        if node.style is not None and node.style != "":
            return value  # quoted or block scalars are always strings
        tag = node.tag
        if tag == "tag:yaml.org,2002:bool":
            # YAML 1.1 makes yes/no/on/off booleans; states and triggers are often named so.
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
            return value
        if tag == "tag:yaml.org,2002:null":
            return None if value in _NULL else value
        if tag in (_INT, _FLOAT):
            try:
                return self.constructor.construct_object(node, deep=True)
            except (ValueError, yaml.YAMLError):
                return value
        return value
