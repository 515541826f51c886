"""Trainer cohorts: a group of participants working through assigned modules together."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import Municipality, User
from app.models.base import UTCDateTime, utcnow


class Cohort(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # A short code people can type, also used in the join link. Unique, random.
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    join_until: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    trainers: Mapped[list[CohortTrainer]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )
    modules: Mapped[list[CohortModule]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="CohortModule.position"
    )
    members: WriteOnlyMapped[CohortMember] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def module_keys(self) -> list[str]:
        return [item.module_key for item in self.modules]

    def is_open_for_joining(self, now: datetime) -> bool:
        return self.closed_at is None and now < self.join_until


class CohortTrainer(db.Model):
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)

    cohort: Mapped[Cohort] = relationship(back_populates="trainers")
    user: Mapped[User] = relationship()


class CohortModule(db.Model):
    __table_args__ = (UniqueConstraint("cohort_id", "module_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    module_key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    cohort: Mapped[Cohort] = relationship(back_populates="modules")


class CohortMember(db.Model):
    """A participant, with the municipality they said they work for. This is reporting only:
    it grants nothing in that municipality's workspace."""

    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="SET NULL")
    )
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship(back_populates="members")
    user: Mapped[User] = relationship()
    municipality: Mapped[Municipality | None] = relationship()


class CohortShare(db.Model):
    """A municipality lets the trainers of one cohort read its strategy workspace."""

    __table_args__ = (UniqueConstraint("cohort_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
