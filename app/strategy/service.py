"""Workspace operations: find or create records, save with optimistic locking, restore,
status and audit. They flush; the caller commits once."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.content import catalog
from app.extensions import db
from app.models import (
    AuditEvent,
    Strategy,
    StrategyStatus,
    Worksheet,
    WorksheetDraft,
    WorksheetRevision,
)
from app.models.base import insert_or_merge, utcnow
from app.strategy.merge import three_way
from app.strategy.values import normalise_section

# How many times a save is merged and retried against newer saves before reporting a conflict.
MERGE_RETRIES = 3


def strategy_of(municipality_id: int) -> Strategy:
    strategy = db.session.execute(
        select(Strategy).where(Strategy.municipality_id == municipality_id)
    ).scalar_one_or_none()
    if strategy is None:
        strategy = _create_once(
            Strategy(municipality_id=municipality_id),
            select(Strategy).where(Strategy.municipality_id == municipality_id),
        )
    return strategy


def worksheet_of(strategy: Strategy, section_slug: str) -> Worksheet:
    query = select(Worksheet).where(
        Worksheet.strategy_id == strategy.id, Worksheet.section_slug == section_slug
    )
    worksheet = db.session.execute(query).scalar_one_or_none()
    if worksheet is None:
        worksheet = _create_once(
            Worksheet(strategy_id=strategy.id, section_slug=section_slug, data={}, version=0),
            query,
        )
    return worksheet


def _create_once(record, query):
    """Insert a record, or take the one a concurrent request inserted first."""
    try:
        with db.session.begin_nested():
            db.session.add(record)
        return record
    except IntegrityError:
        return db.session.execute(query).scalar_one()


def worksheets_by_section(strategy: Strategy) -> dict[str, Worksheet]:
    rows = db.session.execute(select(Worksheet).where(Worksheet.strategy_id == strategy.id))
    return {row.section_slug: row for row in rows.scalars()}


@dataclass
class Saved:
    version: int
    merged_fields: list[str] = field(default_factory=list)


@dataclass
class Conflict:
    current_version: int
    fields: list[str]
    mine: dict
    theirs: dict
    merged: dict


def save_section(
    worksheet: Worksheet,
    base_version: int,
    data: dict,
    author_id: int,
    save_id: str | None = None,
    merge: bool = True,
) -> Saved | Conflict:
    """merge=False refuses a save whose base is no longer current instead of merging it: the
    autosave's page cannot show the merged text, so its next save would undo the others'."""
    spec = catalog().worksheet(worksheet.section_slug).spec
    mine = normalise_section(spec, data)
    if save_id:
        earlier = db.session.execute(
            select(WorksheetRevision).where(WorksheetRevision.save_id == save_id)
        ).scalar_one_or_none()
        if earlier is not None and earlier.worksheet_id == worksheet.id:
            return Saved(earlier.version)  # a retry of a save that already succeeded
        if earlier is not None:
            save_id = None  # minted for another section: not a retry, and already taken
    merged_fields: list[str] = []
    for _ in range(MERGE_RETRIES):
        if _write_if_unchanged(worksheet, base_version, mine, author_id, save_id):
            _forget_draft(worksheet.id, author_id)
            return Saved(base_version + 1, merged_fields)
        db.session.refresh(worksheet)
        if not merge:
            return Conflict(
                worksheet.version, [], mine, normalise_section(spec, worksheet.data), mine
            )
        base = normalise_section(spec, revision_data(worksheet.id, base_version))
        theirs = normalise_section(spec, worksheet.data)
        merged, conflicts = three_way(base, mine, theirs)
        if conflicts:
            _keep_draft(worksheet, author_id, base_version, mine)
            return Conflict(worksheet.version, conflicts, mine, theirs, merged)
        merged_fields = [key for key in mine if mine[key] != base.get(key)]
        mine, base_version = merged, worksheet.version
    return Conflict(worksheet.version, [], mine, normalise_section(spec, worksheet.data), mine)


def _write_if_unchanged(worksheet, base_version, data, author_id, save_id) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(Worksheet)
        .where(Worksheet.id == worksheet.id, Worksheet.version == base_version)
        .values(data=data, version=base_version + 1, updated_at=now, updated_by_id=author_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.add(
        WorksheetRevision(
            worksheet_id=worksheet.id,
            version=base_version + 1,
            data=data,
            save_id=save_id,
            author_id=author_id,
            created_at=now,
        )
    )
    strategy = db.session.get(Strategy, worksheet.strategy_id)
    record(
        strategy.municipality_id,
        author_id,
        "section_saved",
        worksheet.section_slug,
        {"version": base_version + 1},
    )
    db.session.flush()
    db.session.refresh(worksheet)
    return True


def revision_data(worksheet_id: int, version: int) -> dict:
    if version == 0:
        return {}
    revision = db.session.execute(
        select(WorksheetRevision).where(
            WorksheetRevision.worksheet_id == worksheet_id, WorksheetRevision.version == version
        )
    ).scalar_one_or_none()
    return revision.data if revision else {}


def _keep_draft(worksheet, user_id, base_version, data) -> None:
    """One draft per person and section; concurrent conflicting saves update it in place."""
    values = {"base_version": base_version, "data": data, "created_at": utcnow()}
    db.session.execute(
        insert_or_merge(WorksheetDraft)
        .values(worksheet_id=worksheet.id, user_id=user_id, **values)
        .on_conflict_do_update(index_elements=["worksheet_id", "user_id"], set_=values)
    )


def draft_of(worksheet_id: int, user_id: int) -> WorksheetDraft | None:
    return db.session.execute(
        select(WorksheetDraft).where(
            WorksheetDraft.worksheet_id == worksheet_id, WorksheetDraft.user_id == user_id
        )
    ).scalar_one_or_none()


def _forget_draft(worksheet_id: int, user_id: int) -> None:
    draft = draft_of(worksheet_id, user_id)
    if draft is not None:
        db.session.delete(draft)


def revisions(worksheet: Worksheet) -> list[WorksheetRevision]:
    return list(
        db.session.execute(
            select(WorksheetRevision)
            .where(WorksheetRevision.worksheet_id == worksheet.id)
            .order_by(WorksheetRevision.version.desc())
        ).scalars()
    )


def restore(worksheet: Worksheet, version: int, author_id: int) -> Saved | Conflict:
    """An earlier revision becomes the newest one; history is never rewritten."""
    data = revision_data(worksheet.id, version)
    result = save_section(worksheet, worksheet.version, data, author_id)
    if isinstance(result, Saved):
        db.session.execute(
            update(WorksheetRevision)
            .where(
                WorksheetRevision.worksheet_id == worksheet.id,
                WorksheetRevision.version == result.version,
            )
            .values(restored_from=version)
        )
    return result


def set_status(strategy: Strategy, status: StrategyStatus, actor_id: int) -> None:
    previous = strategy.status
    strategy.status = status
    strategy.status_changed_at = utcnow()
    record(
        strategy.municipality_id,
        actor_id,
        "status_changed",
        None,
        {"from": str(previous), "to": str(status)},
    )


def record(
    municipality_id: int, actor_id: int | None, action: str, section: str | None, detail: dict
) -> None:
    db.session.add(
        AuditEvent(
            municipality_id=municipality_id,
            actor_id=actor_id,
            action=action,
            section_slug=section,
            detail=detail,
        )
    )


def audit_trail(municipality_id: int, limit: int = 200) -> list[AuditEvent]:
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.municipality_id == municipality_id)
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )
