"""The escaping functions: for any text, each context holds it inertly and faithfully."""

from __future__ import annotations

import ast
import io
import tokenize
import warnings

import black
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pystator.generator import escape
from pystator.generator.emit import BLACK_MODE
from tests.generator.hostile import CODING_DECLARATION, comment_text, hostile_text

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _compile(source: str) -> ast.Module:
    """Parse and compile `source` with warnings (an invalid escape, say) as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(source, "<generated>", "exec")
        return ast.parse(source)


def _is_one_clean_line(text: str) -> bool:
    return (
        not any(char in LINE_BREAKS or char == "\x00" for char in text)
        and len(text.splitlines()) <= 1
        and text.encode("utf-8") is not None
    )


@settings(max_examples=300)
@given(hostile_text())
def test_literal_evaluates_to_the_text_on_one_encodable_line(text: str) -> None:
    literal = escape.literal(text)
    assert _is_one_clean_line(literal)
    tree = _compile(f"x = {literal}\n")
    assert len(tree.body) == 1
    assert ast.literal_eval(literal) == text


@settings(max_examples=300)
@given(hostile_text())
def test_comment_is_one_comment_token_that_shows_the_text(text: str) -> None:
    shown = escape.comment(text)
    assert _is_one_clean_line(shown)
    source = f"# {shown}\nx = 1\n"
    tree = _compile(source)
    assert [type(node) for node in tree.body] == [ast.Assign]
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    assert [token.type for token in tokens[:2]] == [tokenize.COMMENT, tokenize.NL]
    assert comment_text(shown) == text


@settings(max_examples=300)
@given(hostile_text())
def test_comment_never_declares_an_encoding(text: str) -> None:
    assert not CODING_DECLARATION.match(f"# {escape.comment(text)}")
    assert not CODING_DECLARATION.match(f"# from {escape.comment(text)}. DO NOT EDIT.")


@settings(max_examples=300)
@given(hostile_text().filter(bool))
def test_comment_is_left_alone_by_black(text: str) -> None:
    source = f"# {escape.comment(text)}\nx = 1\n"
    assert black.format_str(source, mode=BLACK_MODE) == source


@settings(max_examples=300)
@given(hostile_text())
def test_docstring_is_exactly_the_text(text: str) -> None:
    escaped = escape.docstring(text)
    assert "\x00" not in escaped and escaped.encode("utf-8") is not None
    assert all(char not in escaped for char in LINE_BREAKS if char != "\n")
    tree = _compile(f'"""{escaped}"""\n')
    assert len(tree.body) == 1
    assert ast.get_docstring(tree, clean=False) == text


@settings(max_examples=300)
@given(hostile_text())
def test_docstring_survives_black_at_module_level(text: str) -> None:
    source = f'"""{escape.docstring(text)}"""\n\nx = 1\n'
    tree = _compile(black.format_str(source, mode=BLACK_MODE))
    assert ast.get_docstring(tree, clean=False) == text


@settings(max_examples=300)
@given(hostile_text().filter(lambda text: not text.endswith("\n")))
def test_docstring_without_a_final_line_break_survives_black_in_a_method(text: str) -> None:
    source = f'class C:\n    def f(self) -> None:\n        """{escape.docstring(text)}"""\n'
    tree = _compile(black.format_str(source, mode=BLACK_MODE))
    (method,) = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    assert ast.get_docstring(method, clean=False) == text


def test_docstring_keeps_real_line_breaks_in_text_that_ends_with_one() -> None:
    assert escape.docstring("Title.\n\nBody.\n") == "Title.\n\nBody.\n"
    assert escape.docstring("one\ntwo") == "one\\ntwo"


EDGES = ['"', '""', 'a"', '"a', '""""""', "\\", 'x\\"', "  ", " a \n  b \n", "\n\n", ""]


@given(st.sampled_from(EDGES))
def test_docstring_edges_keep_quotes_backslashes_and_spaces(text: str) -> None:
    tree = _compile(f'def f():\n    """{escape.docstring(text)}"""\n')
    (function,) = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert ast.get_docstring(function, clean=False) == text


def test_docstring_leaves_ordinary_text_as_written() -> None:
    text = "State \"A\" as A\n    indented line\nsay 'hi'\n"
    assert escape.docstring(text) == text


def test_comment_leaves_ordinary_text_as_written() -> None:
    assert escape.comment("expr: amount > 100 and note == 'x'") == (
        "expr: amount > 100 and note == 'x'"
    )


def test_printable_writes_control_characters_as_escapes() -> None:
    assert escape.printable("a\x00b\u2028c\udcffd\te") == "a\\x00b\\u2028c\\udcffd\\te"


BREAKING = [*LINE_BREAKS, "\x00", "\x1f", "\x7f", "\u202e", "\ufeff", "\ud800", "\udcff"]


@pytest.mark.parametrize("char", BREAKING, ids=lambda char: f"U+{ord(char):04X}")
def test_line_breaks_control_characters_and_surrogates_become_escapes(char: str) -> None:
    text = f"a{char}b"
    for escaped in (escape.literal(text), escape.comment(text), escape.docstring(text)):
        assert char not in escaped
        escaped.encode("utf-8")
