"""Validate: the schema stage, from a loaded document to a `MachineConfig` and diagnostics.

Every schema problem is reported at its key; the malformed parts are then set aside so that
the semantic checks still judge the rest, and `Damage` records what was set aside.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from pystator.generator.diagnostics import CompileError, Diagnostic, did_you_mean
from pystator.generator.load import Document, Path, Position
from pystator.generator.schema import (
    EFFECT_KEYS,
    AppendDef,
    CheckDef,
    ErrorPolicyDef,
    EventDef,
    HandlerDef,
    InvokeDef,
    MachineConfig,
    MetaDef,
    NamedActionDef,
    PayloadFieldDef,
    RegionDef,
    StateDef,
    TimeoutDef,
    TransitionDef,
    VariableDef,
    keys_of,
)
from pystator.generator.suggest import Suggester

# Setting aside one malformed part can leave its container incomplete (a required key
# gone), which the next round sets aside in turn; a document needs only a few rounds.
_MAX_ROUNDS = 8
# The discriminator tags the schema's unions insert into pydantic's error locations.
_TAGS = frozenset({"ref", "named", "effect", "expr", "check", "text", "full"})


# Findings of the semantic checks that a part set aside may cause: a state whose `type`
# was malformed reads as `stable` (so "no initial state" would follow), a transition without
# its trigger reads as having none. By what was set aside: the codes hidden everywhere.
_STRUCTURE = frozenset(
    {"PS201", "PS202", "PS205", "PS215", "PS216", "PS217", "PS218", "PS220", "PS221"}
)
_NAMES = frozenset({"PS203", "PS204", "PS208", "PS209", "PS224"})
_HIDDEN: dict[tuple[str, str], frozenset[str]] = {
    ("states", "*"): _STRUCTURE | _NAMES,
    ("states", "name"): _STRUCTURE | _NAMES,
    ("states", "type"): _STRUCTURE,
    ("states", "parent"): _STRUCTURE,
    ("states", "initial_child"): _STRUCTURE,
    ("states", "regions"): _STRUCTURE | {"PS204"},
    ("", "transitions"): frozenset({"PS222"}),
    ("transitions", "*"): frozenset({"PS222"}),
    ("transitions", "trigger"): frozenset({"PS222"}),
    ("", "meta"): frozenset({"PS208", "PS209", "PS212", "PS304"}),
    ("meta", "machine_name"): frozenset({"PS212"}),
    ("meta", "event_normalizer"): frozenset({"PS208", "PS209"}),
    ("meta", "state_variables"): frozenset({"PS304"}),
    ("", "state_variables"): frozenset({"PS304"}),
    ("state_variables", "*"): frozenset({"PS304"}),
    ("state_variables", "key"): frozenset({"PS304"}),
    ("", "events"): frozenset({"PS304"}),
    ("events", "*"): frozenset({"PS304"}),
    ("events", "payload"): frozenset({"PS304"}),
}
# ... and, within the one transition that lost a part, what its other rules may then say.
_HIDDEN_IN_ITEM = frozenset({"PS102", "PS103", "PS207", "PS214", "PS221"})
_ITEM_KEYS = frozenset({"*", "trigger", "after", "auto", "internal", "source", "dest", "region"})


@dataclass
class Damage:
    """What validation set aside: `(section, key)` pairs such as `("states", "type")`, where
    key `*` is a whole item of the section, and the items (`("transitions", 3)`, indexed as
    in the repaired config) that lost a part."""

    fields: set[tuple[str, str]] = field(default_factory=set)
    items: set[Path] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def hides(self, code: str, path: Path) -> bool:
        """True if a finding `code` at `path` may follow from what was set aside."""
        if any(code in _HIDDEN.get(damaged, ()) for damaged in self.fields):
            return True
        return code in _HIDDEN_IN_ITEM and path[:2] in self.items


@dataclass(frozen=True, slots=True)
class Validated:
    """The schema stage's result: the well-formed part of the document (None when nothing
    checkable remains) with a document positioned like it, the diagnostics, and what was
    set aside."""

    config: MachineConfig | None
    document: Document
    diagnostics: tuple[Diagnostic, ...]
    damage: Damage


def validate(document: Document) -> Validated:
    """Validate `document`; on errors, also the config its well-formed parts make."""
    try:
        config = MachineConfig.model_validate(document.data)
        return Validated(config, document, (), Damage())
    except ValidationError as exc:
        errors = exc.errors()
    merged = merge_alternatives(errors, document.data)
    diagnostics = tuple(_unique([_diagnostic(document, error) for error in merged]))
    repair = _Repair(document.data)
    for _ in range(_MAX_ROUNDS):
        if not repair.set_aside(errors):
            break
        try:
            config = MachineConfig.model_validate(repair.data)
        except ValidationError as exc:
            errors = exc.errors()
            continue
        return Validated(config, repair.document(document), diagnostics, repair.damage())
    return Validated(None, document, diagnostics, repair.damage())


class _Repair:
    """A copy of the document's data, from which malformed parts are removed.

    Every list remembers the original index of each item it still holds, so that the
    repaired data can be given the positions of the text it came from.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.origins: dict[int, list[int]] = {}
        self.data: dict[str, Any] = self._copy(data)
        self.fields: set[tuple[str, str]] = set()
        self.damaged: set[int] = set()

    def _copy(self, value: Any) -> Any:
        # The loader has bounded the depth, so recursion is safe here.
        if isinstance(value, dict):
            return {key: self._copy(item) for key, item in value.items()}
        if isinstance(value, list):
            copied = [self._copy(item) for item in value]
            self.origins[id(copied)] = list(range(len(copied)))
            return copied
        return value

    def set_aside(self, errors: Iterable[Any]) -> bool:
        """Remove the value each error concerns (the mapping, when a key is missing);
        False if that is the whole document."""
        doomed: set[Path] = set()
        for error in errors:
            loc: tuple[int | str, ...] = tuple(error.get("loc", ()))
            path, _ = _data_path(loc, self.data)
            if error.get("type") == "extra_forbidden":
                guess = _intended_key(self.data, path)
                self.fields.add(_field_of((*path[:-1], guess) if guess and path else path))
            else:
                self.fields.add(_field_of(path))
            section, key = _field_of(path)
            if section == "transitions" and key in _ITEM_KEYS and isinstance(path[1], int):
                self.damaged.add(id(_child(self.data["transitions"], path[1])))
            doomed.add(path)
        if () in doomed:
            return False
        # Deepest and last first, so that removing a list item never shifts one still to go.
        for path in sorted(doomed, key=_order, reverse=True):
            self._remove(path)
        return True

    def _remove(self, path: Path) -> None:
        parent: Any = self.data
        for part in path[:-1]:
            parent = _child(parent, part)
            if parent is _NO_CHILD:
                return
        last = path[-1]
        if isinstance(parent, dict) and last in parent:
            del parent[last]
        elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
            del parent[last]
            self.origins[id(parent)].pop(last)

    def damage(self) -> Damage:
        items: set[Path] = set()
        for section in ("states", "transitions"):
            listed = self.data.get(section)
            for index, item in enumerate(listed if isinstance(listed, list) else ()):
                if id(item) in self.damaged:
                    items.add((section, index))
        return Damage(set(self.fields), items)

    def document(self, original: Document) -> Document:
        """The repaired data as a Document, each value at its place in the original text."""
        positions: dict[Path, Position] = {}
        key_positions: dict[Path, Position] = {}
        stack: list[tuple[Any, Path, Path]] = [(self.data, (), ())]
        while stack:
            node, here, there = stack.pop()
            if there in original.positions:
                positions[here] = original.positions[there]
            if there in original.key_positions:
                key_positions[here] = original.key_positions[there]
            if isinstance(node, dict):
                stack.extend((v, (*here, k), (*there, k)) for k, v in node.items())
            elif isinstance(node, list):
                origin = self.origins[id(node)]
                stack.extend((v, (*here, i), (*there, origin[i])) for i, v in enumerate(node))
        return replace(original, data=self.data, positions=positions, key_positions=key_positions)


