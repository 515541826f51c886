"""Signing in and out, server-side sessions, timeouts and password changes."""

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import UserSession
from app.models.base import utcnow
from tests.helpers import PASSWORD, login, make_user, post, soup, text_of


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
    make_user(app)
    client.get("/login")
    before = client.get_cookie("session").value
    login(client)
    after = client.get_cookie("session").value
    assert before != after
    with app.app_context():
        # The anonymous session's row is gone; only the signed-in one remains.
        assert db.session.scalar(select(func.count(UserSession.id))) == 1


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
    make_user(app)
    login(client)
    stolen = client.get_cookie("session").value
    response = post(client, "/logout", token_from="/account")
    assert "Clear-Site-Data" in response.headers
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/account").status_code == 302


def test_idle_session_expires_after_30_minutes_but_not_before(app, client):
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


def test_active_session_still_ends_after_12_hours(app, client):
    make_user(app)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client)
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/account").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        assert client.get("/account").status_code == 302


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, client):
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
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
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
    make_user(app)
    other = app.test_client()
    login(client)
    login(other)
    page = soup(client.get("/account/sessions"))
    assert len(page.select("tbody tr")) == 2
    post(client, "/account/sessions/end-others", token_from="/account/sessions")
    assert other.get("/account").status_code == 302
    assert client.get("/account").status_code == 200


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
