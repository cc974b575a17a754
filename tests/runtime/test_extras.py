"""Every missing-extra message tells how to install this pystator, never the index's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pystator.runtime.extras import install_hint
from tests.test_readme import fetches_pystator_by_name_from_the_index, pip_commands

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("extra", ["api", "postgres", "redis", "celery", "recipes"])
def test_the_hint_names_a_checkout_and_a_wheelhouse_install(extra: str) -> None:
    hint = install_hint(extra)
    commands = [c for text in re.findall(r"pip install [^;(]+", hint) for c in pip_commands(text)]
    assert [c.requirements for c in commands] == [[f".[{extra}]"], [f"pystator[{extra}]"]]
    assert not any(fetches_pystator_by_name_from_the_index(c) for c in commands)


def test_no_message_in_the_package_sends_pip_to_the_index_for_pystator() -> None:
    offenders = []
    for path in (ROOT / "pystator").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"pip install[^\n]*pystator\[", line) and "--find-links" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_a_missing_simpleeval_names_the_recipes_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from pystator import ConfigurationError
    from pystator.runtime import expr

    monkeypatch.setitem(__import__("sys").modules, "simpleeval", None)
    with pytest.raises(ConfigurationError, match=re.escape(install_hint("recipes"))):
        expr._evaluator_parts()
