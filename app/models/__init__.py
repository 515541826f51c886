"""SQLAlchemy models, one module per area; imported here so Alembic sees every table."""

from app.models.accounts import (
    Invitation,
    InvitationPurpose,
    Membership,
    Municipality,
    MunicipalRole,
    PasswordReset,
    RecoveryCode,
    SiteRole,
    User,
)
from app.models.cohorts import (
    Cohort,
    CohortMember,
    CohortModule,
    CohortShare,
    CohortTrainer,
)
from app.models.learning import (
    ModuleProgress,
    QuizAttempt,
    ReadinessAssessment,
    ReflectionNote,
    StepProgress,
)
from app.models.sessions import LoginThrottle, UserSession
from app.models.strategy import (
    AuditEvent,
    Strategy,
    StrategyStatus,
    Worksheet,
    WorksheetDraft,
    WorksheetRevision,
)

__all__ = [
    "Cohort",
    "CohortMember",
    "CohortModule",
    "CohortShare",
    "CohortTrainer",
    "AuditEvent",
    "Strategy",
    "StrategyStatus",
    "Worksheet",
    "WorksheetDraft",
    "WorksheetRevision",
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
    "RecoveryCode",
    "ReflectionNote",
    "SiteRole",
    "StepProgress",
    "User",
    "UserSession",
]
