"""Validating a machine and reading its diagnostics (`pystator.config.validator`).

`validate_config` runs the whole front end; the checks live in `pystator.generator.check`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pystator.generator.diagnostics import CompileError, Diagnostic
from pystator.generator.load import load_data, load_file
from pystator.generator.pipeline import compile_document

__all__ = ["CompileError", "Diagnostic", "validate_config"]


def validate_config(source: Mapping[str, Any] | str | os.PathLike[str]) -> list[Diagnostic]:
    """Every error and warning for a configuration mapping or a machine file (empty: clean)."""
    try:
        document = load_data(source) if isinstance(source, Mapping) else load_file(source)
        return list(compile_document(document).warnings)
    except CompileError as exc:
        return list(exc.diagnostics)
