"""Scaffold: give a handlers module a typed stub for every guard and action a machine names.

libcst inserts only what is missing, so the user's code, comments and formatting stay as written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from pystator.generator import escape, names
from pystator.generator.emit import jinja_env
from pystator.generator.model import LINE_LENGTH, Handler, ModuleModel, build
from pystator.generator.pipeline import class_prefix, compile_path
from pystator.generator.writing import MODULE, TESTS, Inputs, is_generated


class ScaffoldError(Exception):
    """The handlers module cannot be updated; the message says where and why."""


@dataclass(frozen=True, slots=True)
class StaleHandler:
    """A public method of the handlers class that the machine no longer names."""

    name: str
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class ScaffoldResult:
    """What scaffolding would do to the handlers module; `text` is its new content."""

    path: Path
    text: str
    created: bool
    changed: bool
    class_name: str
    added: tuple[str, ...]
    stale: tuple[StaleHandler, ...]


def scaffold(
    machine: str | os.PathLike[str],
    handlers: str | os.PathLike[str],
    *,
    class_name: str | None = None,
    handlers_class: str | None = None,
    display_name: str | None = None,
    module: str | None = None,
) -> ScaffoldResult:
    """Compute the handlers module for `machine`; writes nothing.

    With `module`, the import path of the compiled machine module, the stubs take the
    machine's `<Prefix>Context` from it rather than a `Mapping[str, Any]`.

    Raises CompileError when the machine has errors and ScaffoldError when the handlers
    module cannot be read or parsed, or is not a file scaffolding may edit.
    """
    if module is not None and not all(names.is_identifier(p) for p in module.split(".")):
        raise ScaffoldError(
            f"module {module!r} is not a dotted Python import path, "
            "such as app.machines.order_management."
        )
    path = Path(handlers)
    check_handlers_path(path, machine)
    source_name = display_name or str(machine)
    compiled = compile_path(machine, display_name)
    prefix = class_prefix(compiled, class_name)
    protocols = build(
        compiled.spec,
        source_name=source_name,
        source_hash=compiled.document.source_hash,
        class_name=prefix,
    )
    if module is not None:
        protocols = protocols.with_context_handlers(module)
    target_class = handlers_class or f"{protocols.prefix}Handlers"
    if not target_class.isidentifier():
        raise ScaffoldError(f"handlers class {target_class!r} is not a Python identifier.")
    if not path.exists():
        text = new_module(protocols, target_class, source_name, compiled.spec.name)
        added = tuple(stub.name for stub in protocols.handlers)
        return ScaffoldResult(path, text, True, True, target_class, added, ())
    try:
        original = path.read_bytes().decode("utf-8")  # keeps \r\n line ends as they are
    except (OSError, UnicodeDecodeError) as exc:
        raise ScaffoldError(f"{path}: cannot read it: {exc}.") from None
    text, added, stale = update_module(original, protocols, target_class, str(path))
    return ScaffoldResult(path, text, False, text != original, target_class, added, stale)


def check_handlers_path(path: Path, machine: str | os.PathLike[str]) -> None:
    """Refuse a handlers path that is not the user's own Python module: a file without the
    `.py` suffix, the machine itself, a directory or device, or a module pystator-gen writes."""
    shown = str(path)
    if path.suffix != ".py":
        raise ScaffoldError(
            f"{shown}: --handlers takes a Python module (a .py file); "
            "scaffolding edits nothing else."
        )
    if path in Inputs.of([machine]):
        raise ScaffoldError(f"{shown}: is the machine file itself; give the handlers module.")
    if not path.exists():
        if path.is_symlink():
            raise ScaffoldError(f"{shown}: is a symbolic link to a missing file; fix or remove it.")
        return
    if not path.is_file():
        raise ScaffoldError(f"{shown}: is not a regular file; --handlers takes a .py file.")
    for kind in (MODULE, TESTS):
        if is_generated(path, kind):
            raise ScaffoldError(
                f"{shown}: is a {kind.noun}, rewritten by pystator-gen; "
                "put the handlers in a module of your own."
            )


# -- stub text --------------------------------------------------------------------------


def stub_source(stub: Handler, indent: str, newline: str = "\n", depth: int = 1) -> str:
    """The method's source at column 0; its body is indented by `indent`, and its
    docstring's later lines by `depth + 1` indents, where a class `depth` deep puts them."""
    message = escape.literal(f"{stub.kind} {stub.name!r} is not implemented yet")
    body = len(indent) * (depth + 1)
    text = (
        jinja_env()
        .get_template("stub.py.jinja")
        .render(
            handler=stub,
            indent=indent,
            doc_indent=body,
            message=message,
            # Where the line would be too long, the message goes on a line of its own, as
            # black would write it.
            split=body + len("raise NotImplementedError()") + len(message) > LINE_LENGTH,
        )
    )
    return text.replace("\n", newline)


