"""Two-factor sign-in with TOTP (pyotp) and hashed single-use recovery codes.

Required for administrators and trainers, offered to everyone (SECURITY.md decision 1).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app, redirect, session, url_for
from sqlalchemy import delete, select

from app.extensions import db
from app.models import RecoveryCode, SiteRole, User
from app.models.base import utcnow

ISSUER = "Strong Cities learning"
PENDING = "second_factor_pending"
PENDING_SECONDS = 300
RECOVERY_CODES = 10
STAFF_ROLES = (SiteRole.ADMIN, SiteRole.TRAINER)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_qr(secret: str, email: str) -> str:
    """A QR code of the otpauth URI, as a data: URI an <img> can show under our CSP."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=4)


def verify_code(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step the code belongs to, if it is valid and newer than the last one used."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time())
    for drift in (-1, 0, 1):  # one step either side for clocks that differ a little
        step = now // totp.interval + drift
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").lower().encode()).hexdigest()


def issue_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash(raw)))
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    row = db.session.execute(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code.strip()),
            RecoveryCode.used_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def check_second_factor(user: User, code: str) -> bool:
    """A fresh TOTP code, or an unused recovery code."""
    step = verify_code(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        return True
    return use_recovery_code(user, code)


def enable(user: User, secret: str) -> list[str]:
    user.totp_secret = secret
    user.totp_last_step = None
    return issue_recovery_codes(user)


def disable(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def must_enrol(user) -> bool:
    return (
        current_app.config["REQUIRE_STAFF_TWO_FACTOR"]
        and user.is_authenticated
        and user.site_role in STAFF_ROLES
        and not user.totp_secret
    )


def must_enrol_if_disabled(user) -> bool:
    """Staff may not turn two-factor sign-in off where the site requires it of them."""
    return current_app.config["REQUIRE_STAFF_TWO_FACTOR"] and user.site_role in STAFF_ROLES


def ask_for_second_factor(user: User, next_url: str | None):
    """The password was right; the session is not signed in until the second factor is."""
    session[PENDING] = {"user_id": user.id, "at": int(time.time()), "next": next_url or ""}
    return redirect(url_for("auth.second_factor"))
