"""A municipality's strategy workspace: one record per worksheet section, every save a revision."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User
from app.models.base import UTCDateTime, utcnow


class StrategyStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    ADOPTED = "adopted"


class Strategy(db.Model):
    """The workspace of one municipality."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[StrategyStatus] = mapped_column(String(16), default=StrategyStatus.DRAFT)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Worksheet(db.Model):
    """The current content of one section; `version` rises by one with every save."""

    __table_args__ = (UniqueConstraint("strategy_id", "section_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id", ondelete="CASCADE"))
    section_slug: Mapped[str] = mapped_column(String(80))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()


class WorksheetRevision(db.Model):
    """The content after each successful save. `save_id` makes a retried save idempotent."""

    __table_args__ = (UniqueConstraint("worksheet_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worksheet_id: Mapped[int] = mapped_column(
        ForeignKey("worksheet.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(JSON)
    save_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    restored_from: Mapped[int | None]

    author: Mapped[User | None] = relationship()


class WorksheetDraft(db.Model):
    """A person's text that met a conflicting save, kept on the server until they choose."""

    __table_args__ = (UniqueConstraint("worksheet_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worksheet_id: Mapped[int] = mapped_column(ForeignKey("worksheet.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    base_version: Mapped[int]
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(db.Model):
    """Who changed what in a municipality's workspace. Rows are only ever added."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    section_slug: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_rows_are_never_changed(mapper, connection, target):
    raise PermissionError("audit events are only ever added")