def validate_document(document: Document) -> MachineConfig:
    """The document as a MachineConfig; raises CompileError listing every schema problem."""
    validated = validate(document)
    if validated.diagnostics or validated.config is None:
        raise CompileError(list(validated.diagnostics))
    return validated.config


def _order(path: Path) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, part) if isinstance(part, int) else (1, part) for part in path)


def _field_of(path: Path) -> tuple[str, str]:
    """`(section, key)` of a path: `("states", "type")` for `states[3].type.x`."""
    if not path:
        return ("", "*")
    section = str(path[0])
    if len(path) == 1:
        return ("", section)
    if isinstance(path[1], int):
        return (section, str(path[2]) if len(path) > 2 else "*")
    return (section, str(path[1]))


def _intended_key(data: Any, path: Path) -> str | None:
    """The known key an unknown key at `path` was most likely meant to be."""
    if not path:
        return None
    known = known_keys_for(data, path[:-1])
    return Suggester(known).closest(str(path[-1])) if known else None


def _unique(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Each diagnostic once: errors deep inside a union can repeat one another."""
    seen: set[tuple[int, int, str, str]] = set()
    kept = []
    for diagnostic in diagnostics:
        key = (diagnostic.line, diagnostic.col, diagnostic.code, diagnostic.message)
        if key not in seen:
            seen.add(key)
            kept.append(diagnostic)
    return kept


# -- locating an error in the data -------------------------------------------------------------

_NO_CHILD = object()


class _Missing:
    def __init__(self, key: str) -> None:
        self.key = key


def _child(node: Any, part: int | str) -> Any:
    if isinstance(node, dict) and part in node:
        return node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _NO_CHILD


def _data_path(loc: Sequence[int | str], data: Any) -> tuple[Path, Any]:
    """Map a pydantic error location onto the data, dropping the union tags it inserted.

    A tag can also be a key (`check`, `expr`, `type`), so both readings are tried and the
    one that follows the location furthest into the data wins.
    """
    return _resolve(tuple(loc), data, ())


def _resolve(loc: tuple[int | str, ...], node: Any, path: Path) -> tuple[Path, Any]:
    if not loc:
        return path, node
    part, rest = loc[0], loc[1:]
    options = []
    child = _child(node, part)
    if child is not _NO_CHILD:
        options.append(_resolve(rest, child, (*path, part)))
    if (isinstance(part, str) and part in _TAGS) or not isinstance(node, dict | list):
        options.append(_resolve(rest, node, path))
    if not options:
        return path, _Missing(str(part))
    return max(options, key=lambda found: (not isinstance(found[1], _Missing), len(found[0])))


def _dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "document"


# -- wording -------------------------------------------------------------------------------------

_KINDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
}
# What a failed type check of pydantic asked for, in the format's words.
_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
}
_SCHEMA_HINT = "Correct the value; `pystator-gen schema` prints the full format."


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    return _KINDS.get(type(value), type(value).__name__)


def _diagnostic(document: Document, error: Any) -> Diagnostic:
    loc: tuple[int | str, ...] = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    path, node = _data_path(loc, document.data)
    where = _dotted(path)
    if kind == "extra_forbidden" or (kind and isinstance(node, _Missing) and kind != "missing"):
        return _unknown_key(document, loc, path, where)
    if kind == "missing" or isinstance(node, _Missing):
        key = node.key if isinstance(node, _Missing) else (str(loc[-1]) if loc else "?")
        position = document.key_position(path) if path else document.position(())
        return Diagnostic(
            "PS103",
            f"{where} is missing the required key {key!r}.",
            document.file,
            position.line,
            position.col,
            hint=f"Add `{key}:` to it.",
        )
    position = document.position(path)
    message, hint = _wrong_value(error, kind, node, where)
    return Diagnostic("PS102", message, document.file, position.line, position.col, hint=hint)


def _unknown_key(
    document: Document, loc: Sequence[int | str], path: Path, where: str
) -> Diagnostic:
    key = str(loc[-1]) if loc else "?"
    inside = path[:-1] if path and path[-1] == key else path
    known = known_keys_for(document.data, inside)
    hint = did_you_mean(key, known) or (
        f"Known keys here: {', '.join(sorted(known))}." if known else ""
    )
    position = document.key_position(path)
    return Diagnostic(
        "PS101",
        f"unknown key {key!r} in {_dotted(inside) if inside != path else where}.",
        document.file,
        position.line,
        position.col,
        hint=hint or "Remove it.",
    )


def _wrong_value(error: Any, kind: str, node: Any, where: str) -> tuple[str, str]:
    """Message and hint for a value of the wrong type or outside the allowed ones."""
    if kind in ("literal_error", "enum"):
        expected = str(error.get("ctx", {}).get("expected", ""))
        options = [part.strip(" '") for part in expected.replace(" or ", ", ").split(", ")]
        shown = repr(node) if isinstance(node, str | int | float | bool) else _describe(node)
        hint = did_you_mean(node, options) if isinstance(node, str) else ""
        return f"{where} should be {expected}, got {shown}.", hint or _SCHEMA_HINT
    expected_kinds = error.get("expected_kinds") or [_EXPECTED.get(kind)]
    if all(expected_kinds):
        wanted = " or ".join(expected_kinds)
        hint = _SCHEMA_HINT
        if "a string" in expected_kinds and isinstance(node, int | float):
            hint = "Quote it to make it a string." if not isinstance(node, bool) else hint
        return f"{where} should be {wanted}, got {_describe(node)}.", hint
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    message = f"{message[0].lower()}{message[1:]}" if message else "invalid value"
    return f"{where}: {message.rstrip('.')}.", _SCHEMA_HINT


def merge_alternatives(errors: Sequence[Any], data: Any) -> list[Any]:
    """Errors at one place from the alternatives of a union, as one error that lists what
    each alternative wanted; other errors as they are."""
    grouped: dict[Path, list[Any]] = {}
    order: list[Any] = []
    for error in errors:
        kind = error.get("type", "")
        if kind not in _EXPECTED:
            order.append(error)
            continue
        path, _ = _data_path(tuple(error.get("loc", ())), data)
        if path not in grouped:
            grouped[path] = []
            order.append(path)
        grouped[path].append(error)
    merged = []
    for item in order:
        if not isinstance(item, tuple):
            merged.append(item)
            continue
        group = grouped[item]
        kinds = list(dict.fromkeys(_EXPECTED[e["type"]] for e in group))
        merged.append({**group[0], "expected_kinds": kinds})
    return merged


# -- what is known where ---------------------------------------------------------------------------

_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "": MachineConfig,
    "meta": MetaDef,
    "states": StateDef,
    "transitions": TransitionDef,
    "regions": RegionDef,
    "timeout": TimeoutDef,
    "invoke": InvokeDef,
    "error_policy": ErrorPolicyDef,
    "state_variables": VariableDef,
    "events": EventDef,
    "check": CheckDef,
    "action_definitions": HandlerDef,
    "guard_definitions": HandlerDef,
    "append": AppendDef,
}


def known_keys_for(data: Any, path: Path) -> set[str]:
    """The keys valid in the mapping at `path`, guessed from where it sits in the format."""
    names = [part for part in path if isinstance(part, str)]
    last = names[-1] if names else ""
    if last in ("on_enter", "on_exit", "actions"):
        return keys_of(NamedActionDef) | set(EFFECT_KEYS)
    if last == "guards":
        return {"name", "params", "expr", "check", "description"}
    if len(path) >= 2 and names and names[-1] == "payload":
        return keys_of(PayloadFieldDef)
    model = _SECTION_MODELS.get(last)
    return keys_of(model) if model is not None else set()
