"""Layout: write the generated module's data statements directly in black's style.

Black formats the code of a generated module; the large, regular data statements (specs,
tables, constants) are built here as expression trees and laid out in one pass, one
element per line with magic trailing commas where a line would be too long, which black
leaves exactly as it is. Nothing is parsed: each node knows its one-line form, computed
once, so laying out a machine costs time in proportion to its output.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pystator.generator import escape

LINE_LENGTH = 88
INDENT = "    "


@dataclass(slots=True, eq=False)
class Expr:
    """An expression to lay out, `width` characters long on one line.

    `flat` is its one-line source, kept only while it could fit on a line (a bracketed
    expression wider than that is always split). A bracketed expression also has an
    `opener`, its `items` as (prefix, element) pairs (a prefix such as `name=` or
    `"key": `) and a `closer`; a string literal keeps its `value`, which a long string is
    cut from. Atoms are neither.
    """

    flat: str | None
    width: int
    opener: str = ""
    items: Sequence[tuple[str, Expr]] = ()
    closer: str = ""
    value: str | None = None


def atom(text: str) -> Expr:
    """Source that is never split: a name, a number, `a.b / 1000`."""
    return Expr(text, len(text))


@functools.lru_cache(maxsize=1 << 16)
def string(value: str) -> Expr:
    """A string literal in black's quotes; a long one may be cut into pieces."""
    text = black_string(value)
    return Expr(text, len(text), value=value)


def bracket(opener: str, items: Iterable[tuple[str, Expr]], closer: str) -> Expr:
    """`opener item, item closer`, e.g. a call `f(` ... `)` or a dict `{` ... `}`."""
    listed = list(items)
    width = len(opener) + len(closer) + 2 * len(listed) - 2
    width += sum(len(prefix) + item.width for prefix, item in listed)
    flat = None
    if width <= LINE_LENGTH:
        flat = opener + ", ".join(prefix + str(item.flat) for prefix, item in listed) + closer
    return Expr(flat, width, opener, listed, closer)


def call(callee: str, arguments: Iterable[tuple[str, Expr]]) -> Expr:
    """`callee(arguments)`; each argument's prefix is "" or `keyword=`."""
    listed = list(arguments)
    return bracket(f"{callee}(", listed, ")") if listed else atom(f"{callee}()")


def tuple_(items: Iterable[Expr]) -> Expr:
    """A tuple display: `()`, `(x,)` or `(x, y)`."""
    listed = [("", item) for item in items]
    if not listed:
        return atom("()")
    if len(listed) == 1:
        item = listed[0][1]
        flat = None if item.flat is None else f"({item.flat},)"
        return Expr(flat, item.width + 3, "(", listed, ")")
    return bracket("(", listed, ")")


def list_(items: Iterable[Expr]) -> Expr:
    listed = [("", item) for item in items]
    return bracket("[", listed, "]") if listed else atom("[]")


def dict_(pairs: Iterable[tuple[Expr, Expr]]) -> Expr:
    listed = [(f"{key.flat}: ", value) for key, value in pairs]
    return bracket("{", listed, "}") if listed else atom("{}")


def layout_assignment(target: str, expression: Expr, depth: int = 0) -> list[str]:
    """The lines of `target = expression` as black would leave them (`target` may be
    annotated), indented `depth` levels."""
    return _lines(expression, depth, f"{target} = ", "")


def layout_statement(keyword: str, expression: Expr, depth: int) -> list[str]:
    """The lines of `keyword expression` (e.g. `return ...`) as black would leave them."""
    return _lines(expression, depth, f"{keyword} ", "")


def from_source(expression: str) -> Expr:
    """The tree of an expression given as source (names, literals, calls, displays)."""
    return _from_ast(ast.parse(expression, mode="eval").body)


def _from_ast(node: ast.expr) -> Expr:
    if isinstance(node, ast.Constant):
        return string(node.value) if isinstance(node.value, str) else atom(repr(node.value))
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return bracket(f"{node.value.id}[", [("", _from_ast(e)) for e in elements], "]")
    if isinstance(node, ast.Tuple):
        return tuple_(_from_ast(e) for e in node.elts)
    if isinstance(node, ast.List):
        return list_(_from_ast(e) for e in node.elts)
    if isinstance(node, ast.Name):
        return atom(node.id)
    raise ValueError(f"cannot lay out {type(node).__name__}")


def black_string(value: str) -> str:
    """A string literal quoted the way black normalises it: double quotes unless that
    would need more escapes than single quotes."""
    text = escape.literal(value)
    if text[0] == '"':
        return text
    body = text[1:-1]
    if '"' not in body:
        return f'"{body}"'
    # repr() escapes single quotes only when the string holds both kinds.
    unescaped = body.replace("\\'", "'")
    escaped = _escape_double(unescaped)
    if escaped.count('\\"') > body.count("\\'"):
        return text
    return f'"{escaped}"'


def _escape_double(body: str) -> str:
    out = []
    backslashes = 0
    for char in body:
        if char == '"' and backslashes % 2 == 0:
            out.append('\\"')
        else:
            out.append(char)
        backslashes = backslashes + 1 if char == "\\" else 0
    return "".join(out)


def _parts(node: Expr, width: int) -> tuple[str, Sequence[tuple[str, Expr]], str] | None:
    """(opener, [(prefix, element)], closer) for a node that can be split, else None."""
    if node.value is not None:
        pieces = _string_pieces(node.value, width)
        return ("(", [("", string(piece)) for piece in pieces], ")") if pieces else None
    if node.items:
        return node.opener, node.items, node.closer
    return None


def _lines(node: Expr, depth: int, prefix: str, suffix: str) -> list[str]:
    pad = INDENT * depth
    piece = node.value is not None and not prefix and not suffix
    if node.flat is not None and (
        len(pad) + len(prefix) + node.width + len(suffix) <= LINE_LENGTH or piece
    ):
        # A piece of a split string is never split again.
        return [f"{pad}{prefix}{node.flat}{suffix}"]
    parts = _parts(node, LINE_LENGTH - len(pad) - len(INDENT))
    if parts is None:
        return [f"{pad}{prefix}{node.flat}{suffix}"]
    opener, items, closer = parts
    # The pieces of a long string are one literal: no commas between them.
    separator = "" if node.value is not None else ","
    lines = [f"{pad}{prefix}{opener}"]
    for item_prefix, item in items:
        lines += _lines(item, depth + 1, item_prefix, separator)
    lines.append(f"{pad}{closer}{suffix}")
    return lines


def _string_pieces(text: str, width: int) -> list[str]:
    """`text` cut after spaces into pieces whose literals fit `width`; [] if it cannot be."""
    pieces: list[str] = []
    current: str | None = None
    for word in text.split(" "):
        if current is None:
            current = word
        elif current and len(black_string(f"{current} {word} ")) > width:
            # The space stays at the end of the piece it follows: joined, the pieces are
            # exactly `text`.
            pieces.append(current + " ")
            current = word
        else:
            current = f"{current} {word}"
    pieces.append(current or "")
    pieces = [piece for piece in pieces if piece]
    # One piece too long for its own line gains nothing from parentheses.
    return [] if len(pieces) == 1 and len(black_string(text)) > width else pieces
