"""Account operations shared by routes and CLI commands; they flush, callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from app.auth import throttle
from app.auth.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from app.auth.sessions import end_sessions_of
from app.auth.tokens import new_token, token_digest
from app.extensions import db
from app.models import (
    Invitation,
    InvitationPurpose,
    Membership,
    Municipality,
    MunicipalRole,
    PasswordReset,
    SiteRole,
    User,
)
from app.models.base import utcnow


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def has_accounts() -> bool:
    return db.session.execute(select(func.count(User.id))).scalar_one() > 0


@dataclass(frozen=True)
class SignInResult:
    user: User | None = None
    refusal: throttle.Refusal | None = None


def sign_in(email: str, password: str) -> SignInResult:
    """Check a sign-in attempt against the throttle and the stored hash."""
    refusal = throttle.check(email)
    if refusal is not None:
        return SignInResult(refusal=refusal)
    user = find_user_by_email(email)
    # Verify against a dummy hash for unknown accounts so both take the same time.
    valid = verify_password(user.password_hash if user else dummy_hash(), password)
    if not valid or user is None or not user.active:
        return SignInResult(refusal=throttle.record_failure(email))
    throttle.clear(email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return SignInResult(user=user)


def issue_setup_link_token() -> str | None:
    """A fresh one-time token for creating the first administrator, or None once one exists."""
    if has_accounts():
        return None
    db.session.execute(delete(Invitation).where(Invitation.purpose == InvitationPurpose.SETUP))
    token, digest = new_token()
    db.session.add(
        Invitation(
            token_hash=digest,
            purpose=InvitationPurpose.SETUP,
            site_role=SiteRole.ADMIN,
            expires_at=utcnow() + current_app.config["SETUP_LINK_LIFETIME"],
        )
    )
    db.session.flush()
    return token


def create_invitation(
    *,
    created_by: User,
    email: str,
    site_role: SiteRole = SiteRole.MEMBER,
    municipality: Municipality | None = None,
    municipal_role: MunicipalRole | None = None,
    lifetime: timedelta | None = None,
) -> str:
    token, digest = new_token()
    db.session.add(
        Invitation(
            token_hash=digest,
            email=normalise_email(email),
            site_role=site_role,
            municipality=municipality,
            municipal_role=municipal_role if municipality else None,
            created_by=created_by,
            expires_at=utcnow() + (lifetime or current_app.config["INVITATION_LIFETIME"]),
        )
    )
    db.session.flush()
    return token


def find_invitation(token: str, purpose: InvitationPurpose) -> Invitation | None:
    if not token:
        return None
    invitation = db.session.execute(
        select(Invitation).where(
            Invitation.token_hash == token_digest(token), Invitation.purpose == purpose
        )
    ).scalar_one_or_none()
    if invitation is None or not invitation.is_usable(utcnow()):
        return None
    return invitation


def create_account(
    email: str, name: str, password: str, locale: str | None, site_role: SiteRole
) -> User:
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        locale=locale or None,
        site_role=site_role,
    )
    db.session.add(user)
    db.session.flush()
    return user


def accept_invitation(invitation: Invitation, user: User) -> None:
    """Give the person the invitation's membership and use the invitation up."""
    if (
        invitation.municipality_id is not None
        and user.membership_in(invitation.municipality_id) is None
    ):
        user.memberships.append(
            Membership(
                municipality_id=invitation.municipality_id,
                role=invitation.municipal_role or MunicipalRole.VIEWER,
            )
        )
    if invitation.site_role != SiteRole.MEMBER and user.site_role == SiteRole.MEMBER:
        user.site_role = invitation.site_role
    invitation.used_at = utcnow()
    db.session.flush()


def change_password(user: User, new_password: str, keep_session_id: int | None) -> int:
    """Set a new password and end every other session; returns how many ended."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    throttle.clear(user.email)
    ended = end_sessions_of(user.id, keep_row_id=keep_session_id)
    db.session.flush()
    return ended


def issue_password_reset(user: User, created_by: User) -> str:
    token, digest = new_token()
    db.session.add(
        PasswordReset(
            token_hash=digest,
            user=user,
            created_by_id=created_by.id,
            created_at=utcnow(),
            expires_at=utcnow() + current_app.config["PASSWORD_RESET_LIFETIME"],
        )
    )
    db.session.flush()
    return token


def find_password_reset(token: str) -> PasswordReset | None:
    if not token:
        return None
    reset = db.session.execute(
        select(PasswordReset).where(PasswordReset.token_hash == token_digest(token))
    ).scalar_one_or_none()
    if reset is None or not reset.is_usable(utcnow()):
        return None
    return reset


def complete_password_reset(reset: PasswordReset, new_password: str) -> None:
    reset.used_at = utcnow()
    change_password(reset.user, new_password, keep_session_id=None)


def account_from_form(form) -> User | None:
    """A member account from a filled NewAccountForm, or None with the reason on the form."""
    if find_user_by_email(form.email.data) is not None:
        form.email.errors.append(
            _(
                "An account with this email address exists. Sign in first, then open the "
                "invitation link again."
            )
        )
        return None
    return create_account(
        form.email.data, form.name.data, form.password.data, form.locale.data, SiteRole.MEMBER
    )
