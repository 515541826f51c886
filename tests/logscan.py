"""T-LOG-2: every log record of the whole test run is kept and, at the end, searched for the
secrets and content the run handled (passwords, session cookies, CSRF tokens, link tokens,
worksheet canaries, email addresses). Any hit fails the run.

Test apps report what they handed out through `watch_response`; the search runs in
`pytest_sessionfinish` (tests/conftest.py).
"""

from __future__ import annotations

import logging
import re
import sys

from flask import g, request

from tests.helpers import PASSWORD

# Loggers whose INFO records matter (access lines, security events, rate-limit notices).
INFO_LOGGERS = ("app", "werkzeug", "flask_limiter", "gunicorn.access")
# Test data that must never be logged, whatever the test: the shared password and the
# canary prefix used for worksheet and personal-data canaries.
FIXED_SECRETS = (PASSWORD, "CANARY-")
# Addresses of the form the tests use (name@example.org); a log line identifies people by id.
EMAIL = re.compile(r"[\w.+-]+@example\.(?:org|com)", re.IGNORECASE)
SHORTEST_WATCHED = 16  # shorter values (ids, numbers) would match by chance


class Collector(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


collector = Collector()
watched: set[str] = set()


def attach() -> None:
    """(Re)attach the collector: Alembic's logging setup replaces the root's handlers."""
    root = logging.getLogger()
    if collector not in root.handlers:
        root.addHandler(collector)
    # Alembic's set-up also adds a console handler; with pytest's -s it would print every
    # INFO record of the tests that follow. pytest's own handlers are subclasses, kept.
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler and handler.stream in (
            sys.stderr,
            sys.__stderr__,
        ):
            root.removeHandler(handler)
    for name in INFO_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)


def watch_response(response):
    """after_request hook for test apps: remember every secret this response handed out."""
    for header in response.headers.getlist("Set-Cookie"):
        value = header.split(";", 1)[0].partition("=")[2]
        watched.add(value)
    watched.add(g.get("csrf_token") or "")
    watched.add((request.view_args or {}).get("token") or "")
    return response


def hits(lines: list[str], handed_out: set[str]) -> list[tuple[str, str]]:
    secrets = {value for value in handed_out if len(value) >= SHORTEST_WATCHED}
    secrets.update(FIXED_SECRETS)
    found = []
    for line in lines:
        found += [(secret[:12] + "…", line[:200]) for secret in secrets if secret in line]
        found += [(match, line[:200]) for match in EMAIL.findall(line)]
    return found


def report() -> tuple[str, list[tuple[str, str]]]:
    found = hits(collector.lines, watched)
    secrets = len({value for value in watched if len(value) >= SHORTEST_WATCHED})
    summary = (
        f"T-LOG-2: {len(collector.lines)} log records scanned for "
        f"{secrets + len(FIXED_SECRETS)} secrets and email addresses; {len(found)} hits"
    )
    return summary, found
