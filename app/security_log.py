"""Security events as one JSON line each (T-LOG-1): UTC time, actor, municipality, event,
outcome. JSON escaping keeps a name like "x\\r\\nFAKE" from forging a second line."""

from __future__ import annotations

import json
import logging

from flask import has_request_context, request
from flask_login import current_user

from app.logfilter import redact
from app.models.base import utcnow

logger = logging.getLogger("app.security")


def security_event(
    event: str,
    outcome: str,
    *,
    actor_id: int | None = None,
    municipality_id: int | None = None,
    **detail,
) -> None:
    if actor_id is None and has_request_context() and current_user.is_authenticated:
        actor_id = current_user.id
    record = {
        "time": utcnow().isoformat(),
        "event": event,
        "outcome": outcome,
        "actor": actor_id,
        "municipality": municipality_id,
        # A refused link (/invite/<token>, rate-limited) must not put its token in the log.
        "path": redact(request.path) if has_request_context() else None,
        **detail,
    }
    logger.info(json.dumps(record, ensure_ascii=True, sort_keys=True, default=str))
