"""Signing in and out, server-side sessions, timeouts and password changes."""

import re
from datetime import timedelta
from pathlib import Path

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import UserSession
from app.models.base import utcnow
from tests.helpers import (
    PASSWORD,
    csrf_token,
    login,
    make_municipality,
    make_user,
    post,
    soup,
    text_of,
)


def session_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(UserSession.id)))


def test_sign_in_with_the_right_password_reaches_the_account_page(app, client):
    make_user(app)
    response = login(client)
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_wrong_password_and_unknown_account_get_the_same_answer(app, client):
    make_user(app)
    wrong = text_of(login(client, password="not the password at all"))
    unknown = text_of(login(app.test_client(), "nobody@example.org"))
    assert "do not match an active account" in wrong
    assert "do not match an active account" in unknown


def test_signing_in_renews_the_session_token(app, client):
    """T-SES-1: the session token before sign-in differs from the one after; what the
    anonymous session held is dropped (only a form's unsaved text is carried over, to be shown
    back and saved with a fresh token); signing in again after a timeout rotates again."""
    make_user(app)
    client.get("/login")
    with client.session_transaction() as anonymous:
        anonymous["planted"] = "set before sign-in"
    before = client.get_cookie("session").value
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client)
        after = client.get_cookie("session").value
        with client.session_transaction() as signed_in:
            dropped = "planted" not in signed_in
    with app.app_context():
        # The anonymous session's row is gone; only the signed-in one remains.
        rows = db.session.scalar(select(func.count(UserSession.id)))
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        client.get("/account")  # timed out: back to the sign-in page
        login(client)
        again = client.get_cookie("session").value
    results = {
        "token rotated at sign-in": before != after,
        "pre-sign-in keys dropped": dropped,
        "old session row deleted": rows == 1,
        "token rotated at re-authentication": again not in (before, after),
    }
    print(
        "\nT-SES-1: "
        + "; ".join(f"{check}: {'pass' if ok else 'FAIL'}" for check, ok in results.items())
    )
    assert all(results.values())


def test_account_pages_need_a_session(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/account")


def test_next_parameter_never_leaves_the_site(app, client):
    make_user(app)
    response = post(
        client,
        "/login?next=//evil.example/x",
        {"email": "member@example.org", "password": PASSWORD},
        token_from="/login",
    )
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session_on_the_server(app, client):
    """T-SES-2: a session cookie captured before sign-out, replayed afterwards against an
    account page, a worksheet page and the autosave endpoint, authenticates nothing; the
    sign-out answer carries Clear-Site-Data."""
    from app.models import MunicipalRole, WorksheetRevision

    city = make_municipality(app)
    make_user(app, municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    login(client)
    section = f"/cities/{city}/strategy/context"
    token = csrf_token(client, section)
    stolen = client.get_cookie("session").value
    response = post(client, "/logout", token_from="/account")
    assert "Clear-Site-Data" in response.headers
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    replies = [
        replay.get("/account"),
        replay.get(section),
        replay.post(
            f"{section}/autosave",
            data={"csrf_token": token, "base_version": 0, "notes": "replayed"},
            headers={"X-CSRFToken": token},
        ),
    ]
    authenticated = [r for r in replies if r.status_code == 200]
    with app.app_context():
        revisions = db.session.scalar(select(func.count(WorksheetRevision.id)))
    print(
        f"\nT-SES-2: replayed requests: {len(replies)}, {len(authenticated)} authenticated "
        f"(statuses {[r.status_code for r in replies]}), revisions written {revisions}; "
        f"Clear-Site-Data: {response.headers['Clear-Site-Data']}"
    )
    assert authenticated == [] and revisions == 0


def test_idle_session_expires_after_30_minutes_but_not_before(app, client):
    """T-SES-3 (idle): 29 minutes idle keeps the session, 31 minutes ends it. The page's
    script sends no heartbeat: autosave is only ever scheduled by typing (checked below)."""
    make_user(app)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get("/account").status_code == 200
    with time_machine.travel(start + timedelta(minutes=29 + 31), tick=False):
        response = client.get("/account")
        assert response.status_code == 302
        assert "without activity" in text_of(client.get(response.headers["Location"]))
    script = (Path(app.static_folder) / "app.js").read_text()
    typing_only = "setInterval" not in script and script.count("setTimeout(save") == 1
    typing_only = typing_only and re.search(
        r'addEventListener\("input",[^}]*setTimeout\(save', script
    )
    print(
        f"\nT-SES-3: idle timeout {app.config['SESSION_IDLE_TIMEOUT']} "
        f"(29 min idle: signed in; 31 min: sign in again); autosave only after typing, "
        f"no heartbeat: {'pass' if typing_only else 'FAIL'}"
    )
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30) and typing_only


def test_active_session_still_ends_after_12_hours(app, client):
    """T-SES-3 (absolute): activity every 20 minutes for 12 hours, then signed out."""
    make_user(app)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/account").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert client.get("/account").status_code == 302
    print(
        f"\nT-SES-3: absolute lifetime {app.config['SESSION_ABSOLUTE_LIFETIME']} (active "
        "every 20 min: signed in until 11 h 40 min; sign in again at 12 h 1 min)"
    )
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(hours=12)


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, client):
    """T-SES-4 (password change). The other parts: the account deactivated by an
    administrator (tests/test_administration.py) and the sessions page (below)."""
    make_user(app)
    other = app.test_client()
    login(client)
    login(other)
    new_password = "sunlit harbour lanterns at dusk"
    response = post(
        client,
        "/account/password",
        {"current": PASSWORD, "password": new_password, "confirm": new_password},
        token_from="/account/password",
    )
    assert response.status_code == 302
    changer, elsewhere = client.get("/account").status_code, other.get("/account").status_code
    print(
        f"\nT-SES-4: password change: the changer's session {changer} (stays), the other "
        f"browser's {elsewhere} (signed out)"
    )
    assert (changer, elsewhere) == (200, 302)
    assert login(app.test_client(), password=new_password).status_code == 302


def test_password_change_needs_the_current_password(app, client):
    make_user(app)
    login(client)
    new_password = "sunlit harbour lanterns at dusk"
    response = post(
        client,
        "/account/password",
        {"current": "wrong wrong wrong", "password": new_password, "confirm": new_password},
        token_from="/account/password",
    )
    assert response.status_code == 200
    assert "not your current password" in text_of(response)


def test_sessions_page_lists_sessions_and_ends_the_others(app, client):
    """T-SES-4 (own sessions): a person lists their sessions and ends the others."""
    make_user(app)
    other = app.test_client()
    login(client)
    login(other)
    page = soup(client.get("/account/sessions"))
    assert len(page.select("tbody tr")) == 2
    post(client, "/account/sessions/end-others", token_from="/account/sessions")
    ended, kept = other.get("/account").status_code, client.get("/account").status_code
    print(
        f"\nT-SES-4: own sessions listed: {len(page.select('tbody tr'))}; after ending the "
        f"others: the other answers {ended} (signed out), this one {kept} (stays)"
    )
    assert (ended, kept) == (302, 200)


def test_session_cookie_is_httponly_and_lax(app, client):
    client.get("/login")
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    assert session_rows(app) == 1


def test_https_configuration_uses_secure_host_prefixed_cookies(app_factory):
    secure_app = app_factory(HTTPS=True)
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True
    assert secure_app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    response = secure_app.test_client().get("/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_profile_saves_name_and_language(app, client):
    make_user(app)
    login(client)
    post(client, "/account", {"name": "Asha P.", "locale": "ta"}, token_from="/account")
    page = client.get("/account")
    assert soup(page).html["lang"] == "ta"
