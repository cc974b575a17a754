"""YAML data: turning composed YAML nodes into plain Python data, with the source position
of every value and key recorded as it goes.

`yaml_source.compose` has bounded the tree already; this is the loader's second step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from pystator.generator.diagnostics import CompileError
from pystator.generator.yaml_source import (
    SCALAR_TAGS,
    TAG_BOOL,
    TAG_FLOAT,
    TAG_INT,
    TAG_MAP,
    TAG_MERGE,
    TAG_NULL,
    TAG_SEQ,
    TAG_STR,
    YAML_TAG,
    Path,
    Positions,
    fail,
    line_and_col,
)
from pystator.runtime.expr import MAX_INTEGER_DIGITS, integer_fits

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_SURROGATE = re.compile("[\ud800-\udfff]")


class Builder:
    """Turns composed nodes into plain data, recording positions as it goes.

    Recursion is safe here: `_measure` has already bounded the expanded depth.
    """

    def __init__(self, file: str, alias_sites: Mapping[tuple[int, int], Any]) -> None:
        self.file = file
        self.alias_sites = alias_sites
        self.positions = Positions()
        self.key_positions = Positions()
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, root: yaml.Node) -> Any:
        return self._node(root, (), root.start_mark)

    def _error(self, message: str, hint: str, node: yaml.Node) -> CompileError:
        return fail(self.file, "PS001", message, hint, *line_and_col(node.start_mark))

    def _node(self, node: yaml.Node, path: Path, mark: Any) -> Any:
        self.positions.pairs[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, TAG_SEQ)
            sites = self.alias_sites
            if not sites:
                return [
                    self._node(item, (*path, index), item.start_mark)
                    for index, item in enumerate(node.value)
                ]
            return [
                self._node(item, (*path, index), sites.get((id(node), index), item.start_mark))
                for index, item in enumerate(node.value)
            ]
        if isinstance(node, yaml.MappingNode):
            self._check_tag(node, TAG_MAP)
            return self._mapping(node, path)
        raise self._error("unsupported YAML node.", "Use mappings, lists and scalars.", node)

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise self._error(
                f"the tag {_show_tag(node.tag)} is not supported.",
                "Remove the tag; machine files use plain mappings, lists and scalars.",
                node,
            )

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        sites = self.alias_sites
        positions, key_positions = self.positions.pairs, self.key_positions.pairs
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(
                    "complex keys are not supported; a key must be a scalar.",
                    "Use a plain string as the key.",
                    key_node,
                )
            if key_node.tag == TAG_STR and not key_node.style:
                key = key_node.value  # the common case of `_scalar`, inline
            else:
                if key_node.tag == TAG_MERGE:
                    raise self._error(
                        "merge keys (`<<:`) are not supported.",
                        "Write the merged keys out in full.",
                        key_node,
                    )
                key_value = self._scalar(key_node)
                # Non-string scalar keys keep the text as written: `1:` is "1", `true:` is "true".
                key = key_value if isinstance(key_value, str) else str(key_node.value)
            mark = key_node.start_mark
            line = mark.line + 1
            if key in result:
                raise fail(
                    self.file,
                    "PS002",
                    f"the key {key!r} appears twice in this mapping "
                    f"(first on line {first_line[key]}).",
                    "Remove or rename one of them; YAML would silently keep only the last.",
                    line,
                    mark.column + 1,
                )
            first_line[key] = line
            child = (*path, key)
            key_positions[child] = (line, mark.column + 1)
            if sites:
                site = sites.get((id(node), id(key_node)), value_node.start_mark)
                result[key] = self._node(value_node, child, site)
            elif isinstance(value_node, yaml.ScalarNode):
                # `_node` for a scalar, inline: most values are.
                mark = value_node.start_mark
                positions[child] = (mark.line + 1, mark.column + 1)
                result[key] = self._scalar(value_node)
            else:
                result[key] = self._node(value_node, child, value_node.start_mark)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        value: str = node.value
        if not node.style and node.tag == TAG_STR:
            return value  # most scalars
        if node.tag not in SCALAR_TAGS:
            self._check_tag(node, TAG_STR)
        if node.style:
            if node.style == '"' and _SURROGATE.search(value):
                return self._join_surrogates(node)
            return value  # quoted and block scalars are always strings
        tag = node.tag
        if tag == TAG_BOOL:
            # YAML 1.1 makes yes/no/on/off booleans; states and triggers are often named so.
            if value in _TRUE:
                return True
            return False if value in _FALSE else value
        if tag == TAG_NULL:
            return None if value in _NULL else value
        if tag in (TAG_INT, TAG_FLOAT):
            if ":" in value:
                # YAML 1.1 reads `1:30` as the base-60 number 90; keep clock-like text.
                return value
            if tag == TAG_INT and _decimal_digits(value) > MAX_INTEGER_DIGITS:
                raise self._too_many_digits(node)
            try:
                if tag == TAG_INT:
                    number = self.constructor.construct_yaml_int(node)
                    # Hexadecimal, octal and binary digits are converted without Python's
                    # own digit limit, so the one limit is applied to the value.
                    if not integer_fits(number):
                        raise self._too_many_digits(node)
                    return number
                return self.constructor.construct_yaml_float(node)
            except (ValueError, LookupError, ArithmeticError, yaml.YAMLError):
                # Only explicit tags (`!!int abc`) get here.
                raise self._error(
                    f"{_shorten(value)!r} cannot be read as {_show_tag(tag)}.",
                    "Write a plain number, or quote the value to keep it as text.",
                    node,
                ) from None
        return value

    def _too_many_digits(self, node: yaml.ScalarNode) -> CompileError:
        return self._error(
            f"{_shorten(node.value)!r} cannot be read as !!int: it has more than "
            f"{MAX_INTEGER_DIGITS} digits.",
            "Use a smaller number, or quote the value to keep it as text.",
            node,
        )

    def _join_surrogates(self, node: yaml.ScalarNode) -> str:
        # JSON writes characters outside the BMP as escaped surrogate pairs ("\ud83d\ude00");
        # PyYAML decodes each half separately, so pair them up here.
        try:
            return str(node.value.encode("utf-16-le", "surrogatepass").decode("utf-16-le"))
        except UnicodeDecodeError:
            raise self._error(
                "the string contains an unpaired surrogate escape.",
                "Escape a character above U+FFFF as a full surrogate pair, or write it directly.",
                node,
            ) from None


def _decimal_digits(text: str) -> int:
    """The significant digits of `text` if it is a decimal integer, else 0.

    Counted on the text so that a long decimal is refused before the quadratic conversion.
    """
    digits = text.lstrip("+-").replace("_", "")
    if not digits.isdigit() or not digits.isascii() or digits.startswith("0"):
        # Octal (leading 0), hexadecimal, binary or not a number: judged by value.
        return 0
    return len(digits)


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(YAML_TAG) if tag.startswith(YAML_TAG) else tag


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
