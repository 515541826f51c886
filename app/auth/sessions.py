"""Server-side sessions: the cookie holds a random 256-bit token, the data lives in the
database, so signing out, changing a password or ending other sessions really ends them."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app, request, session
from flask.sessions import SessionInterface, SessionMixin, session_json_serializer
from flask_login import login_user
from sqlalchemy import delete, select
from werkzeug.datastructures import CallbackDict

from app.extensions import db
from app.models import UserSession
from app.models.base import utcnow


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, row: UserSession | None = None, expired: bool = False):
        def on_update(self):
            self.modified = True

        super().__init__(initial, on_update)
        self.row = row
        self.expired = expired  # the visitor's previous session timed out
        self.rotate = False
        self.modified = False

    @property
    def row_id(self) -> int | None:
        return self.row.id if self.row else None

    def regenerate(self) -> None:
        """Start afresh under a new token (at sign-in), dropping what came before."""
        self.clear()
        self.rotate = True

    def forget(self) -> None:
        """Start afresh when the row is gone already (the account was erased)."""
        self.clear()
        self.row = None


class DatabaseSessionInterface(SessionInterface):
    serializer = session_json_serializer

    def open_session(self, app, request):
        token = request.cookies.get(self.get_cookie_name(app))
        # Static files need no session: spare them the lookup.
        if not token or request.endpoint == "static":
            return ServerSession()
        row = db.session.execute(
            select(UserSession).where(UserSession.token_hash == token_digest(token))
        ).scalar_one_or_none()
        if row is None:
            return ServerSession()
        if self._has_expired(app, row):
            db.session.delete(row)
            db.session.commit()
            return ServerSession(expired=True)
        return ServerSession(self.serializer.loads(row.data), row=row)

    def save_session(self, app, session: ServerSession, response):
        if request.endpoint == "static":
            return
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.row is not None and (session.rotate or not session):
            db.session.delete(session.row)
            session.row = None
        if not session:
            db.session.commit()
            if request_had_cookie(name):
                # The same flags as when set: a browser ignores a __Host- cookie without Secure,
                # so a bare deletion would leave the ended session's cookie in place.
                response.delete_cookie(
                    name,
                    domain=domain,
                    path=path,
                    secure=self.get_cookie_secure(app),
                    httponly=self.get_cookie_httponly(app),
                    samesite=self.get_cookie_samesite(app),
                )
            return
        response.vary.add("Cookie")
        now = utcnow()
        if session.row is None:
            token = secrets.token_urlsafe(32)
            session.row = UserSession(
                token_hash=token_digest(token),
                created_at=now,
                last_seen=now,
                user_agent=_user_agent(),
            )
            db.session.add(session.row)
            self._store(session)
            db.session.commit()
            response.set_cookie(
                name,
                token,
                httponly=self.get_cookie_httponly(app),
                secure=self.get_cookie_secure(app),
                samesite=self.get_cookie_samesite(app),
                domain=domain,
                path=path,
            )
            return
        if session.modified:
            self._store(session)
        if session.modified or now - session.row.last_seen >= app.config["SESSION_TOUCH_INTERVAL"]:
            session.row.last_seen = now
            db.session.commit()

    def _store(self, session: ServerSession) -> None:
        session.row.data = self.serializer.dumps(dict(session))
        user_id = session.get("_user_id")
        session.row.user_id = int(user_id) if user_id else None

    @staticmethod
    def _has_expired(app, row: UserSession) -> bool:
        now = utcnow()
        return (
            now - row.created_at > app.config["SESSION_ABSOLUTE_LIFETIME"]
            or now - row.last_seen > app.config["SESSION_IDLE_TIMEOUT"]
        )


def request_had_cookie(name: str) -> bool:
    return name in request.cookies


def _user_agent() -> str:
    return (request.user_agent.string or "")[:200]


def end_sessions_of(user_id: int, keep_row_id: int | None = None) -> int:
    """End every session of a person except, optionally, the one in use. Returns how many."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_row_id is not None:
        query = query.where(UserSession.id != keep_row_id)
    return db.session.execute(query).rowcount


def purge_expired_sessions() -> int:
    config = current_app.config
    now = utcnow()
    result = db.session.execute(
        delete(UserSession).where(
            (UserSession.last_seen < now - config["SESSION_IDLE_TIMEOUT"])
            | (UserSession.created_at < now - config["SESSION_ABSOLUTE_LIFETIME"])
        )
    )
    return result.rowcount


# Form text held while someone signs in again; it is only ever shown back, never saved unseen.
PENDING_FORM = "pending_form"


def begin_signed_in_session(user) -> None:
    """A new session token at sign-in, so that no pre-sign-in session can be fixed."""
    pending = session.get(PENDING_FORM)
    session.regenerate()
    if pending is not None:
        session[PENDING_FORM] = pending
    login_user(user)
