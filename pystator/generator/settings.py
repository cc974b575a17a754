"""Settings: the `[tool.pystator-gen]` table of the pyproject.toml nearest a machine file.

`severity = { PS301 = "error", PS306 = "off" }` raises, lowers or silences warnings;
a malformed table is a diagnostic pointing into pyproject.toml, never a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from pystator.generator.diagnostics import (
    CODES,
    CompileError,
    Diagnostic,
    Severity,
    did_you_mean,
)
from pystator.generator.load import Limits

TABLE = "pystator-gen"
#: The keys `[tool.pystator-gen]` understands; any other is reported, not ignored.
KEYS = ("severity", "limits")
#: The keys of `limits = { ... }`, as TOML spells them, and the `Limits` field of each.
LIMIT_KEYS = {f.name.replace("_", "-"): f.name for f in fields(Limits)}
LEVELS = ("error", "warning", "off")
#: Codes a project may configure: the warnings (errors always stop the build).
CONFIGURABLE_PREFIX = "PS3"


@dataclass(frozen=True, slots=True)
class Settings:
    """Project settings for the compiler; `source` is the pyproject.toml they came from."""

    severity: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    #: Input limits raised (or lowered) for this project's trusted files, by `Limits` field.
    limits: Mapping[str, int] = field(default_factory=dict)

    def limits_over(self, base: Limits) -> Limits:
        """`base` with this project's limits in place of its own."""
        return replace(base, **self.limits) if self.limits else base


DEFAULT = Settings()


def find_pyproject(start: str | os.PathLike[str]) -> Path | None:
    """The nearest pyproject.toml in the directory of `start` or above it."""
    try:
        here = Path(start).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    for directory in (here, *here.parents) if here.is_dir() else here.parents:
        candidate = directory / "pyproject.toml"
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            return None
    return None


def settings_for(machine_file: str | os.PathLike[str]) -> Settings:
    """The settings that apply to `machine_file`; raises CompileError if they are invalid."""
    pyproject = find_pyproject(machine_file)
    if pyproject is None:
        return DEFAULT
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        # An OSError's text repeats the path the diagnostic already names.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _error(
            str(pyproject), f"{pyproject.name} cannot be read: {reason}.", "Check the file."
        ) from None
    return parse_settings(text, str(pyproject))


def parse_settings(text: str, file: str = "pyproject.toml") -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, col = _toml_position(str(exc))
        # The position is the diagnostic's own; the message need not repeat it.
        detail = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        detail = detail[:1].lower() + detail[1:]
        raise _error(
            file, f"the file is not valid TOML: {detail}.", "Fix the syntax.", line=line, col=col
        ) from None
    tool = data.get("tool")
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    if table is None:
        return Settings(source=file)
    position = _locate(text, f"[tool.{TABLE}]")
    if not isinstance(table, dict):
        raise _error(file, f"[tool.{TABLE}] must be a table.", "", *position)
    unknown = [_unknown_key(file, text, key, position[0]) for key in table if key not in KEYS]
    if unknown:
        raise CompileError(unknown)
    raw_limits = table.get("limits", {})
    found = _limits(file, text, raw_limits, position[0])
    limits = (
        {LIMIT_KEYS[key]: value for key, value in dict(raw_limits).items()} if not found else {}
    )
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise _error(
            file,
            f"[tool.{TABLE}] severity must be a table of codes, e.g. "
            'severity = { PS301 = "error" }.',
            "",
            *_locate(text, "severity", position[0]),
        )
    chosen: dict[str, str] = {}
    for code, level in severity.items():
        where = _locate(text, code, position[0])
        if code not in CODES:
            found.append(
                _diagnostic(
                    file,
                    f"[tool.{TABLE}] {code!r} is not a diagnostic code.",
                    did_you_mean(code, CODES) or "See the Diagnostics table in README.md.",
                    *where,
                )
            )
        elif not code.startswith(CONFIGURABLE_PREFIX):
            found.append(
                _diagnostic(
                    file,
                    f"[tool.{TABLE}] {code} ({CODES[code]}) is an error; only warnings "
                    "(PS3xx) can be configured.",
                    "Remove it from `severity`.",
                    *where,
                )
            )
        elif level not in LEVELS:
            found.append(
                _diagnostic(
                    file,
                    f"[tool.{TABLE}] severity of {code} must be one of "
                    f"{', '.join(map(repr, LEVELS))}, not {level!r}.",
                    "",
                    *where,
                )
            )
        else:
            chosen[code] = level
    if found:
        raise CompileError(found)
    return Settings(chosen, file, limits)


