"""Re-importing a workspace from its JSON export, refusing anything that does not fit."""

from __future__ import annotations

import json

from flask_babel import gettext as _

from app.content import catalog
from app.models import Strategy
from app.strategy import service
from app.strategy.export import FORMAT, FORMAT_VERSION

MAX_IMPORT_BYTES = 1024 * 1024


class ImportRefused(Exception):
    """The file cannot be imported; the message says why, in the reader's language."""


def parse(raw: bytes) -> dict[str, dict]:
    if len(raw) > MAX_IMPORT_BYTES:
        raise ImportRefused(_("The file is larger than 1 MB."))
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ImportRefused(
            _("The file is not a strategy export (it is not valid JSON).")
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ImportRefused(_("The file is not a strategy export."))
    if payload.get("format_version") != FORMAT_VERSION:
        raise ImportRefused(_("The file comes from another version of this application."))
    sections = payload.get("sections")
    known = {section.slug for section in catalog().worksheets}
    if not isinstance(sections, dict) or not set(sections) <= known:
        raise ImportRefused(_("The file names sections this application does not have."))
    if not all(
        isinstance(item, dict) and isinstance(item.get("data"), dict) for item in sections.values()
    ):
        raise ImportRefused(_("The file is damaged: a section has no content."))
    return {slug: item["data"] for slug, item in sections.items()}


def apply(strategy: Strategy, sections: dict[str, dict], actor_id: int) -> int:
    """Each section becomes a new revision; nothing earlier is overwritten in history."""
    for slug, data in sections.items():
        worksheet = service.worksheet_of(strategy, slug)
        service.save_section(worksheet, worksheet.version, data, actor_id)
    service.record(
        strategy.municipality_id, actor_id, "imported", None, {"sections": len(sections)}
    )
    return len(sections)
