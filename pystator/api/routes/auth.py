"""Auth: `GET /auth/me`, who the bearer token says the caller is."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pystator.api.models import Me

router = APIRouter(tags=["auth"])


@router.get("/auth/me", response_model=Me)
def me(request: Request) -> Me:
    found = request.app.state.auth.claims(request)
    if found is None:
        return Me(authenticated=False)
    return Me(authenticated=True, subject=found.get("sub"), claims=found)
