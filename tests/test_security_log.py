"""T-LOG-1 and part of T-LOG-2: scripted security events each leave one JSON line with time,
actor, municipality, event and outcome; secrets and injected line breaks do not get through."""

import json
import logging

from app.models import MunicipalRole, SiteRole
from tests import logscan
from tests.helpers import PASSWORD, csrf_token, login, make_municipality, make_user, post


def events(caplog):
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "app.security"]


def test_security_events_are_logged_one_line_each(app, client, caplog):
    city = make_municipality(app)
    other_city = make_municipality(app, "Elsewhere")
    make_user(app, municipality_id=city, municipal_role=MunicipalRole.COORDINATOR)
    make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    with caplog.at_level(logging.INFO, logger="app.security"):
        login(client, password="wrong wrong wrong wrong")  # failed sign-in
        login(client)  # sign-in
        client.post("/account", data={"name": "x"})  # no CSRF token
        client.get(f"/cities/{other_city}")  # another city's page
        client.get(f"/cities/{city}/strategy/export.json")  # export
        admin = app.test_client()
        login(admin, "admin@example.org")
        post(
            admin,
            "/admin/people/1",
            {"user-site_role": "member", "user-active": "y", "user-submit": "1"},
            token_from="/admin/",
        )
    logged = events(caplog)
    kinds = [(e["event"], e["outcome"]) for e in logged]
    for expected in [
        ("sign_in", "refused"),
        ("sign_in", "ok"),
        ("csrf", "refused"),
        ("not_found", "refused"),
        ("strategy_export", "ok"),
        ("role_change", "ok"),
    ]:
        assert expected in kinds
    print(
        f"\nT-LOG-1: {len(logged)} security events logged, "
        f"{sum(1 for e in logged if e['time'] and 'outcome' in e)} with time and outcome"
    )
    assert all(e["time"].endswith("+00:00") for e in logged)
    export = next(e for e in logged if e["event"] == "strategy_export")
    assert export["actor"] == 1 and export["municipality"] == city


def test_no_password_token_or_line_break_reaches_the_log(app, client, caplog):
    make_user(app, name="Evil\r\nFAKE event")
    with caplog.at_level(logging.DEBUG):
        token = csrf_token(client, "/login")
        login(client)
        login(app.test_client(), password="a wrong password entirely")
    text = caplog.text
    assert PASSWORD not in text and "a wrong password entirely" not in text
    assert token not in text
    cookie = client.get_cookie("session").value
    assert cookie not in text
    assert "\nFAKE" not in text


def test_the_whole_run_log_scan_finds_what_it_watches():
    """T-LOG-2's run-wide scan (tests/logscan.py) can fail: it reports each kind of leak."""
    cookie, token = "k" * 43, "t" * 40
    lines = [
        "werkzeug: GET /account HTTP/1.1 200",
        f"app.security: session {cookie}",
        f"app: csrf {token}",
        f"app: password was {PASSWORD}",
        "flask_limiter: ratelimit exceeded for account:asha@example.org",
        "app: note CANARY-1a2b3c4d",
    ]
    found = logscan.hits(lines, {cookie, token, "short"})
    assert len(found) == 5
    assert logscan.hits(lines[:1], {cookie, token}) == []