def new_module(protocols: ModuleModel, class_name: str, source_name: str, machine: str) -> str:
    """A fresh handlers module: a docstring, the imports the stubs need, and the class."""
    import black

    summary = escape.docstring(f"Guards and actions of the '{machine}' machine ({source_name}).")
    quote = '"""'
    lines = [
        f"{quote}{summary}",
        "",
        "`pystator-gen scaffold` adds a stub here for each handler the YAML gains.",
        quote,
        "",
        "from __future__ import annotations",
        "",
        *_import_lines(dict(protocols.handler_imports)),
        "",
        "",
        f"class {class_name}:",
        f'    """Implements {protocols.prefix}Guards and {protocols.prefix}Actions."""',
    ]
    for stub in protocols.handlers:
        lines.append("")
        body = stub_source(stub, "    ", depth=0)
        lines += ["    " + line if line else line for line in body.rstrip("\n").split("\n")]
    return black.format_str("\n".join(lines) + "\n", mode=black.Mode())


def _import_lines(imports: dict[str, str]) -> list[str]:
    by_module: dict[str, list[str]] = {}
    for name, module in imports.items():
        by_module.setdefault(module, []).append(name)
    return [
        f"from {module} import {', '.join(sorted(names))}"
        for module, names in sorted(by_module.items())
    ]


# -- updating an existing module ---------------------------------------------------------


