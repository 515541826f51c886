"""Security headers on every response (SECURITY.md section 6)."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def set_security_headers(response):
    headers = response.headers
    https = current_app.config["HTTPS"]
    headers["Content-Security-Policy"] = CSP + ("; upgrade-insecure-requests" if https else "")
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if request.endpoint != "static" and current_user and current_user.is_authenticated:
        # Pages of a signed-in person never sit in a shared computer's cache.
        headers["Cache-Control"] = "no-store"
    return response
