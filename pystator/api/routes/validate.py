"""Validate: `POST /validate` compiles machine YAML and answers with its diagnostics and,
when it compiles, a summary of the machine."""

from __future__ import annotations

from fastapi import APIRouter

from pystator.api import views
from pystator.api.models import ValidateIn, ValidateOut
from pystator.db.catalog import compile_yaml
from pystator.generator.diagnostics import CompileError

router = APIRouter(tags=["compiler"])


@router.post("/validate", response_model=ValidateOut)
def validate(body: ValidateIn) -> ValidateOut:
    try:
        compiled = compile_yaml(body.yaml)
    except CompileError as exc:
        return ValidateOut(valid=False, diagnostics=[views.diagnostic(d) for d in exc.diagnostics])
    return ValidateOut(
        valid=True,
        diagnostics=[views.diagnostic(d) for d in compiled.warnings],
        machine=views.summary(compiled.spec),
    )
