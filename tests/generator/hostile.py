"""Hostile text for the escaping tests: strings built to break out of generated source.

Line breaks of every kind, quotes of all sorts, backslash sequences, NUL, lone surrogates,
encoding declarations and payloads that would leave a sentinel in `builtins` if they ran.
"""

from __future__ import annotations

import ast
import builtins
import re

from hypothesis import strategies as st

SENTINEL = "PYSTATOR_INJECTED"
PAYLOAD = f"__import__('builtins').__dict__.__setitem__('{SENTINEL}', 1)"

FRAGMENTS = (
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    "\x00",
    "\t",
    " ",
    "\ud800",
    "\udcff",
    "\ufeff",
    "\u202e",
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\\\",
    "\\N{BULLET}",
    "\\x41",
    "\\u2028",
    "#",
    "# type: ignore",
    "# fmt: off",
    "coding: utf-7",
    "coding=latin-1",
    "+AAo-",
    "-->",
    "--!>",
    "`",
    "```",
    "|",
    "<script>",
    "{{ prefix }}",
    "{% if true %}",
    f"\n{PAYLOAD}\n",
    f'"""\n{PAYLOAD}\n"""',
    f"'''\n{PAYLOAD}\n'''",
    f"');{PAYLOAD};('",
    f'");{PAYLOAD};("',
    f"\\\n{PAYLOAD}",
    f"\u2028{PAYLOAD}",
)


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def hostile_text(max_parts: int = 6, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Strings made of hostile fragments and arbitrary characters; lone surrogates (which
    YAML files cannot hold, but file names and in-process data can) unless told not to."""
    fragments = [f for f in FRAGMENTS if surrogates or not _has_surrogate(f)]
    chars = st.characters(exclude_categories=[] if surrogates else ["Cs"])
    part = st.one_of(st.sampled_from(fragments), st.text(chars, max_size=3))
    return st.lists(part, max_size=max_parts).map("".join)


def injected() -> bool:
    """True if a payload ran: the sentinel it sets is in `builtins`."""
    return hasattr(builtins, SENTINEL)


# PEP 263: a comment on line 1 or 2 matching this sets the encoding the file is read with.
CODING_DECLARATION = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def comment_text(escaped: str) -> str:
    """The text an escaped comment stands for: its Python escapes undone."""
    value = ast.literal_eval('"' + escaped.replace('"', '\\"') + '"')
    assert isinstance(value, str)
    return value
