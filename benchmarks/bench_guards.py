"""Per-event cost of a compiled `expr:` guard against the same guard written in Python.

Two generated machines, identical but for the guard; the Python guard is registered as a
plain function. Also shown: the dynamic path (StateMachine.from_yaml), which interprets
the expression. Run `python benchmarks/bench_guards.py [--quick]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _timing import import_path, paired  # noqa: E402

from pystator import StateMachine  # noqa: E402
from pystator.generator.pipeline import generate  # noqa: E402

MACHINE = """\
meta: {{machine_name: {name}}}
states:
  - {{name: OPEN, type: initial}}
  - {{name: FILLED, type: terminal}}
transitions:
  - trigger: fill
    source: OPEN
    dest: FILLED
    guards: [{guard}]
"""


def build(name: str, guard: str, directory: Path) -> tuple[Any, Path]:
    source = directory / f"{name}.yaml"
    source.write_text(MACHINE.format(name=name, guard=guard), encoding="utf-8")
    result = generate(source)
    path = directory / f"{name}_module.py"
    path.write_text(result.text, encoding="utf-8")
    return import_path(path, f"{name}_module"), source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (smoke test)")
    args = parser.parse_args()
    number, repeat = (500, 3) if args.quick else (50_000, 15)
    directory = Path(tempfile.mkdtemp())
    expr_module, expr_source = build("expr_guarded", "{expr: 'qty >= 10'}", directory)
    python_module, _ = build("python_guarded", "enough", directory)

    def enough(ctx: Mapping[str, Any]) -> bool:
        return bool(ctx["qty"] >= 10)

    compiled = expr_module.ExprGuardedMachine()
    handwritten = python_module.PythonGuardedMachine()
    handwritten.guard("enough")(enough)
    dynamic = StateMachine.from_yaml(expr_source)
    ctx = {"qty": 12}
    assert compiled.process("OPEN", "fill", ctx).success
    assert handwritten.process("OPEN", "fill", ctx).success
    assert dynamic.process("OPEN", "fill", ctx).success

    c, h = paired(
        lambda: compiled.process("OPEN", "fill", ctx),
        lambda: handwritten.process("OPEN", "fill", ctx),
        number,
        repeat,
    )
    d, h2 = paired(
        lambda: dynamic.process("OPEN", "fill", ctx),
        lambda: handwritten.process("OPEN", "fill", ctx),
        number,
        repeat,
    )
    median = statistics.median
    print(f"guarded process(), medians of {repeat} paired runs x {number} iterations (ns)")
    print(f"{'measure':<34}{'ns':>8}{'ratio':>8}")
    print(f"{'python guard function (baseline)':<34}{median(h):>8.0f}{1:>7.2f}x")
    ratio = median([a / b for a, b in zip(c, h, strict=True)])
    print(f"{'compiled expr guard':<34}{median(c):>8.0f}{ratio:>7.2f}x")
    ratio = median([a / b for a, b in zip(d, h2, strict=True)])
    print(f"{'interpreted expr guard (dynamic)':<34}{median(d):>8.0f}{ratio:>7.2f}x")


if __name__ == "__main__":
    main()
