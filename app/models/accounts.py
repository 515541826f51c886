"""People, the municipalities they belong to, and the links that bring them in."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class SiteRole(enum.StrEnum):
    ADMIN = "admin"
    TRAINER = "trainer"
    MEMBER = "member"


class MunicipalRole(enum.StrEnum):
    COORDINATOR = "coordinator"
    EDITOR = "editor"
    VIEWER = "viewer"


class Municipality(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    region: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="municipality", cascade="all, delete-orphan"
    )


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    site_role: Mapped[SiteRole] = mapped_column(String(16), default=SiteRole.MEMBER)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Two-factor sign-in (TOTP): the shared secret, and the last time step accepted, so that
    # a code works once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.site_role == SiteRole.ADMIN

    @property
    def is_trainer(self) -> bool:
        return self.site_role == SiteRole.TRAINER

    def membership_in(self, municipality_id: int) -> Membership | None:
        return next((m for m in self.memberships if m.municipality_id == municipality_id), None)

    def coordinates(self, municipality_id: int) -> bool:
        membership = self.membership_in(municipality_id)
        return membership is not None and membership.role == MunicipalRole.COORDINATOR


class RecoveryCode(db.Model):
    """A single-use code for signing in without the authenticator; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Membership(db.Model):
    __table_args__ = (UniqueConstraint("user_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MunicipalRole] = mapped_column(String(16), default=MunicipalRole.VIEWER)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    municipality: Mapped[Municipality] = relationship(back_populates="memberships")


class InvitationPurpose(enum.StrEnum):
    INVITE = "invite"
    SETUP = "setup"  # the one-time link that creates the first administrator


class Invitation(db.Model):
    """A single-use link that lets a new person create an account with a preset role.

    Only the SHA-256 of the token is stored, so a database leak does not leak usable links.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[InvitationPurpose] = mapped_column(String(8), default=InvitationPurpose.INVITE)
    email: Mapped[str | None] = mapped_column(String(254))
    site_role: Mapped[SiteRole] = mapped_column(String(16), default=SiteRole.MEMBER)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE")
    )
    municipal_role: Mapped[MunicipalRole | None] = mapped_column(String(16))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class PasswordReset(db.Model):
    """A single-use, expiring link an administrator issues so someone can set a new password."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: datetime) -> bool:
        # A password change since the link was issued makes the link worthless.
        return (
            self.used_at is None
            and now < self.expires_at
            and self.user.password_changed_at <= self.created_at
        )
