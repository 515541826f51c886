"""Recording what a person reads, and reading it back for pages and dashboards."""

from __future__ import annotations

import hashlib

from flask import after_this_request, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, case, select

from app.content import Module, Step, catalog
from app.extensions import db
from app.models import ModuleProgress, StepProgress
from app.models.base import insert_or_merge, utcnow

# Steps read before signing in live in a signed cookie, not a server session: a reader who
# never signs in costs no database row, and the list (short hashes of public step keys) says
# nothing sensitive.
ANONYMOUS_COOKIE = "seen"
ANONYMOUS_LIMIT = 300


def record_step_view(user_id: int, step: Step, steps_in_module: int) -> None:
    """Two statements, whatever the history: remember the step, update the module's row."""
    now = utcnow()
    remember = (
        insert_or_merge(StepProgress)
        .values(user_id=user_id, step_key=step.key, first_seen=now)
        .on_conflict_do_nothing(index_elements=["user_id", "step_key"])
    )
    # RETURNING says whether the row is new; rowcount is not reliable for this on every driver.
    is_new = db.session.execute(remember.returning(StepProgress.id)).first() is not None
    increment = 1 if is_new else 0
    table = ModuleProgress.__table__
    completes_now = and_(
        table.c.quiz_passed,
        table.c.completed_at.is_(None),
        table.c.steps_seen + increment >= steps_in_module,
    )
    upsert = (
        insert_or_merge(ModuleProgress)
        .values(
            user_id=user_id,
            module_key=f"{step.guide_slug}/{step.module_slug}",
            steps_seen=increment,
            last_step_key=step.key,
            quiz_passed=False,
            started_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=["user_id", "module_key"],
            set_={
                "steps_seen": table.c.steps_seen + increment,
                "last_step_key": step.key,
                "updated_at": now,
                "completed_at": case((completes_now, now), else_=table.c.completed_at),
            },
        )
    )
    db.session.execute(upsert)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="seen-steps")


def _short(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def anonymous_reading() -> list[str]:
    """Short hashes of the steps this browser read before signing in."""
    raw = request.cookies.get(ANONYMOUS_COOKIE)
    if not raw:
        return []
    try:
        seen = _serializer().loads(raw)
    except BadSignature:
        return []
    return [item for item in seen if isinstance(item, str)][:ANONYMOUS_LIMIT]


def remember_anonymous_view(step: Step) -> None:
    seen = anonymous_reading()
    short = _short(step.key)
    if short in seen or len(seen) >= ANONYMOUS_LIMIT:
        return
    value = _serializer().dumps([*seen, short])

    @after_this_request
    def _store(response):
        response.set_cookie(
            ANONYMOUS_COOKIE,
            value,
            max_age=90 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
        return response


def forget_anonymous_reading() -> None:
    @after_this_request
    def _clear(response):
        response.delete_cookie(
            ANONYMOUS_COOKIE, httponly=True, samesite="Lax", secure=request.is_secure
        )
        return response


def merge_anonymous_progress(user_id: int, short_keys: list[str]) -> int:
    """Move steps read before signing in to the account; returns how many were known steps."""
    steps = {_short(step.key): step for step in catalog().steps()}
    merged = 0
    for key in short_keys:
        step = steps.get(key)
        if step is None:
            continue
        module = catalog().module(f"{step.guide_slug}/{step.module_slug}")
        record_step_view(user_id, step, len(module.steps))
        merged += 1
    return merged


def progress_by_module(user_id: int, module_keys=None) -> dict[str, ModuleProgress]:
    query = select(ModuleProgress).where(ModuleProgress.user_id == user_id)
    if module_keys is not None:
        query = query.where(ModuleProgress.module_key.in_(list(module_keys)))
    return {row.module_key: row for row in db.session.execute(query).scalars()}


def seen_steps(user_id: int, module: Module) -> set[str]:
    keys = [step.key for step in module.steps]
    rows = db.session.execute(
        select(StepProgress.step_key).where(
            StepProgress.user_id == user_id, StepProgress.step_key.in_(keys)
        )
    ).scalars()
    return set(rows)


def module_state(progress: ModuleProgress | None) -> str:
    if progress is None:
        return "not-started"
    return "completed" if progress.completed_at else "in-progress"


def resume_point(user_id: int):
    """The module and step to continue with: the most recent unfinished module."""
    row = db.session.execute(
        select(ModuleProgress)
        .where(ModuleProgress.user_id == user_id, ModuleProgress.completed_at.is_(None))
        .order_by(ModuleProgress.updated_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    module = catalog().module(row.module_key)
    if module is None:
        return None
    step_slug = (row.last_step_key or "").rsplit("/", 1)[-1]
    return module, module.step(step_slug) or module.steps[0]
