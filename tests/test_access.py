"""Deny by default: every route declares who may use it, and the URL map is walked per role."""

import pytest

from app.models import MunicipalRole, SiteRole
from tests.helpers import login, make_municipality, make_user, post

SAMPLE_VALUES = {
    "guide_slug": "demo",
    "module_slug": "intro",
    "step_slug": "first",
    "token": "x" * 43,
    "section_slug": "context",
    "code": "ABCDEFGH",
}


def _sample(rule, name):
    converter = rule._converters.get(name)
    if converter is not None and hasattr(converter, "items"):  # any(...): a listed value
        return sorted(converter.items)[0]
    return SAMPLE_VALUES.get(name, 1)


def concrete_rules(app):
    """(endpoint, url, methods) for every route, with sample values for its arguments."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {name: _sample(rule, name) for name in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        yield rule.endpoint, url, rule.methods - {"HEAD", "OPTIONS"}


def test_every_route_declares_an_access_rule(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "access_check")
    ]
    assert undeclared == []


def test_route_without_a_rule_is_refused(app_factory):
    application = app_factory()
    application.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert application.test_client().get("/forgotten").status_code == 404


@pytest.fixture
def people(app):
    city_a = make_municipality(app, "Colombo")
    city_b = make_municipality(app, "Kandy")
    make_user(
        app, "member.a@example.org", municipality_id=city_a, municipal_role=MunicipalRole.VIEWER
    )
    make_user(
        app, "editor.b@example.org", municipality_id=city_b, municipal_role=MunicipalRole.EDITOR
    )
    make_user(app, "trainer@example.org", role=SiteRole.TRAINER)
    make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    return {"city_a": city_a, "city_b": city_b}


def test_anonymous_visitor_reaches_only_public_routes(app, client):
    for endpoint, url, methods in concrete_rules(app):
        view = app.view_functions[endpoint]
        if "GET" not in methods:
            continue
        status = client.get(url).status_code
        if view.access_needs_account:
            assert status == 302, (endpoint, url, status)


@pytest.mark.parametrize(
    "email", ["member.a@example.org", "editor.b@example.org", "trainer@example.org"]
)
def test_non_administrators_never_reach_administration(app, client, people, email):
    login(client, email)
    admin_rules = [r for r in concrete_rules(app) if r[0].startswith("admin.")]
    assert admin_rules
    for endpoint, url, methods in admin_rules:
        if "GET" in methods:
            assert client.get(url).status_code == 403, endpoint
        else:
            assert post(client, url).status_code == 403, endpoint


def test_administrator_reaches_every_administration_page(app, client, people):
    login(client, "admin@example.org")
    for endpoint, url, methods in concrete_rules(app):
        if endpoint.startswith("admin.") and "GET" in methods:
            assert client.get(url).status_code == 200, endpoint


def test_member_of_another_city_gets_404_on_a_team_page(app, client, people):
    login(client, "editor.b@example.org")
    assert client.get(f"/cities/{people['city_a']}").status_code == 404
    assert client.get(f"/cities/{people['city_b']}").status_code == 200
    assert client.get("/cities/999").status_code == 404
