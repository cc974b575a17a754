"""Layout: write the generated module's data statements directly in black's style.

Black formats the code of a generated module; the large, regular data statements (specs,
tables, constants) are laid out here instead, one element per line with magic trailing
commas, which black leaves exactly as they are. Black takes three times as long over a
module of 1,365 nested states, most of whose lines are data.
"""

from __future__ import annotations

import ast

LINE_LENGTH = 88
INDENT = "    "


def layout_assignment(target: str, expression: str) -> str:
    """`target = expression` laid out as black would leave it (`target` may be annotated)."""
    tree = ast.parse(expression, mode="eval").body
    return "\n".join(_lines(tree, 0, f"{target} = ", ""))


def layout_statements(source: str) -> str:
    """Lay out every top-level assignment of `source`, keeping its blank lines."""
    module = ast.parse(source)
    out: list[str] = []
    previous_end: int | None = None
    for statement in module.body:
        if previous_end is not None and statement.lineno > previous_end + 1:
            out.append("")
        if isinstance(statement, ast.AnnAssign) and statement.value is not None:
            head = f"{ast.unparse(statement.target)}: {ast.unparse(statement.annotation)} = "
            out += _lines(statement.value, 0, head, "")
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            out += _lines(statement.value, 0, f"{ast.unparse(statement.targets[0])} = ", "")
        else:
            raise ValueError(f"cannot lay out a {type(statement).__name__} statement")
        previous_end = statement.end_lineno or statement.lineno
    return "\n".join(out) + "\n"


def black_string(value: str) -> str:
    """A string literal quoted the way black normalises it: double quotes unless that
    would need more escapes than single quotes."""
    text = repr(value)
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


def _one_line(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str):
            return black_string(node.value)
        return repr(node.value)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_one_line(node.value)}.{node.attr}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return f"{_one_line(node.left)} / {_one_line(node.right)}"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return f"-{_one_line(node.operand)}"
    if isinstance(node, ast.Call):
        parts = [_one_line(arg) for arg in node.args]
        parts += [f"{kw.arg}={_one_line(kw.value)}" for kw in node.keywords]
        return f"{_one_line(node.func)}({', '.join(parts)})"
    if isinstance(node, ast.Tuple):
        items = [_one_line(e) for e in node.elts]
        if len(items) == 1:
            return f"({items[0]},)"
        return f"({', '.join(items)})"
    if isinstance(node, ast.List):
        return f"[{', '.join(_one_line(e) for e in node.elts)}]"
    if isinstance(node, ast.Dict):
        pairs = []
        for key, value in zip(node.keys, node.values, strict=True):
            assert key is not None, "dict unpacking is never generated"
            pairs.append(f"{_one_line(key)}: {_one_line(value)}")
        return "{" + ", ".join(pairs) + "}"
    raise ValueError(f"cannot lay out {type(node).__name__}")


def _parts(node: ast.expr, width: int) -> tuple[str, list[tuple[str, ast.expr]], str] | None:
    """(opener, [(prefix, element)], closer) for a node that can be split, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        pieces = _string_pieces(node.value, width)
        return ("(", [("", ast.Constant(piece)) for piece in pieces], ")") if pieces else None
    if isinstance(node, ast.Call) and (node.args or node.keywords):
        items = [("", arg) for arg in node.args]
        items += [(f"{kw.arg}=", kw.value) for kw in node.keywords]
        return f"{_one_line(node.func)}(", items, ")"
    if isinstance(node, ast.Tuple) and node.elts:
        return "(", [("", e) for e in node.elts], ")"
    if isinstance(node, ast.List) and node.elts:
        return "[", [("", e) for e in node.elts], "]"
    if isinstance(node, ast.Dict) and node.keys:
        items = []
        for key, value in zip(node.keys, node.values, strict=True):
            assert key is not None
            items.append((f"{_one_line(key)}: ", value))
        return "{", items, "}"
    return None


def _lines(node: ast.expr, depth: int, prefix: str, suffix: str) -> list[str]:
    pad = INDENT * depth
    single = f"{pad}{prefix}{_one_line(node)}{suffix}"
    piece = isinstance(node, ast.Constant) and not prefix and not suffix
    if len(single) <= LINE_LENGTH or piece:
        # A piece of a split string is never split again.
        return [single]
    parts = _parts(node, LINE_LENGTH - len(pad) - len(INDENT))
    if parts is None:
        return [single]
    opener, items, closer = parts
    # The pieces of a long string are one literal: no commas between them.
    separator = "" if isinstance(node, ast.Constant) else ","
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
