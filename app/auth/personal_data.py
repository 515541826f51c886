"""A person's own data: everything the site holds about them, as a download, and erasure.

Every column that points at a person is registered here with what erasure does to its rows
(T-DATA-1 fails when one is missing):
- DELETE: the row exists only because of the person (progress, notes, sessions ...);
- DETACH: the row belongs to a municipality or a cohort and stays, no longer linked to anyone,
  so pages show "a former member" (worksheet revisions, audit events, cohorts they created ...).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Column, MetaData, delete, func, select, update

from app.auth import throttle
from app.extensions import db
from app.models import Invitation, LoginThrottle, User
from app.models.base import utcnow
from app.models.classification import COLUMNS, DataClass

FORMAT = "strongcities-personal-data"
FORMAT_VERSION = 1

# Never in a personal download: credentials, and a city's own content, which the city exports.
NOT_EXPORTED = {DataClass.CREDENTIAL, DataClass.MUNICIPAL}


class OnErase(enum.StrEnum):
    DELETE = "delete"
    DETACH = "detach"


@dataclass(frozen=True)
class PersonLink:
    table: str
    column: str
    on_erase: OnErase


D, X = OnErase.DELETE, OnErase.DETACH
LINKS: tuple[PersonLink, ...] = (
    PersonLink("recovery_code", "user_id", D),
    PersonLink("user_session", "user_id", D),
    PersonLink("membership", "user_id", D),
    PersonLink("password_reset", "user_id", D),
    PersonLink("password_reset", "created_by_id", X),
    PersonLink("invitation", "created_by_id", X),
    PersonLink("step_progress", "user_id", D),
    PersonLink("module_progress", "user_id", D),
    PersonLink("quiz_attempt", "user_id", D),
    PersonLink("readiness_assessment", "user_id", D),
    PersonLink("reflection_note", "user_id", D),
    PersonLink("worksheet", "updated_by_id", X),
    PersonLink("worksheet_revision", "author_id", X),
    PersonLink("worksheet_draft", "user_id", D),
    PersonLink("audit_event", "actor_id", X),
    PersonLink("cohort", "created_by_id", X),
    PersonLink("cohort_trainer", "user_id", D),
    PersonLink("cohort_member", "user_id", D),
    PersonLink("cohort_share", "shared_by_id", X),
)


def unclassified_columns(metadata: MetaData) -> list[str]:
    return [
        f"{table.name}.{column.name}"
        for table in metadata.sorted_tables
        for column in table.columns
        if column.name not in COLUMNS.get(table.name, {})
    ]


def links_to_people(metadata: MetaData) -> set[tuple[str, str]]:
    """(table, column) of every column that references a person."""
    return {
        (table.name, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if any(key.column.table.name == "user" for key in column.foreign_keys)
    }


def unregistered_links(metadata: MetaData) -> list[tuple[str, str]]:
    registered = {(link.table, link.column) for link in LINKS}
    return sorted(links_to_people(metadata) - registered)


def _column(link: PersonLink) -> Column:
    return db.metadata.tables[link.table].columns[link.column]


def _exported(table: str) -> list[Column]:
    columns = db.metadata.tables[table].columns
    return [column for column in columns if COLUMNS[table][column.name] not in NOT_EXPORTED]


def _plain(value):
    return value.isoformat() if isinstance(value, datetime | date) else value


def _rows(table: str, where) -> list[dict]:
    columns = _exported(table)
    order = db.metadata.tables[table].primary_key.columns
    result = db.session.execute(select(*columns).where(where).order_by(*order)).mappings()
    return [{key: _plain(value) for key, value in row.items()} for row in result]


def export_personal_data(user: User) -> dict:
    """Every row registered for this person, under "table.column", without secrets."""
    user_table = db.metadata.tables["user"]
    linked = {
        f"{link.table}.{link.column}": _rows(link.table, _column(link) == user.id) for link in LINKS
    }
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "account": _rows("user", user_table.c.id == user.id)[0],
        "invitations_to_this_address": _rows(
            "invitation", func.lower(Invitation.email) == user.email.lower()
        ),
        "linked_rows": linked,
    }


def registered_row_counts(user_id: int) -> dict[str, int]:
    """How many rows each registered link holds for a person (what an export must contain)."""
    return {
        f"{link.table}.{link.column}": db.session.execute(
            select(func.count()).select_from(_column(link).table).where(_column(link) == user_id)
        ).scalar_one()
        for link in LINKS
    }


def erase_account(user: User) -> None:
    """Remove the person and everything that exists only because of them, in the caller's
    transaction. A city's worksheets, revisions and audit trail stay, without the link."""
    user_id, email = user.id, user.email
    for link in LINKS:
        column = _column(link)
        if link.on_erase == OnErase.DELETE:
            db.session.execute(delete(column.table).where(column == user_id))
        else:
            # Core statements on purpose: the audit trail refuses ORM updates, and dropping
            # the actor is the one change erasure makes to it.
            db.session.execute(update(column.table).where(column == user_id).values({column: None}))
    db.session.execute(delete(Invitation).where(func.lower(Invitation.email) == email.lower()))
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.key == throttle.throttle_key(email))
    )
    db.session.execute(delete(User).where(User.id == user_id))
    _forget_loaded_rows(user, user_id)


def _forget_loaded_rows(user: User, user_id: int) -> None:
    """Objects loaded before the erasure no longer match the database: deleted rows leave the
    session, detached rows are reloaded when next read."""
    links_by_table: dict[str, list[PersonLink]] = {}
    for link in LINKS:
        links_by_table.setdefault(link.table, []).append(link)
    for instance in list(db.session.identity_map.values()):
        for link in links_by_table.get(instance.__table__.name, ()):
            if instance.__dict__.get(link.column) != user_id:
                continue
            if link.on_erase == OnErase.DELETE:
                db.session.expunge(instance)
                break
            db.session.expire(instance)
    db.session.expunge(user)
