"""Sign-in slows, then locks, after repeated failures; per-IP and per-account rate limits."""

from datetime import timedelta

import time_machine

from app.models.base import utcnow
from tests.helpers import PASSWORD, login, make_user, text_of

WRONG = "definitely not the password"


def test_growing_delay_after_three_failures_then_lock_after_ten(app, client):
    make_user(app)
    now = utcnow()
    for attempt in range(10):
        # Each attempt waits out the previous delay, so only the lock stops it.
        now += timedelta(minutes=2)
        with time_machine.travel(now, tick=False):
            response = login(client, password=WRONG)
            assert response.status_code == 200, attempt
    with time_machine.travel(now + timedelta(minutes=2), tick=False):
        locked = login(client)  # the right password, during the lock
    assert locked.status_code == 200
    assert "paused until" in text_of(locked)
    with time_machine.travel(now + timedelta(minutes=16), tick=False):
        assert login(client).status_code == 302


def test_attempt_inside_the_delay_is_refused_without_checking_the_password(app, client):
    make_user(app)
    now = utcnow()
    with time_machine.travel(now, tick=False):
        for _ in range(3):
            login(client, password=WRONG)
        refused = login(client)  # right password, but within the 1-second delay
    assert refused.status_code == 200
    assert "wait until" in text_of(refused)
    with time_machine.travel(now + timedelta(seconds=5), tick=False):
        assert login(client).status_code == 302


def test_second_lock_lasts_twice_as_long(app, client):
    make_user(app)
    now = utcnow()
    for lock in range(2):
        if lock:
            now += timedelta(minutes=16)  # the first 15-minute lock is over
        for _ in range(10):
            now += timedelta(minutes=2)
            with time_machine.travel(now, tick=False):
                login(client, password=WRONG)
    # `now` is the failure that set the second lock: 30 minutes this time.
    with time_machine.travel(now + timedelta(minutes=29), tick=False):
        assert "paused until" in text_of(login(client))
    with time_machine.travel(now + timedelta(minutes=31), tick=False):
        assert login(client).status_code == 302


def test_per_ip_rate_limit_answers_429(app, client):
    for number in range(25):
        response = login(client, f"person{number}@example.org", password=WRONG)
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert number == 20  # 20 per minute per address, whatever the accounts


def test_per_account_rate_limit_counts_attempts_on_one_account(app, client):
    make_user(app)
    statuses = []
    for number in range(6):
        # Different addresses: the per-account limit still applies.
        environ = {"REMOTE_ADDR": f"10.0.0.{number + 1}"}
        statuses.append(login(client, password=WRONG, environ_base=environ).status_code)
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429


def test_spoofed_forwarded_for_header_is_ignored_without_a_trusted_proxy(app, client):
    for number in range(21):
        response = login(
            client,
            f"p{number}@example.org",
            password=WRONG,
            headers={"X-Forwarded-For": f"203.0.113.{number}"},
        )
    assert response.status_code == 429


def test_admin_can_unlock_an_account(app, client):
    from app.models import SiteRole
    from tests.helpers import post

    make_user(app)
    make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    now = utcnow()
    for _ in range(10):
        now += timedelta(minutes=2)
        with time_machine.travel(now, tick=False):
            login(client, password=WRONG)
    admin = app.test_client()
    with time_machine.travel(now, tick=False):
        login(admin, "admin@example.org", PASSWORD)
        post(admin, "/admin/people/1/unlock", token_from="/admin/")
        assert login(client).status_code == 302
