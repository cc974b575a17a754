"""Shared fixtures: build machines from YAML text, and import generated modules."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pystator import StateMachine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented YAML text to a file and return its path."""

    def write(text: str, name: str = "machine.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def machine_from(
    write_yaml: Callable[..., Path],
) -> Callable[[str], StateMachine[str, str, dict[str, Any]]]:
    def build(text: str) -> StateMachine[str, str, dict[str, Any]]:
        return StateMachine.from_yaml(write_yaml(text))

    return build


def import_module_text(text: str, directory: Path, name: str | None = None) -> ModuleType:
    """Write module text to `directory` and import it under a unique name."""
    module_name = name or f"generated_{uuid.uuid4().hex}"
    path = directory / f"{module_name}.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def generated(tmp_path: Path) -> Iterator[Callable[[Path], ModuleType]]:
    """Compile a YAML file with the real pipeline and import the module it produces."""
    from pystator.generator.pipeline import generate

    names: list[str] = []

    def build(path: Path) -> ModuleType:
        result = generate(path)
        module = import_module_text(result.text, tmp_path)
        names.append(module.__name__)
        return module

    yield build
    for name in names:
        sys.modules.pop(name, None)
