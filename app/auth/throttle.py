"""Slows and then locks sign-in for an account name after repeated failures.

A growing delay after 3 failures; after 10, a 15-minute lock that doubles with each further
lock (capped at a day) until a successful sign-in or a password reset clears the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.extensions import db
from app.models import LoginThrottle
from app.models.base import utcnow

DELAY_AFTER = 3
LOCK_AFTER = 10
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(hours=24)


@dataclass(frozen=True)
class Refusal:
    until: datetime
    locked: bool  # a lock rather than a short delay


def throttle_key(email: str) -> str:
    return (email or "").strip().casefold()[:254]


def check(email: str) -> Refusal | None:
    """Whether an attempt for this account may reach the password check now."""
    record = db.session.get(LoginThrottle, throttle_key(email))
    if record is None:
        return None
    now = utcnow()
    if record.locked_until and record.locked_until > now:
        return Refusal(record.locked_until, locked=True)
    if record.next_attempt_at and record.next_attempt_at > now:
        return Refusal(record.next_attempt_at, locked=False)
    return None


def record_failure(email: str) -> Refusal | None:
    key = throttle_key(email)
    record = db.session.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0, lock_count=0)
    db.session.add(record)
    now = utcnow()
    record.failures += 1
    if record.failures >= LOCK_AFTER:
        record.lock_count += 1
        record.locked_until = now + min(FIRST_LOCK * 2 ** (record.lock_count - 1), LONGEST_LOCK)
        record.failures = 0
        record.next_attempt_at = None
        return Refusal(record.locked_until, locked=True)
    if record.failures >= DELAY_AFTER:
        record.next_attempt_at = now + timedelta(seconds=2 ** (record.failures - DELAY_AFTER))
    return None


def clear(email: str) -> None:
    record = db.session.get(LoginThrottle, throttle_key(email))
    if record is not None:
        db.session.delete(record)
