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
from app.models.learning import (
    ModuleProgress,
    QuizAttempt,
    ReadinessAssessment,
    ReflectionNote,
    StepProgress,
)
from app.models.sessions import LoginThrottle, UserSession

__all__ = [
    "Invitation",
    "InvitationPurpose",
    "LoginThrottle",
    "ModuleProgress",
    "Membership",
    "MunicipalRole",
    "Municipality",
    "PasswordReset",
    "QuizAttempt",
    "ReadinessAssessment",
    "ReflectionNote",
    "SiteRole",
    "StepProgress",
    "User",
    "UserSession",
]
