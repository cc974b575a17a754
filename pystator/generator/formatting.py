"""Formatting: black over a generated module's code, without black reading what it would
leave as it is.

A large machine's code is mostly runs of members that differ only in names: an enum
member per state, an `is_<state>` property per state. Black would spend most of its time
confirming that each of them is already in its style. Here such a run is swapped for one
placeholder of the same kind before black runs and put back afterwards, once black has
left a pair of the run's own members unchanged (so their layout, and the blank lines
between them, are black's). Members qualify only when their lines are short, complete and
ASCII, and every member of a run has the same shape: the same text once names and plain
strings are abstracted. Long one-line `Literal[...]` aliases are laid out by `layout`.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pystator.generator import layout

LINE_LENGTH = 88
#: Runs shorter than this are left to black: a placeholder would save nothing.
MIN_RUN = 4

Formatter = Callable[[str], str]

_STRING = re.compile(r'"""(?:[^"\\\n]|\\.)*?"""|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'')
_PLAIN = re.compile(r'"""[^\s"\\](?:[^"\\]*[^\s"\\])?"""|"[^"\\]*"')
_NAME = re.compile(r"[A-Za-z_]\w*")
_KEYWORDS = frozenset([*keyword.kwlist, *keyword.softkwlist])
_BRACKETS = re.compile(r"[^()\[\]{}]+")
_MEMBER_START = re.compile(r"    [^ ]")
_LITERAL_ALIAS = re.compile(r"[A-Za-z_]\w*: TypeAlias = Literal\[.*\]")


def format_code(text: str, black: Formatter) -> str:
    """What `black(text)` returns for a rendered module, with runs of regular members
    and long `Literal` aliases kept from black."""
    lines = text.split("\n")
    out: list[str] = []
    prefix = "_pystator_kept"
    while prefix in text:
        prefix += "_"
    saved = _Saved(prefix)
    verified: dict[tuple[str, int], bool] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        if len(line) > LINE_LENGTH and _LITERAL_ALIAS.fullmatch(line):
            laid = _literal_alias(line)
            if laid is not None:
                out.append(saved.add("", "{} = None", laid))
                index += 1
                continue
        header = _header_end(lines, index) if line.startswith("class ") else None
        if header is not None:
            end = _class_end(lines, header + 1)
            out += lines[index : header + 1]
            out += _class_body(lines[header + 1 : end], black, saved, verified)
            index = end
            continue
        out.append(line)
        index += 1
    formatted = black("\n".join(out))
    if not saved.lines:
        return formatted
    result: list[str] = []
    skip = False
    for line in formatted.split("\n"):
        if skip:
            skip = False  # the body of a placeholder method
            continue
        restored = saved.lines.get(line)
        if restored is None:
            result.append(line)
        else:
            result += restored
            skip = line.endswith(":")
    return "\n".join(result)


@dataclass
class _Saved:
    """Placeholder lines, as black writes them, and the lines each stands for; their names
    start with `prefix`, which the text does not hold."""

    prefix: str
    lines: dict[str, list[str]] = field(default_factory=dict)

    def add(self, indent: str, form: str, kept: list[str]) -> str:
        """A new placeholder line for `kept`: `form` with a new name, at `indent`."""
        line = indent + form.format(f"{self.prefix}_{len(self.lines)}")
        self.lines[line] = kept
        return line


def _header_end(lines: list[str], start: int) -> int | None:
    """The last line of the class header that starts at `start`, if it is one."""
    if lines[start].endswith(":"):
        return start
    for index in range(start + 1, min(start + 8, len(lines))):
        if lines[index].startswith(")") and lines[index].endswith(":"):
            return index
        if lines[index] and not lines[index].startswith(" "):
            return None
    return None


def _literal_alias(line: str) -> list[str] | None:
    """Black's layout of `Name: TypeAlias = Literal[...]` when its items take a line each."""
    target, _, expression = line.partition(" = ")
    value = layout.from_source(expression)
    inner = value.width - len(value.opener) - len(value.closer)
    if len(layout.INDENT) + inner <= LINE_LENGTH:
        return None  # black puts the items on one line of their own
    laid = layout.layout_assignment(target, value)
    if any(len(item) > LINE_LENGTH for item in laid):
        return None
    return laid


def _class_end(lines: list[str], start: int) -> int:
    """The index of the first line after the class body that starts at `start`."""
    index = start
    in_string = False
    while index < len(lines):
        line = lines[index]
        if not in_string and line and not line[0].isspace():
            return index
        if line.count('"""') % 2:
            in_string = not in_string
        index += 1
    return index


def _members(body: list[str]) -> list[tuple[int, int]]:
    """(first, end) line indexes of each member of a class body, blank lines excluded."""
    members: list[tuple[int, int]] = []
    in_string = False
    start: int | None = None
    decorated = False
    for index, line in enumerate(body):
        opens = not in_string and _MEMBER_START.match(line) is not None
        if opens and not decorated:
            if start is not None:
                members.append((start, _trim(body, start, index)))
            start = index
        if not in_string and line.strip():
            decorated = opens and line.startswith("    @")
        if line.count('"""') % 2:
            in_string = not in_string
    if start is not None:
        members.append((start, _trim(body, start, len(body))))
    return members


def _trim(body: list[str], start: int, end: int) -> int:
    while end > start and not body[end - 1].strip():
        end -= 1
    return end


def _class_body(
    body: list[str],
    black: Formatter,
    saved: _Saved,
    verified: dict[tuple[str, int], bool],
) -> list[str]:
    members = _members(body)
    shapes = [_shape(body[first:end]) for first, end in members]
    out: list[str] = []
    position = 0  # the next line of `body` to copy
    index = 0
    while index < len(members):
        stop = index + 1
        if shapes[index] is not None:
            separator = _gap(body, members, index)
            while (
                stop < len(members)
                and shapes[stop] == shapes[index]
                and _gap(body, members, stop - 1) == separator
            ):
                stop += 1
        if stop - index < MIN_RUN or not _stable(
            body, members, index, shapes[index] or "", verified, black
        ):
            index = stop  # every member of the run gets the same answer
            continue
        first, last_end = members[index][0], members[stop - 1][1]
        out += body[position:first]
        # A placeholder of the run's kind, so that black puts the same blank lines
        # around it as around the run.
        form = "def {}(self) -> None:" if _is_def(body[first]) else "{} = None"
        out.append(saved.add("    ", form, body[first:last_end]))
        if _is_def(body[first]):
            out.append("        pass")
        position = last_end
        index = stop
    return out + body[position:]


def _is_def(line: str) -> bool:
    return line.startswith(("    @", "    def "))


def _gap(body: list[str], members: list[tuple[int, int]], index: int) -> list[str]:
    """The blank lines between member `index` and the next one."""
    if index + 1 >= len(members):
        return []
    return body[members[index][1] : members[index + 1][0]]


def _stable(
    body: list[str],
    members: list[tuple[int, int]],
    index: int,
    shape: str,
    verified: dict[tuple[str, int], bool],
    black: Formatter,
) -> bool:
    """Whether black leaves two members of this shape, as separated here, unchanged."""
    separator = _gap(body, members, index)
    key = (shape, len(separator))
    if key not in verified:
        first = body[members[index][0] : members[index][1]]
        second = body[members[index + 1][0] : members[index + 1][1]]
        sample = "\n".join(["class _Sample:", *first, *separator, *second]) + "\n"
        try:
            verified[key] = black(sample) == sample
        except Exception:  # black refuses what is not Python on its own: not a run
            verified[key] = False
    return verified[key]


def _shape(lines: list[str]) -> str | None:
    """The member with names and plain strings abstracted; None if it may not be kept
    from black (a long, non-ASCII, unbalanced or commented line)."""
    shaped = []
    for line in lines:
        if (
            len(line) > LINE_LENGTH
            or not line.isascii()
            or line != line.rstrip()
            or "\t" in line
            or "\\" in line
            or line.count('"""') % 2
        ):
            return None
        text = _STRING.sub(_abstract_string, line)
        if "#" in text or ";" in text or "'" in text or not _balanced(text):
            return None
        shaped.append(_NAME.sub(_abstract_name, text))
    return "\n".join(shaped)


def _abstract_string(match: re.Match[str]) -> str:
    literal = match.group()
    if _PLAIN.fullmatch(literal):
        return '"""s"""' if literal.startswith('"""') else '"s"'
    return literal


def _abstract_name(match: re.Match[str]) -> str:
    name = match.group()
    return name if name in _KEYWORDS else "x"


def _balanced(text: str) -> bool:
    depth = 0
    for char in _BRACKETS.sub("", text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
