"""README's diagnostics are the compiler's: its code table lists every code the package
defines, and its example output is what `pystator-gen validate` prints for that mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pystator.generator import cli
from pystator.generator.diagnostics import CODES
from pystator.generator.settings import parse_settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| (PS\d{3}) \| (\w+) \| (.+) \|$", re.MULTILINE)


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end >= 0 else None]


def test_the_code_table_lists_every_code_in_order_with_its_meaning() -> None:
    rows = ROW.findall(section("Diagnostics"))
    assert [(code, meaning) for code, _, meaning in rows] == list(CODES.items())


def test_the_code_table_names_no_code_twice() -> None:
    listed = [code for code, _, _ in ROW.findall(README)]
    assert len(listed) == len(set(listed))


def test_the_example_mistakes_print_what_readme_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine = re.search(r"```yaml\n(.*?)```", section("A machine"), re.DOTALL)
    shown = re.search(r"```text\n(.*?)```", section("Compile it"), re.DOTALL)
    assert machine is not None and shown is not None
    broken = machine.group(1).replace("dest: FILLED", "dest: FILED")
    broken = broken.replace("    guards:", "    gaurds:")
    (tmp_path / "machines").mkdir()
    (tmp_path / "machines" / "order.yaml").write_text(broken, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.main, ["validate", "machines/order.yaml"])
    assert result.exit_code == 1
    assert result.stderr == shown.group(1)


def test_the_settings_example_is_valid_settings() -> None:
    example = re.search(r"```toml\n(\[tool\.pystator-gen\]\n.*?)```", README, re.DOTALL)
    assert example is not None
    settings = parse_settings(example.group(1))
    assert settings.severity == {"PS301": "error", "PS307": "off"}
    assert settings.limits == {"max_bytes": 67108864, "max_nodes": 5000000}
