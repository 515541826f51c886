"""T-ERR-1: failures induced into a view of every blueprint, a service, each access rule and the
database layer give a translated page with an incident id, never a traceback or internals.

tests/test_errors_and_headers.py has the first, single induced error; this walks the rest.
"""

import functools
import logging
import re

import pytest
from flask_babel import force_locale
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import scoped_session

from app import access
from app.errors import MESSAGES
from app.extensions import db
from app.models import MunicipalRole, SiteRole, User
from tests.helpers import csrf_token, login, make_municipality, make_user, soup

FAILING_SQL = "SELECT worksheet.data, user.password_hash FROM worksheet JOIN user_secret_table"
SQL_WORDS = ("SELECT", "worksheet.data", "password_hash", "user_secret_table", "[SQL:")
DRIVER_MESSAGE = "server closed the connection unexpectedly (induced)"


class Induced(RuntimeError):
    pass


@pytest.fixture
def world(app_factory):
    application = app_factory(PROPAGATE_EXCEPTIONS=False)
    city = make_municipality(application)
    make_user(application, "admin@example.org", role=SiteRole.ADMIN, locale="ar")
    make_user(
        application,
        "editor@example.org",
        municipality_id=city,
        municipal_role=MunicipalRole.EDITOR,
        locale="ar",
    )
    clients = {}
    for email in ("admin@example.org", "editor@example.org"):
        clients[email.split("@")[0]] = application.test_client()
        assert login(clients[email.split("@")[0]], email).status_code == 302
    clients["anonymous"] = application.test_client()
    return application, city, clients


def secret_message(app) -> str:
    """What a careless page would leak: SQL, a file path and the secret key."""
    return (
        f'{FAILING_SQL}; File "/work/main/app/strategy/routes.py", line 7; '
        f"SECRET_KEY={app.config['SECRET_KEY']}"
    )


def raising_view(app, endpoint, reached):
    """Swap a view for one that fails, keeping its access rule; `reached` counts calls."""
    original = app.view_functions[endpoint]

    @functools.wraps(original)
    def failing(*args, **kwargs):
        reached.append(endpoint)
        raise Induced(secret_message(app))

    return failing


def translated_title(app, status) -> str:
    with app.test_request_context(), force_locale("ar"):
        return str(MESSAGES[status][0])


def check_page(app, response, caplog, label) -> str | None:
    """The body leaks nothing, is in Arabic, and a 500 quotes an incident id found in the log.
    Returns the incident id."""
    body = response.get_data(as_text=True)
    leaks = [
        word
        for word in (
            "Traceback",
            "/work/",
            '.py"',
            "routes.py",
            app.config["SECRET_KEY"],
            DRIVER_MESSAGE,
            "Induced",
            *SQL_WORDS,
        )
        if word in body
    ]
    assert leaks == [], (label, leaks)
    page = soup(response)
    assert page.html is not None and page.html.get("lang") == "ar", label
    assert page.html.get("dir") == "rtl", label
    assert page.find("h1").get_text(strip=True) == translated_title(app, response.status_code)
    if response.status_code != 500:
        return None
    meta = page.select_one("main .meta")
    incident = re.search(r"\b[0-9a-f]{8}\b", meta.get_text() if meta else "")
    assert incident, label
    assert f"incident {incident.group()}" in caplog.text, label
    return incident.group()


