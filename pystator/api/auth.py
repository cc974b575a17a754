"""Auth: optional JWT bearer tokens (HS256); when a secret is configured, every API
request needs a valid token, and `/api/v1/auth/me` shows its claims."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request


class Authenticator:
    """Checks `Authorization: Bearer <jwt>` against `secret`; does nothing without one."""

    def __init__(self, secret: str | None) -> None:
        self.secret = secret

    def require(self, request: Request) -> None:
        if not self.secret:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(
                401,
                "a bearer token is required: send `Authorization: Bearer <JWT>`",
                headers={"WWW-Authenticate": "Bearer"},
            )
        import jwt

        try:
            claims = jwt.decode(
                token.strip(),
                self.secret,
                algorithms=["HS256"],
                options={"require": ["sub"]},
            )
        except jwt.PyJWTError as exc:
            raise HTTPException(
                401, f"invalid bearer token: {exc}", headers={"WWW-Authenticate": "Bearer"}
            ) from None
        request.state.claims = claims

    def claims(self, request: Request) -> dict[str, Any] | None:
        found = getattr(request.state, "claims", None)
        return dict(found) if isinstance(found, dict) else None
