"""How diagnostics print: one line each, as text and as GitHub Actions workflow commands."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pystator.generator.diagnostics import Diagnostic, Severity, printable

PROPERTY_ESCAPES = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}
DATA_ESCAPES = {"%25": "%", "%0D": "\r", "%0A": "\n"}
COMMAND = re.compile(r"::(?P<level>error|warning) (?P<properties>[^:]*)::(?P<message>.*)", re.S)


def unescape(text: str, escapes: dict[str, str]) -> str:
    """The GitHub Actions runner's reading of an escaped value, in one left-to-right pass."""
    pattern = "|".join(re.escape(escaped) for escaped in escapes)
    return re.sub(pattern, lambda match: escapes[match.group()], text)


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Level, properties and message of one `::level k=v,...::message` workflow command."""
    match = COMMAND.fullmatch(line)
    assert match is not None, line
    properties = {}
    for item in match["properties"].split(","):
        key, value = item.split("=", 1)
        properties[key] = unescape(value, PROPERTY_ESCAPES)
    return match["level"], properties, unescape(match["message"], DATA_ESCAPES)


texts = st.text(st.characters(codec="utf-8"), max_size=40)


@given(file=texts, message=texts, hint=texts, code=texts, warning=st.booleans())
def test_github_annotation_is_one_line_that_reads_back_as_the_diagnostic(
    file: str, message: str, hint: str, code: str, warning: bool
) -> None:
    severity = Severity.WARNING if warning else Severity.ERROR
    diagnostic = Diagnostic(code, message, file, 12, 3, severity, hint)
    line = diagnostic.format_github()
    assert "\n" not in line and "\r" not in line
    level, properties, body = parse_command(line)
    assert level == severity.value
    assert properties == {"file": file, "line": "12", "col": "3", "title": code}
    assert body == (f"{message} {hint}" if hint else message)


def test_github_annotation_escapes_separators_in_the_file_name() -> None:
    diagnostic = Diagnostic("PS204", "50% done,\nreally", "a,b:c%.yaml", 6, 43)
    assert diagnostic.format_github() == (
        "::error file=a%2Cb%3Ac%25.yaml,line=6,col=43,title=PS204::50%25 done,%0Areally"
    )


@given(file=texts, message=texts, hint=texts)
def test_text_format_is_one_line_whatever_the_strings_hold(
    file: str, message: str, hint: str
) -> None:
    line = Diagnostic("PS204", message, file, 6, 43, hint=hint).format()
    assert len(line.splitlines()) == 1
    assert line.startswith(f"{printable(file)}:6:43: error[PS204]: ")


def test_text_format_shows_a_line_break_in_the_file_name_as_an_escape() -> None:
    diagnostic = Diagnostic("PS204", "destination 'X' is not a state.", "evil\n.yaml", 2, 5)
    assert diagnostic.format() == (
        "evil\\n.yaml:2:5: error[PS204]: destination 'X' is not a state."
    )


def test_text_format_leaves_printable_names_as_they_are() -> None:
    diagnostic = Diagnostic("PS101", "unknown key 'x'.", "machines/ordre été.yaml", hint="Fix.")
    assert diagnostic.format() == "machines/ordre été.yaml:1:1: error[PS101]: unknown key 'x'. Fix."


def test_printable_escapes_terminal_control_characters() -> None:
    assert printable("a\x1b[2Jb\tc\u2028d") == "a\\x1b[2Jb\\tc\\u2028d"
