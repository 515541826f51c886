"""SQLAlchemy models, one module per area; imported here so Alembic sees every table."""

from app.models.accounts import (
    Invitation,
    InvitationPurpose,
    Membership,
    Municipality,
    MunicipalRole,
    PasswordReset,
    SiteRole,
    User,
)
from app.models.sessions import LoginThrottle, UserSession

__all__ = [
    "Invitation",
    "InvitationPurpose",
    "LoginThrottle",
    "Membership",
    "MunicipalRole",
    "Municipality",
    "PasswordReset",
    "SiteRole",
    "User",
    "UserSession",
]
