"""Diagnostics: the compiler's error and warning reports.

Every stage of the front end (load, schema, check, lower) reports problems as
`Diagnostic` values with a stable code and a source position; the CLI prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

# Kept here too: did-you-mean hints are part of what a diagnostic says.
from pystator.generator.suggest import did_you_mean as did_you_mean


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# Stable codes. The number never changes meaning once released; new checks get new numbers.
CODES: dict[str, str] = {
    # load
    "PS001": "invalid YAML or JSON syntax",
    "PS002": "duplicate mapping key",
    "PS003": "input too large (the text, or the transition table it lowers to)",
    "PS004": "input nested too deeply (the YAML, or states through parent) or too many aliases",
    "PS005": "empty document",
    "PS006": "document is not a mapping",
    "PS007": "file cannot be read",
    "PS010": "invalid [tool.pystator-gen] settings in pyproject.toml",
    # schema
    "PS101": "unknown key",
    "PS102": "wrong type or invalid value",
    "PS103": "missing required key",
    # semantic checks
    "PS201": "no initial state",
    "PS202": "more than one initial state",
    "PS203": "duplicate state name",
    "PS204": "unknown state",
    "PS205": "transition out of a terminal state",
    "PS206": "invalid guard expression",
    "PS207": "name cannot become a Python identifier",
    "PS208": "names collide after mapping to Python identifiers",
    "PS209": "name shadows a member of the generated class",
    "PS210": "duplicate declaration",
    "PS211": "invalid check guard",
    "PS212": "invalid machine name",
    "PS214": "invalid duration",
    "PS215": "cycle in parent links",
    "PS216": "initial_child is not a child",
    "PS217": "compound state without initial_child, or initial_child on a leaf",
    "PS218": "terminal state with children",
    "PS219": "unguarded auto transitions form a loop",
    "PS220": "history destination of a state without children",
    "PS221": "invalid parallel state or region",
    "PS222": "invoke on_done names an event no transition uses",
    "PS223": "duplicate invoke id in a state",
    "PS224": "renamed_from names a current state or another state's old name",
    "PS225": "delayed transitions loop back faster than the minimum timer delay",
    # warnings
    "PS301": "unreachable state",
    "PS302": "shadowed transition",
    "PS303": "non-terminal dead end",
    "PS304": "undeclared context name in a guard",
    "PS305": "comparison of a declared string with a number, or the reverse",
    "PS306": "no terminal state can be reached",
    "PS307": "overlapping guards on one event",
    "PS308": "complementary-looking guards leave a gap",
    "PS309": "`auto` beside `after` is redundant",
    # outputs
    "PS400": "generated file is stale",
    "PS401": "output would replace an input file of the run",
    "PS402": "output would replace a file pystator-gen did not write",
    "PS403": "output path is not a regular file",
    "PS404": "two inputs of one run would write the same output",
    "PS405": "output cannot be written",
    # internal
    "PS900": "internal error",
}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, positioned in a source file (line and column are 1-based)."""

    code: str
    message: str
    file: str
    line: int = 1
    col: int = 1
    severity: Severity = Severity.ERROR
    hint: str = ""

    def format(self) -> str:
        """`file:line:col: severity[code]: message hint` on one line, whatever the strings hold."""
        text = f"{self.message} {self.hint}" if self.hint else self.message
        where = f"{printable(self.file)}:{self.line}:{self.col}"
        return f"{where}: {self.severity}[{self.code}]: {printable(text)}"

    def format_github(self) -> str:
        """A GitHub Actions `::error`/`::warning` workflow command, on one line."""
        level = "error" if self.severity is Severity.ERROR else "warning"
        body = self.message + (f" {self.hint}" if self.hint else "")
        properties = {
            "file": self.file,
            "line": str(self.line),
            "col": str(self.col),
            "title": self.code,
        }
        listed = ",".join(f"{key}={_github_property(value)}" for key, value in properties.items())
        return f"::{level} {listed}::{_github_data(body)}"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def printable(text: str) -> str:
    """`text` with every non-printable character (line breaks, tabs, terminal escapes) shown
    as its Python escape, so a file name or message can never span or rewrite lines."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _github_data(text: str) -> str:
    # The message of a workflow command ends at the line break; `%` escapes the escapes.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    # Property values also end at `,` (next property) and `:` (start of `::message`).
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


class CompileError(Exception):
    """Raised by a front-end stage when it found errors; carries every diagnostic."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_key(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    return (diagnostic.file, diagnostic.line, diagnostic.col, diagnostic.code)
