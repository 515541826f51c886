"""Error pages: translated, in the site layout, never a traceback.

Unexpected failures are logged with an incident id that the page shows, so a person can
quote it and an operator can find the traceback in the log.
"""

from __future__ import annotations

import secrets

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.auth.sessions import PENDING_FORM
from app.extensions import db
from app.security_log import security_event

MESSAGES = {
    400: (
        _l("Something in that request was not right"),
        _l("Please go back, check what you entered and try again."),
    ),
    403: (
        _l("You do not have access to this page"),
        _l(
            "Your account does not allow this. Ask your coordinator or an administrator if "
            "you think it should."
        ),
    ),
    404: (
        _l("Page not found"),
        _l("The page may have moved, or the link may be mistyped or no longer valid."),
    ),
    405: (
        _l("That action is not possible here"),
        _l("Please go back and use the buttons on the page."),
    ),
    413: (_l("That was too much to send at once"), _l("Please send less text or a smaller file.")),
    429: (_l("Too many requests"), _l("Please wait a minute before trying again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("Your work up to the last save is safe. Please try again in a moment."),
    ),
}


def render_error(status: int, incident: str | None = None, detail=None):
    title, message = MESSAGES.get(status, MESSAGES[500 if status >= 500 else 400])
    page = render_template(
        "errors/error.html",
        status=status,
        title=title,
        message=detail or message,
        incident=incident,
    )
    return page, status


def handle_http_error(error: HTTPException):
    if error.code in (403, 404, 429) and request.endpoint and request.endpoint != "static":
        security_event(
            {403: "access_denied", 404: "not_found", 429: "rate_limited"}[error.code],
            "refused",
            method=request.method,
        )
    return render_error(error.code or 500)


# Forms whose text must survive a session that ended while someone was typing.
KEEP_TEXT_ON_EXPIRY = {"strategy.section"}


def handle_csrf_error(error: CSRFError):
    security_event("csrf", "refused", method=request.method)
    # Not only a session found expired now: the page's autosave may have met the expiry first
    # (the session is then gone), or the sessions were ended elsewhere. These forms need an
    # account, so a same-origin post without one is always someone whose session ended.
    if (
        request.method == "POST"
        and request.endpoint in KEEP_TEXT_ON_EXPIRY
        and (getattr(session, "expired", False) or not current_user.is_authenticated)
        and _same_origin()
    ):
        return keep_text_for_after_sign_in()
    return render_error(
        400,
        detail=_l(
            "This form had expired or was sent from elsewhere. Nothing was saved: "
            "please go back, reload the page and send it again."
        ),
    )


def _same_origin() -> bool:
    """A cross-site form must never plant text in someone's form, even an expired one."""
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")


def keep_text_for_after_sign_in():
    """The session behind the form is gone: hold the text in the new session, send the person
    to sign in, and show the text again on the same form afterwards. Nothing is saved until
    they press Save again, with a valid token."""
    session[PENDING_FORM] = {"path": request.path, "form": request.form.to_dict(flat=False)}
    flash(
        _l(
            "Your session had ended, so nothing was saved yet. Sign in again: your text will "
            "be back on the form, ready to save."
        ),
        "info",
    )
    if current_user.is_authenticated:
        return redirect(request.path)
    return redirect(url_for("auth.login", next=request.path))


def handle_unexpected_error(error: Exception):
    db.session.rollback()
    incident = secrets.token_hex(4)
    current_app.logger.exception("incident %s: unhandled error", incident)
    try:
        return render_error(500, incident=incident)
    except Exception:  # the layout itself failed: fall back to plain text, still no traceback
        current_app.logger.exception("incident %s: error page failed", incident)
        return f"Internal error. Incident {incident}.", 500, {"Content-Type": "text/plain"}


def register_error_handlers(app) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