def _limits(file: str, text: str, limits: object, table_line: int) -> list[Diagnostic]:
    """What is wrong with `limits = { max-bytes = ..., ... }`: each key a limit, each value
    a positive integer."""
    if not isinstance(limits, dict):
        return [
            _diagnostic(
                file,
                f"[tool.{TABLE}] limits must be a table, e.g. limits = {{ max-bytes = 67108864 }}.",
                "",
                *_locate(text, "limits", table_line),
            )
        ]
    found = []
    for key, value in limits.items():
        where = _locate(text, key, table_line)
        if key not in LIMIT_KEYS:
            hint = did_you_mean(key, LIMIT_KEYS) or f"The limits are: {', '.join(LIMIT_KEYS)}."
            message = f"[tool.{TABLE}] limits has no key {key!r}."
            found.append(_diagnostic(file, message, hint, *where))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            message = f"[tool.{TABLE}] limits {key} must be a positive integer, not {value!r}."
            found.append(_diagnostic(file, message, "", *where))
    return found


def apply(settings: Settings, diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics with the configured severities: raised, lowered or dropped."""
    result = []
    for diagnostic in diagnostics:
        level = settings.severity.get(diagnostic.code)
        if level is None:
            result.append(diagnostic)
        elif level == "error":
            result.append(replace(diagnostic, severity=Severity.ERROR))
        elif level == "warning":
            result.append(replace(diagnostic, severity=Severity.WARNING))
    return result


def _unknown_key(file: str, text: str, key: str, table_line: int) -> Diagnostic:
    return _diagnostic(
        file,
        f"[tool.{TABLE}] has no setting {key!r}.",
        did_you_mean(key, KEYS) or f"The settings are: {', '.join(KEYS)}.",
        *_locate_key(text, key, table_line),
    )


def _locate_key(text: str, key: str, table_line: int) -> tuple[int, int]:
    """Line and column of `key` in the `[tool.pystator-gen]` table starting at `table_line`.

    tomllib keeps no positions, so the lines of the table are scanned: `key = ...`, a quoted
    or dotted key, or a sub-table header `[tool.pystator-gen.key]` anywhere in the file.
    """
    name, table = re.escape(key), re.escape(TABLE)
    assignment = re.compile(rf"""\s*(?:{name}|"{name}"|'{name}')\s*[=.]""")
    header = re.compile(rf"""\s*\[\s*tool\s*\.\s*"?{table}"?\s*\.\s*"?({name})"?\s*[\].]""")
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        found = header.match(line)
        if found:
            return number, found.start(1) + 1
    for number, line in enumerate(lines[table_line:], start=table_line + 1):
        if line.lstrip().startswith("["):
            break
        found = assignment.match(line)
        if found:
            return number, len(line) - len(line.lstrip()) + 1
    return table_line, 1


def _toml_position(message: str) -> tuple[int, int]:
    match = re.search(r"at line (\d+), column (\d+)", message)
    return (int(match.group(1)), int(match.group(2))) if match else (1, 1)


def _locate(text: str, needle: str, after_line: int = 1) -> tuple[int, int]:
    """Line and column of the first `needle` at or after `after_line` (1:1 if absent)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number < after_line:
            continue
        col = line.find(needle)
        if col >= 0:
            return number, col + 1
    return after_line, 1


def _diagnostic(file: str, message: str, hint: str, line: int = 1, col: int = 1) -> Diagnostic:
    return Diagnostic("PS010", message, file, line, col, hint=hint)


def _error(file: str, message: str, hint: str, line: int = 1, col: int = 1) -> CompileError:
    return CompileError([_diagnostic(file, message, hint, line, col)])
