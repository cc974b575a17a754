"""Escape: the only way text from a user's files enters generated Python source.

One function per context — string literal, `#` comment, docstring — each safe for any text.
"""

from __future__ import annotations

import re

# PEP 263: a comment on line 1 or 2 that matches this chooses the file's encoding.
_CODING = re.compile(r"(?<=coding)[:=]", re.IGNORECASE)


def literal(text: str) -> str:
    """A Python string literal that evaluates to `text`, whatever it holds.

    repr() writes every non-printable character (line breaks, NUL, lone surrogates) as an
    escape, so the literal is one line of encodable text.
    """
    return repr(text)


def printable(text: str) -> str:
    """`text` with every non-printable character written as its Python escape (`\\x00`,
    `\\u2028`, `\\udcff`): no line breaks, no NUL, nothing that cannot be encoded."""
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def comment(text: str) -> str:
    """Text for after `# `: one line that shows `text` unambiguously and says nothing to tools.

    Backslashes are doubled and every other character that is not plainly printable is
    written as its escape, so nothing can end the comment early; a trailing space is
    escaped because formatters strip it, and `coding:` cannot declare the file's encoding.
    """
    shown = "".join(
        "\\\\" if char == "\\" else char if char.isprintable() else _escape(char) for char in text
    )
    shown = _CODING.sub(lambda match: _escape(match.group()), shown)
    if shown.endswith(" "):
        shown = shown[:-1] + _escape(" ")
    return shown


def docstring(text: str) -> str:
    """Text for between a docstring's triple double quotes (all of it, or a part of one
    line): the docstring then holds exactly `text`, through black and the compiler.

    Backslashes are doubled; a quote is escaped where it could join the closing quotes (at
    either end, or before another quote); every non-printable character is written as its
    escape. Whitespace that black or the compiler would strip (leading on the first line,
    trailing on any line, indentation common to all later lines) is kept by escaping one
    space of it. Line breaks stay real only in text that ends with one and has a non-empty
    later line, such as a module docstring; elsewhere black would drop or add some (and
    it re-indents the later lines of a nested docstring), so they are written as escapes.
    """
    if (
        text.isprintable()
        and "\\" not in text
        and '"' not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
    ):
        return text  # one line with nothing to escape (isprintable() is False for "\n")
    kept = _kept_spaces(text)
    multiline = text.endswith("\n") and any(text.split("\n")[1:])
    breaks = "\n" if multiline else "\\n"
    out = []
    for position, char in enumerate(text):
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            if position == len(text) - 1:
                # Escaped or not, black pads a docstring that ends in a quote with a space.
                out.append(_escape(char))
            elif position == 0 or text[position + 1] == '"':
                out.append('\\"')
            else:
                out.append(char)
        elif char == "\n":
            out.append(breaks)
        elif char.isprintable() and position not in kept:
            out.append(char)
        else:
            out.append(_escape(char))
    return "".join(out)


def _kept_spaces(text: str) -> set[int]:
    """Positions of the spaces a docstring must escape so that nothing strips them."""
    kept: set[int] = set()
    starts: list[int] = []
    start = 0
    for line in text.split("\n"):
        if line.endswith(" "):
            kept.add(start + len(line) - 1)
        if line:
            starts.append(start)
        start += len(line) + 1
    if text.startswith(" "):
        kept.add(0)
    later = [position for position in starts if position]
    if later and all(text[position] == " " for position in later):
        kept.add(later[0])
    return kept


def _escape(char: str) -> str:
    """The Python escape sequence for one character, lower-case hex as black writes it."""
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