def test_induced_errors_never_show_internals(world, monkeypatch, caplog):
    app, city, clients = world
    admin, editor, anonymous = clients["admin"], clients["editor"], clients["anonymous"]
    arabic = {"Accept-Language": "ar"}
    section = f"/cities/{city}/strategy/context"
    editor_token = csrf_token(editor, section)
    cases = []  # (label, client, method, url, install(patch))

    # 1. A view of every blueprint raises.
    views = {
        "main": ("main.health", anonymous, "GET", "/healthz"),
        "auth": ("auth.account", editor, "GET", "/account"),
        "learn": ("learn.home", anonymous, "GET", "/"),
        "team": ("team.team", editor, "GET", f"/cities/{city}"),
        "strategy": ("strategy.section", editor, "GET", section),
        "strategy (JSON autosave)": ("strategy.autosave", editor, "POST", section + "/autosave"),
        "cohorts": ("cohorts.index", admin, "GET", "/cohorts"),
        "admin": ("admin.index", admin, "GET", "/admin/"),
    }
    blueprints = {endpoint.split(".")[0] for endpoint, *_ in views.values()}
    assert blueprints == set(app.blueprints), "a blueprint has no induced error"
    reached: list[str] = []
    for label, (endpoint, client, method, url) in views.items():

        def install(patch, endpoint=endpoint):
            patch.setitem(app.view_functions, endpoint, raising_view(app, endpoint, reached))

        cases.append((f"view {label}", client, method, url, install))

    # 2. A service deep inside a view raises.
    def fail(*args, **kwargs):
        raise KeyError(secret_message(app))

    def strategy_service_fails(patch):
        patch.setattr("app.strategy.service.strategy_of", fail)

    def sign_in_service_fails(patch):
        patch.setattr("app.auth.services.sign_in", fail)

    cases.append(
        ("service strategy_of", editor, "GET", f"/cities/{city}/strategy", strategy_service_fails)
    )
    cases.append(("service sign_in", anonymous, "POST", "/login", sign_in_service_fails))

    # 3. The database fails: a read on one page, a commit on a save.
    original_execute = scoped_session.execute

    def reads_fail(patch):
        def execute(self, statement, *args, **kwargs):
            if "worksheet" in str(statement):
                raise OperationalError(FAILING_SQL, {"id": 1}, Exception(DRIVER_MESSAGE))
            return original_execute(self, statement, *args, **kwargs)

        patch.setattr(scoped_session, "execute", execute)

    def commits_fail(patch):
        def commit(self):
            raise OperationalError(FAILING_SQL, {"id": 1}, Exception(DRIVER_MESSAGE))

        patch.setattr(scoped_session, "commit", commit)

    cases.append(("database read", editor, "GET", section, reads_fail))
    cases.append(
        ("database commit (autosave)", editor, "POST", section + "/autosave", commits_fail)
    )

    induced, incidents = 0, set()
    caplog.set_level(logging.ERROR)
    for label, client, method, url, install in cases:
        with monkeypatch.context() as patch:  # each failure lasts for one request only
            install(patch)
            if method == "GET":
                response = client.get(url, headers=arabic)
            else:
                data = {
                    "csrf_token": editor_token if client is editor else csrf_token(client, url),
                    "email": "editor@example.org",
                    "password": "some password typed in",
                }
                response = client.post(url, data=data, headers=arabic)
        assert response.status_code == 500, (label, response.status_code)
        incidents.add(check_page(app, response, caplog, label))
        induced += 1
    assert len(incidents) == induced  # one incident id per failure
    # The operator still gets the whole story, the database's own words included.
    assert secret_message(app) in caplog.text and DRIVER_MESSAGE in caplog.text
    assert sorted(set(reached)) == sorted(e for e, *_ in views.values())

    # 4. Each access rule raises: access is denied (fail closed), never the page.
    denied, policies = 0, 0
    rules = {
        "public": ("learn.home", anonymous, "/"),
        "signed_in": ("auth.account", editor, "/account"),
        "admin_only": ("admin.index", admin, "/admin/"),
        "trainers_only": ("cohorts.index", admin, "/cohorts"),
    }
    for rule, (endpoint, client, url) in rules.items():
        view = app.view_functions[endpoint]
        assert view.access_check.__code__ is _check_of(getattr(access, rule)).__code__

        def broken(user):
            raise Induced(secret_message(app))

        opened: list[str] = []
        with monkeypatch.context() as patch:
            patch.setattr(view, "access_check", broken)
            patch.setitem(app.view_functions, endpoint, _spy(view, opened))
            response = client.get(url, headers=arabic)
        policies += 1
        denied += _denied(app, response, opened, caplog, f"rule {rule}")

    object_checks = {
        "second factor required (must_enrol)": (
            "app.access.must_enrol",
            admin,
            "/admin/",
            "admin.index",
        ),
        "membership (Workspace)": (
            None,
            editor,
            f"/cities/{city}/strategy/context",
            "strategy.section",
        ),
    }
    for label, (target, client, url, endpoint) in object_checks.items():

        def broken(*args, **kwargs):
            raise Induced(secret_message(app))

        opened = []
        with monkeypatch.context() as patch:
            if target:
                patch.setattr(target, broken)
            else:
                patch.setattr(User, "membership_in", broken)
            view = app.view_functions[endpoint]
            patch.setitem(app.view_functions, endpoint, _spy(view, opened, passthrough=True))
            response = client.get(url, headers=arabic)
        policies += 1
        denied += _denied(app, response, opened, caplog, label, passthrough=True)
    with app.app_context():
        db.session.remove()

    print(
        f"\nT-ERR-1: {induced + policies} induced errors ({induced} in views, services and "
        "the database; "
        f"{policies} in access checks); 0 bodies with traceback/paths/SQL/config; every page "
        f"localised with an incident id in the log; policy failures denied: {denied}/{policies}"
    )
    assert denied == policies


def _check_of(rule):
    """The check function an access rule attaches to a view."""

    def view():
        return None

    return rule(view).access_check


def _spy(view, opened, passthrough=False):
    """The view, noting whether the request got that far (it must not, for a broken rule)."""

    @functools.wraps(view)
    def spy(*args, **kwargs):
        opened.append(view.__name__)
        if passthrough:
            return view(*args, **kwargs)
        return "the protected page"

    return spy


def _denied(app, response, opened, caplog, label, passthrough=False) -> int:
    """1 when the failing check refused the request without showing the page."""
    body = response.get_data(as_text=True)
    refused = response.status_code in (403, 404, 500) and "the protected page" not in body
    if not passthrough:
        refused = refused and not opened
    assert refused, (label, response.status_code, opened)
    check_page(app, response, caplog, label)
    return 1
