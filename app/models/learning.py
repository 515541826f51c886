"""What a participant has read, attempted and noted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class StepProgress(db.Model):
    """A step a person has opened (content keys such as `mayors/role/why-the-mayor`)."""

    __table_args__ = (UniqueConstraint("user_id", "step_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    step_key: Mapped[str] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModuleProgress(db.Model):
    """Stored per module so that pages and dashboards need no recomputation."""

    __table_args__ = (UniqueConstraint("user_id", "module_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    module_key: Mapped[str] = mapped_column(String(200))
    steps_seen: Mapped[int] = mapped_column(default=0)
    last_step_key: Mapped[str | None] = mapped_column(String(200))
    quiz_passed: Mapped[bool] = mapped_column(default=False)
    best_score: Mapped[int | None]
    latest_score: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuizAttempt(db.Model):
    """One attempt at a module's quiz: the order it was shown in, the answers, the score."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    module_key: Mapped[str] = mapped_column(String(200), index=True)
    # [[question_id, [option_id, ...]], ...] as shown, so a reload shows the same order.
    layout: Mapped[list] = mapped_column(JSON)
    answers: Mapped[dict | None] = mapped_column(JSON)  # {question_id: [option_id, ...]}
    correct_count: Mapped[int | None]
    question_count: Mapped[int]
    score: Mapped[int | None]  # percent
    passed: Mapped[bool | None]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReadinessAssessment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="SET NULL")
    )
    ratings: Mapped[dict] = mapped_column(JSON)  # {statement_id: 1..5}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReflectionNote(db.Model):
    """A private answer to one of a module's reflection prompts."""

    __table_args__ = (UniqueConstraint("user_id", "module_key", "prompt_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    module_key: Mapped[str] = mapped_column(String(200))
    prompt_number: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
