"""Load: the first pipeline stage, reading YAML or JSON with a position for every node.

Safe loading only; duplicate keys, YAML 1.1 booleans such as `on`, alias bombs and
oversized input are diagnostics, never tracebacks or silent surprises.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pystator.generator.diagnostics import CompileError
from pystator.generator.yaml_data import Builder
from pystator.generator.yaml_source import (
    DEPTH_HINT,
    SIZE_HINT,
    compose,
    fail,
    json_tabs_to_spaces,
    line_and_col,
    measure,
    offset_position,
)
from pystator.generator.yaml_source import Path as Path
from pystator.generator.yaml_source import Position as Position
from pystator.runtime.expr import MAX_INTEGER_DIGITS, integer_fits

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 200_000
MAX_STATE_DEPTH = 64
MAX_TABLE_ENTRIES = 100_000
TABLE_GROWTH = 16


@dataclass(frozen=True, slots=True)
class Limits:
    """How much a machine file may ask of the front end. The defaults suit untrusted
    input (the API); a caller compiling its own large machines may raise them.

    `max_bytes`, `max_nodes`, `max_depth` and `max_aliases` bound the text and its YAML
    structure; `max_state_depth` bounds how deeply states nest through `parent:`. The
    transition table (candidates, history alternatives and the exit and entry actions
    they copy) may hold `table_growth` entries per state, transition and state action of
    the file, and `max_table_entries` whatever the file's size.
    """

    max_bytes: int = MAX_BYTES
    max_nodes: int = MAX_NODES
    max_depth: int = MAX_DEPTH
    max_aliases: int = MAX_ALIASES
    max_state_depth: int = MAX_STATE_DEPTH
    max_table_entries: int = MAX_TABLE_ENTRIES
    table_growth: int = TABLE_GROWTH


def default_limits() -> Limits:
    """The module's limits as they are now (read at each call, so that the constants above
    stay the one place the defaults live)."""
    return Limits(
        MAX_BYTES,
        MAX_NODES,
        MAX_DEPTH,
        MAX_ALIASES,
        MAX_STATE_DEPTH,
        MAX_TABLE_ENTRIES,
        TABLE_GROWTH,
    )


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
        """Where the value at `path` starts, or where its nearest known ancestor starts."""
        current = tuple(path)
        while True:
            found = self.positions.get(current)
            if found is not None:
                return found
            if not current:
                return _START
            current = current[:-1]

    def key_position(self, path: Sequence[str | int]) -> Position:
        """Where the key of the mapping entry at `path` is written, else its value's position."""
        found = self.key_positions.get(tuple(path))
        return found if found is not None else self.position(path)


def _too_large(file: str, what: str, size: int, limit: int) -> CompileError:
    return fail(
        file, "PS003", f"{what} is {size} bytes, over the limit of {limit} bytes.", SIZE_HINT
    )


# -- entry points --------------------------------------------------------------------------


def load_file(
    path: str | os.PathLike[str],
    display_name: str | None = None,
    *,
    limits: Limits | None = None,
) -> Document:
    """Read and load one machine file; `display_name` replaces the path in diagnostics."""
    chosen = limits if limits is not None else default_limits()
    try:
        shown = os.fspath(path)
    except TypeError:
        shown = repr(path)
    name = display_name or shown
    try:
        size = os.path.getsize(path)
        if size > chosen.max_bytes:
            raise _too_large(name, "the file", size, chosen.max_bytes)
        with open(path, "rb") as handle:
            # Read one byte past the limit so a file that grew after the size check is
            # still refused instead of being silently truncated.
            raw = handle.read(chosen.max_bytes + 1)
    except CompileError:
        raise
    except FileNotFoundError:
        raise fail(
            name, "PS007", f"{shown} does not exist.", "Check the path and the file name."
        ) from None
    except IsADirectoryError:
        raise fail(
            name, "PS007", f"{shown} is a directory, not a file.", "Pass the machine's YAML file."
        ) from None
    except PermissionError:
        raise fail(
            name,
            "PS007",
            f"{shown} cannot be read: permission denied.",
            "Check the file's permissions.",
        ) from None
    except (OSError, ValueError) as exc:
        # ValueError covers paths the OS cannot represent, such as one with a NUL byte.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise fail(
            name,
            "PS007",
            f"{shown} cannot be read: {reason}.",
            "Check the path and the file's permissions.",
        ) from None
    return load_text(raw, name, limits=chosen)


