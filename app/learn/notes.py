"""Private reflection notes: saved per prompt, listed together, downloadable."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import ReflectionNote
from app.models.base import utcnow


def saved_notes(user_id: int, module_key: str) -> dict[int, str]:
    rows = db.session.execute(
        select(ReflectionNote).where(
            ReflectionNote.user_id == user_id, ReflectionNote.module_key == module_key
        )
    ).scalars()
    return {row.prompt_number: row.text for row in rows}


def save_notes(user_id: int, module_key: str, texts: dict[int, str]) -> None:
    existing = {
        row.prompt_number: row
        for row in db.session.execute(
            select(ReflectionNote).where(
                ReflectionNote.user_id == user_id, ReflectionNote.module_key == module_key
            )
        ).scalars()
    }
    for number, text in texts.items():
        row = existing.get(number)
        if row is None:
            if not text.strip():
                continue
            row = ReflectionNote(user_id=user_id, module_key=module_key, prompt_number=number)
            db.session.add(row)
        row.text = text
        row.updated_at = utcnow()
    db.session.flush()


def all_notes(user_id: int) -> list[ReflectionNote]:
    return list(
        db.session.execute(
            select(ReflectionNote)
            .where(ReflectionNote.user_id == user_id, ReflectionNote.text != "")
            .order_by(ReflectionNote.module_key, ReflectionNote.prompt_number)
        ).scalars()
    )