def update_module(
    source: str, protocols: ModuleModel, class_name: str, path: str
) -> tuple[str, tuple[str, ...], tuple[StaleHandler, ...]]:
    """Add missing stubs (and the imports they need) to `source`; change nothing else."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise ScaffoldError(
            f"{path}:{exc.raw_line}:{exc.raw_column + 1}: error: not valid Python, "
            f"so it cannot be updated: {exc.message}"
        ) from None
    config = module.config_for_parsing
    indent = module.default_indent
    newline = module.default_newline
    wanted = {stub.name for stub in protocols.handlers}
    index, found = _find_class(module, class_name)
    stale: tuple[StaleHandler, ...] = ()
    if found is None:
        missing = list(protocols.handlers)
    else:
        if not isinstance(found.body, cst.IndentedBlock):
            raise ScaffoldError(
                f"{path}: class {class_name} has its body on the `class` line; "
                "put it on lines of its own so that stubs can be added."
            )
        defined = _class_names(found.body.body)
        missing = [stub for stub in protocols.handlers if stub.name not in defined]
        stale = _stale(module, found, wanted)
    if not missing:
        return source, (), stale
    stubs = [cst.parse_statement(stub_source(stub, indent, newline), config) for stub in missing]
    stubs = [stub.with_changes(leading_lines=[cst.EmptyLine(indent=False)]) for stub in stubs]
    body: list[cst.BaseStatement] = list(module.body)
    if found is None:
        docstring = f'"""Implements {protocols.prefix}Guards and {protocols.prefix}Actions."""'
        header = f"class {class_name}:{newline}{indent}{docstring}{newline}"
        new_class = cst.parse_statement(header, config)
        assert isinstance(new_class, cst.ClassDef)
        assert isinstance(new_class.body, cst.IndentedBlock)
        new_class = new_class.with_changes(
            leading_lines=[cst.EmptyLine(indent=False)] * 2 if body else [],
            body=new_class.body.with_changes(body=[*new_class.body.body, *stubs]),
        )
        body.append(new_class)
    else:
        assert isinstance(found.body, cst.IndentedBlock)
        body[index] = found.with_changes(
            body=found.body.with_changes(body=[*found.body.body, *stubs])
        )
    imports = dict(protocols.handler_imports)
    body = _with_imports(body, imports, _module_names(module.body), config)
    return module.with_changes(body=body).code, tuple(s.name for s in missing), stale


def _find_class(module: cst.Module, name: str) -> tuple[int, cst.ClassDef | None]:
    for index, statement in enumerate(module.body):
        if isinstance(statement, cst.ClassDef) and statement.name.value == name:
            return index, statement
    return -1, None


def _class_names(statements: Sequence[cst.BaseStatement | cst.BaseSmallStatement]) -> set[str]:
    """Every name a class body defines: methods, and attributes assigned to."""
    names: set[str] = set()
    for statement in statements:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            names.add(statement.name.value)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                names |= _assigned(small)
        elif isinstance(statement, cst.If):
            names |= _class_names(_block(statement.body))
            orelse = statement.orelse
            while orelse is not None:
                names |= _class_names(_block(orelse.body))
                orelse = orelse.orelse if isinstance(orelse, cst.If) else None
    return names


def _block(body: cst.BaseSuite) -> Sequence[cst.BaseStatement | cst.BaseSmallStatement]:
    return body.body


def _assigned(small: cst.BaseSmallStatement) -> set[str]:
    targets: list[cst.BaseExpression] = []
    if isinstance(small, cst.Assign):
        targets = [target.target for target in small.targets]
    elif isinstance(small, cst.AnnAssign | cst.AugAssign):
        targets = [small.target]
    return {target.value for target in targets if isinstance(target, cst.Name)}


def _module_names(statements: Sequence[cst.BaseStatement]) -> set[str]:
    """Names bound at module level (imports, also under `if TYPE_CHECKING:`, defs, assigns)."""
    names = _class_names(statements)
    for statement in statements:
        smalls: list[cst.BaseSmallStatement] = []
        if isinstance(statement, cst.SimpleStatementLine):
            smalls = list(statement.body)
        elif isinstance(statement, cst.If | cst.Try):
            for inner in _block(statement.body):
                if isinstance(inner, cst.SimpleStatementLine):
                    smalls += list(inner.body)
        for small in smalls:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    if isinstance(bound, cst.Name):
                        names.add(bound.value)
                    elif isinstance(bound, cst.Attribute):
                        names.add(cst.Module([]).code_for_node(bound).split(".")[0])
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    if isinstance(bound, cst.Name):
                        names.add(bound.value)
    return names


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _with_imports(
    body: list[cst.BaseStatement],
    imports: dict[str, str],
    bound: set[str],
    config: cst.PartialParserConfig,
) -> list[cst.BaseStatement]:
    """Insert `from module import name` lines for unbound names after the leading imports."""
    missing = {name: module for name, module in imports.items() if name not in bound}
    if not missing:
        return body
    lines = [cst.parse_statement(line, config) for line in _import_lines(missing)]
    last_import = -1
    for index, statement in enumerate(body):
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            break
        if _is_import_line(statement):
            last_import = index
    if last_import >= 0:
        position = last_import + 1
        # isort keeps the standard library apart: a blank line opens a new section.
        if _standard(_imported(body[last_import])) and not all(
            _standard(module) for module in missing.values()
        ):
            lines[0] = lines[0].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    else:
        # No imports yet: put them after the docstring (if any), set off by a blank line.
        position = 1 if body and _is_docstring(body[0]) else 0
        if position:
            lines[0] = lines[0].with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    following = body[position:]
    first = following[0] if following else None
    if isinstance(first, cst.SimpleStatementLine | cst.BaseCompoundStatement) and not (
        first.leading_lines
    ):
        # Set the imports off from the code after them with a blank line.
        following[0] = first.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
    return [*body[:position], *lines, *following]


def _imported(statement: cst.BaseStatement) -> str:
    """The module the import line's first import names."""
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    if isinstance(small, cst.ImportFrom):
        return "." * len(small.relative) + (
            cst.Module([]).code_for_node(small.module) if small.module else ""
        )
    assert isinstance(small, cst.Import)
    return cst.Module([]).code_for_node(small.names[0].name)


def _standard(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def _stale(module: cst.Module, found: cst.ClassDef, wanted: set[str]) -> tuple[StaleHandler, ...]:
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    stale: list[StaleHandler] = []
    assert isinstance(found.body, cst.IndentedBlock)
    for statement in found.body.body:
        if not isinstance(statement, cst.FunctionDef):
            continue
        name = statement.name.value
        if name.startswith("_") or name in wanted:
            continue
        start = positions[statement.name].start
        stale.append(StaleHandler(name, start.line, start.column + 1))
    return tuple(stale)