def load_text(
    text: str | bytes, file: str = "<string>", *, limits: Limits | None = None
) -> Document:
    """Load YAML or JSON text; JSON is read as YAML, so positions work the same for both."""
    chosen = limits if limits is not None else default_limits()
    if isinstance(text, str):
        decoded = text
        raw = text.encode("utf-8", "surrogatepass")
        if len(raw) > chosen.max_bytes:
            raise _too_large(file, "the input", len(raw), chosen.max_bytes)
    elif isinstance(text, bytes | bytearray | memoryview):
        raw = bytes(text)
        if len(raw) > chosen.max_bytes:
            raise _too_large(file, "the input", len(raw), chosen.max_bytes)
        decoded = _decode(raw, file)
    else:
        raise TypeError(f"load_text() needs str or bytes, not {type(text).__name__}")
    nul = decoded.find("\x00")
    if nul >= 0:
        # PyYAML treats NUL as the end of the stream, so everything after it would vanish.
        raise fail(
            file,
            "PS001",
            "the input contains a NUL character.",
            "Remove it; a machine file is text.",
            *offset_position(decoded, nul),
        )
    composed = compose(json_tabs_to_spaces(decoded), file, chosen)
    root = composed.root
    if composed.aliases:
        # Without aliases the nodes are a tree, whose size and depth composing bounded.
        measure(root, file, chosen)
    builder = Builder(file, composed.alias_sites)
    data = builder.build(root)
    if data is None:
        raise fail(
            file,
            "PS005",
            "the document is empty (null).",
            "Write a machine: a mapping with `states:` and `transitions:`.",
            *line_and_col(root.start_mark),
        )
    if not isinstance(data, dict):
        raise fail(
            file,
            "PS006",
            f"the document is {_kind(data)}, not a mapping.",
            "A machine file is a mapping with `states:` and `transitions:` at the top level.",
            *line_and_col(root.start_mark),
        )
    digest = hashlib.sha256(raw).hexdigest()
    return Document(file, data, builder.positions, builder.key_positions, digest)


def load_data(
    data: Mapping[str, Any], file: str = "<dict>", *, limits: Limits | None = None
) -> Document:
    """Wrap already-parsed data (for `StateMachine.from_dict`); positions are unknown.

    Mappings and lists are copied so later stages never share structure with the caller;
    other values are kept as they are and judged by the schema stage.
    """
    if not isinstance(data, Mapping):
        raise fail(
            file,
            "PS006",
            f"the configuration is {_kind(data)}, not a mapping.",
            "Pass a dict with `states:` and `transitions:`.",
        )
    chosen = limits if limits is not None else default_limits()
    return Document(file, _copy_plain(data, file, chosen))


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The error's offsets refer to `exc.object`, which lacks a leading BOM if there was one.
        body, start = exc.object, exc.start
        line_start = body.rfind(b"\n", 0, start) + 1
        line = body.count(b"\n", 0, start) + 1
        col = len(body[line_start:start].decode("utf-8", "replace")) + 1
        raise fail(
            file,
            "PS007",
            f"the input is not valid UTF-8 (unexpected byte 0x{body[start]:02x}).",
            "Save the file as UTF-8.",
            line,
            col,
        ) from None


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    return f"a value of type {type(value).__name__}"


def _copy_plain(data: Mapping[Any, Any], file: str, limits: Limits) -> dict[str, Any]:
    """Copy nested mappings and lists without recursion, refusing cycles and huge input."""
    root: dict[str, Any] = {}
    # Each entry: the source container, the copy being filled, its depth, and the ids of
    # the containers above it (to recognise a structure that contains itself).
    stack: list[tuple[Any, Any, int, frozenset[int]]] = [(data, root, 1, frozenset())]
    nodes = 1
    while stack:
        source, target, depth, above = stack.pop()
        inside = above | {id(source)}
        items = source.items() if isinstance(source, Mapping) else enumerate(source)
        for key, value in items:
            nodes += 1
            if nodes > limits.max_nodes:
                raise fail(
                    file,
                    "PS004",
                    f"the configuration has more than {limits.max_nodes} values.",
                    SIZE_HINT,
                )
            if depth + 1 > limits.max_depth:
                raise fail(
                    file,
                    "PS004",
                    f"the configuration is nested deeper than {limits.max_depth} levels.",
                    DEPTH_HINT,
                )
            copied: Any = value
            if isinstance(value, int) and not integer_fits(value):
                raise fail(
                    file,
                    "PS003",
                    f"the configuration holds an integer with more than {MAX_INTEGER_DIGITS} "
                    "digits.",
                    "Use a smaller number, or a string if it is an identifier.",
                )
            if isinstance(value, Mapping | list | tuple):
                if id(value) in inside:
                    raise fail(
                        file,
                        "PS004",
                        "the configuration contains itself.",
                        "Pass a tree of dicts and lists without cycles.",
                    )
                copied = {} if isinstance(value, Mapping) else []
                stack.append((value, copied, depth + 1, inside))
            if isinstance(target, dict):
                target[key] = copied
            else:
                target.append(copied)
    return root
