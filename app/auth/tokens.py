"""Random single-use tokens for links; only their SHA-256 digest is ever stored."""

from __future__ import annotations

import secrets

from app.auth.sessions import token_digest


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


__all__ = ["new_token", "token_digest"]
