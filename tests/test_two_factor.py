"""T-AUTH-6: TOTP for administrators and trainers, offered to everyone, with recovery codes."""

import re

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import RecoveryCode, SiteRole, User
from tests.helpers import PASSWORD, csrf_token, login, make_user, post, soup, text_of


def passed(check: str) -> None:
    """The T-AUTH-6 pass/fail list: one line per check that got to its end."""
    print(f"\nT-AUTH-6: pass - {check}")


@pytest.fixture
def strict_app(app_factory):
    return app_factory(REQUIRE_STAFF_TWO_FACTOR=True)


def enrol(client):
    page = soup(client.get("/account/two-factor"))
    secret = page.select_one("code.secret").get_text(strip=True)
    response = post(
        client,
        "/account/two-factor",
        {"password": PASSWORD, "code": pyotp.TOTP(secret).now()},
        token_from="/account/two-factor",
    )
    codes = [c.get_text() for c in soup(response).select(".codes code")]
    return secret, codes


def test_staff_without_a_second_factor_are_sent_to_set_it_up(strict_app):
    make_user(strict_app, "admin@example.org", role=SiteRole.ADMIN)
    make_user(strict_app, "trainer@example.org", role=SiteRole.TRAINER)
    for email, url in (("admin@example.org", "/admin/"), ("trainer@example.org", "/cohorts")):
        client = strict_app.test_client()
        login(client, email)
        response = client.get(url)
        assert response.headers["Location"] == "/account/two-factor", email
    passed("staff without a second factor are sent to set it up")


def test_enrolled_admin_signs_in_with_a_code_that_works_once(strict_app):
    make_user(strict_app, "admin@example.org", role=SiteRole.ADMIN)
    client = strict_app.test_client()
    login(client, "admin@example.org")
    secret, codes = enrol(client)
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    post(client, "/logout", token_from="/account")
    fresh = strict_app.test_client()
    first = login(fresh, "admin@example.org")
    assert first.headers["Location"] == "/login/two-factor"
    assert fresh.get("/admin/").status_code == 302  # not signed in before the second step
    code = pyotp.TOTP(secret).now()
    done = post(fresh, "/login/two-factor", {"code": code}, token_from="/login/two-factor")
    assert done.status_code == 302 and fresh.get("/admin/").status_code == 200
    replay = strict_app.test_client()
    login(replay, "admin@example.org")
    again = post(replay, "/login/two-factor", {"code": code}, token_from="/login/two-factor")
    assert again.status_code == 200 and "used already" in text_of(again)
    passed("enrolled admin signs in with a code that works once")


def test_recovery_codes_are_hashed_and_single_use(strict_app):
    make_user(strict_app, "trainer@example.org", role=SiteRole.TRAINER)
    client = strict_app.test_client()
    login(client, "trainer@example.org")
    _secret, codes = enrol(client)
    with strict_app.app_context():
        stored = [row.code_hash for row in db.session.execute(select(RecoveryCode)).scalars()]
    assert codes[0] not in stored and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)
    for expected in (302, 200):
        other = strict_app.test_client()
        login(other, "trainer@example.org")
        response = post(
            other, "/login/two-factor", {"code": codes[0]}, token_from="/login/two-factor"
        )
        assert response.status_code == expected
    passed("recovery codes are hashed and single use")


def test_guessing_codes_is_rate_limited_and_locks_the_second_step(strict_app):
    from datetime import timedelta

    import time_machine

    from app.models.base import utcnow

    make_user(strict_app, "admin@example.org", role=SiteRole.ADMIN)
    client = strict_app.test_client()
    login(client, "admin@example.org")
    secret, _codes = enrol(client)
    post(client, "/logout", token_from="/account")
    now = utcnow()
    guesser = strict_app.test_client()

    def attempt(code):
        return post(guesser, "/login/two-factor", {"code": code}, token_from="/login/two-factor")

    with time_machine.travel(now, tick=False):
        login(guesser, "admin@example.org")
        assert [attempt(f"{n:06d}").status_code for n in range(3)] == [200] * 3
        # Three failures start a growing delay: even the right code waits it out.
        right = attempt(pyotp.TOTP(secret).now())
        assert right.status_code == 200 and "not right" in text_of(right)
        statuses = [attempt(f"{n:06d}").status_code for n in range(7)]
        assert statuses == [200] * 6 + [429]  # and ten tries a minute from one address
    with time_machine.travel(now + timedelta(minutes=2), tick=False):
        assert attempt(pyotp.TOTP(secret).now()).status_code == 302
    passed("guessing codes is rate limited and locks the second step")


def test_staff_cannot_turn_it_off_members_can(strict_app):
    make_user(strict_app, "member@example.org")
    client = strict_app.test_client()
    login(client)
    enrol(client)
    page = text_of(client.get("/account/two-factor"))
    assert "is on" in page
    post(client, "/account/two-factor", {"password": PASSWORD}, token_from="/account/two-factor")
    with strict_app.app_context():
        assert db.session.execute(select(User)).scalar_one().totp_secret is None
    make_user(strict_app, "admin@example.org", role=SiteRole.ADMIN)
    admin = strict_app.test_client()
    login(admin, "admin@example.org")
    enrol(admin)
    assert "cannot be turned off" in text_of(admin.get("/account/two-factor"))
    passed("staff cannot turn it off members can")


def test_enrolling_needs_the_password_again(strict_app):
    make_user(strict_app)
    client = strict_app.test_client()
    login(client)
    page = soup(client.get("/account/two-factor"))
    secret = page.select_one("code.secret").get_text(strip=True)
    response = client.post(
        "/account/two-factor",
        data={
            "csrf_token": csrf_token(client, "/account/two-factor"),
            "password": "wrong wrong wrong",
            "code": pyotp.TOTP(secret).now(),
        },
    )
    assert "not your current password" in text_of(response)
    passed("enrolling needs the password again")
