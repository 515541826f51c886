"""Keeps one-time tokens out of access logs (setup, invitation and reset links)."""

from __future__ import annotations

import logging
import re

TOKEN_PATH = re.compile(r"/(setup|invite|reset)/[A-Za-z0-9_\-]+")


def redact(text: str) -> str:
    """The text with the token of any setup, invitation or reset link replaced."""
    return TOKEN_PATH.sub(r"/\1/[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        record.msg = redact(str(record.msg))
        return True


def install() -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
