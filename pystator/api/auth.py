"""Auth: JWT bearer tokens (HS256). Every API request needs a valid token unless the
operator chose to serve without authentication; `/api/v1/auth/me` shows the claims."""

from __future__ import annotations

import logging
import sys
from typing import Any

from fastapi import HTTPException, Request

from pystator.db.config import ApiSettings

logger = logging.getLogger("pystator.api")

#: HS256 keys shorter than its 256-bit output can be brute-forced from one token.
MIN_SECRET_BYTES = 32

_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class AuthSetupError(ValueError):
    """The settings leave the API's authentication undecided or weak; it does not start."""


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
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise HTTPException(
                401,
                "invalid bearer token: its `sub` claim must name who sends the request",
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.state.claims = claims

    def claims(self, request: Request) -> dict[str, Any] | None:
        found = getattr(request.state, "claims", None)
        return dict(found) if isinstance(found, dict) else None


def authenticator(settings: ApiSettings) -> Authenticator:
    """The API's authenticator: a secret of MIN_SECRET_BYTES or more, or no authentication
    when `settings.no_auth` says so on purpose (announced on stderr and in the log).

    Raises AuthSetupError, saying how to fix it, for anything else.
    """
    secret = settings.auth_secret if settings.auth_enabled else None
    if secret is not None and settings.no_auth:
        raise AuthSetupError(
            "both an auth secret (PYSTATOR_AUTH_SECRET) and no_auth (--no-auth, "
            "PYSTATOR_NO_AUTH) are set; keep the secret to require tokens, or remove it to "
            "serve without authentication"
        )
    if secret is None:
        if not settings.no_auth:
            raise AuthSetupError(
                "the API has no auth secret and would serve every machine and entity to "
                "anyone who can reach it: set PYSTATOR_AUTH_SECRET (or auth_secret in "
                f"pystator.cfg) to {MIN_SECRET_BYTES} or more random bytes, e.g. the output "
                f"of `{_GENERATE}`, or serve without authentication on purpose with "
                "`pystator api --no-auth` (PYSTATOR_NO_AUTH=1)"
            )
        warning = (
            "serving WITHOUT authentication (no_auth): anyone who can reach this server can "
            "read, change and delete every machine and entity"
        )
        logger.warning(warning)
        print(f"pystator: WARNING: {warning}", file=sys.stderr, flush=True)
        return Authenticator(None)
    size = len(secret.encode("utf-8"))
    if size < MIN_SECRET_BYTES:
        raise AuthSetupError(
            f"the auth secret (PYSTATOR_AUTH_SECRET) is {size} bytes long; HS256 needs at "
            f"least {MIN_SECRET_BYTES}: generate one with `{_GENERATE}`"
        )
    return Authenticator(secret)
