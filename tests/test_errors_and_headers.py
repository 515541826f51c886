"""CSRF on every form, error pages without tracebacks, and the security headers."""

import logging
import re
from datetime import timedelta

import pytest
import time_machine

from app.models import SiteRole
from app.models.base import utcnow
from tests.helpers import PASSWORD, csrf_token, login, make_user, soup, text_of


def test_state_changing_requests_without_a_csrf_token_are_refused(app, client):
    make_user(app)
    make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    login(client, "admin@example.org")
    refused = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        values = {name: 1 for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        response = client.post(url, data={"lang": "ar", "email": "x@example.org"})
        refused.append(response.status_code == 400)
        assert response.status_code == 400, url
        assert "Nothing was saved" in text_of(response)
    assert refused and all(refused)


def test_sign_in_without_a_token_is_refused(app, client):
    make_user(app)
    response = client.post("/login", data={"email": "member@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_csrf_token_outlives_an_hour_within_the_session(app, client):
    make_user(app)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(client)
        token = csrf_token(client, "/account")
    for minutes in (20, 40, 60, 80):  # keep the session alive, as a drafting person would
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            client.get("/account")
    with time_machine.travel(start + timedelta(minutes=90), tick=False):
        response = client.post("/account", data={"csrf_token": token, "name": "Asha", "locale": ""})
    assert response.status_code == 302


def test_unexpected_error_shows_a_translated_page_with_an_incident_id(app_factory, caplog):
    application = app_factory(PROPAGATE_EXCEPTIONS=False)

    @application.route("/boom")
    def boom():
        raise RuntimeError("database password is hunter2")

    boom.access_check = lambda user: True
    boom.access_needs_account = False
    client = application.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom", headers={"Accept-Language": "ar"})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and "hunter2" not in body and "boom.py" not in body
    assert soup(response).html["dir"] == "rtl"
    incident = re.search(r"\b[0-9a-f]{8}\b", soup(response).select_one("main .meta").get_text())
    assert incident and f"incident {incident.group()}" in caplog.text
    assert "hunter2" in caplog.text  # the operator still gets the whole story


@pytest.mark.parametrize("url,status", [("/no/such/page", 404), ("/admin/", 302)])
def test_error_and_redirect_statuses(client, url, status):
    assert client.get(url).status_code == status


def test_method_not_allowed_has_a_page(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "not possible here" in text_of(response)


def test_oversized_request_is_refused_with_413(client):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"csrf_token": token, "email": "a" * 3_000_000})
    assert response.status_code == 413


def test_security_headers_on_every_page(client):
    response = client.get("/")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_signed_in_pages_are_not_cached(app, client):
    make_user(app)
    login(client)
    assert client.get("/account").headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_scripts_or_styles(client):
    page = soup(client.get("/guides/demo/intro/first"))
    assert all(script.get("src") for script in page.find_all("script"))
    assert not page.find_all("style") and not page.find_all(attrs={"style": True})
