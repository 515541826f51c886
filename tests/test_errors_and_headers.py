"""CSRF on every form, error pages without tracebacks, and the security headers."""

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, SiteRole
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
from tests.test_mass_assignment import build_world, snapshot


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


def _refusal_urls(app, world):
    """Every state-changing rule of the URL map, its path filled from the world's real rows."""
    with app.app_context():
        membership = db.session.execute(
            select(Membership.id).where(Membership.user_id == world.member)
        ).scalar_one()
    values = {
        "municipality_id": world.city_a,
        "section_slug": world.sections[0],
        "version": 1,
        "user_id": world.member,
        "membership_id": membership,
        "cohort_id": world.cohort,
        "guide_slug": world.guide,
        "module_slug": world.module,
        "attempt_id": 1,
        "code": world.join_code,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            urls.append((method, rule.build(values, append_unknown=False)[1]))
    return sorted(urls)


def test_every_state_changing_request_needs_this_sessions_token(app):
    """T-CSRF-1: no token, another session's valid token, a garbled token: all refused (400)
    with the database unchanged. Fingerprint: every table but user_session, whose last-seen
    time changes on every request. The language switch is CSRF-exempt only for anonymous
    visitors (it only sets a cookie); signed in, it needs the token like any other form."""
    world = build_world(app)
    urls = _refusal_urls(app, world)
    client, other = app.test_client(), app.test_client()
    login(client, "admin@example.org")
    login(other, "coordinator@example.org")
    mine = csrf_token(client, "/account")
    foreign = csrf_token(other, "/account")
    assert mine and foreign and foreign != mine
    garbled = mine[:-6] + ("A" if mine[-6] != "A" else "B") + mine[-5:]
    variants = {"none": None, "other session": foreign, "garbled": garbled}
    payload = {"lang": "ar", "email": "x@example.org", "name": "Changed", "shared": "y"}
    with app.app_context():
        before = snapshot()
    outcomes = []
    for method, url in urls:
        for variant, token in variants.items():
            data = {**payload, **({"csrf_token": token} if token else {})}
            headers = {"X-CSRFToken": token} if token else {}
            response = client.open(url, method=method, data=data, headers=headers)
            outcomes.append((method, url, variant, response.status_code))
            assert response.status_code == 400, (method, url, variant, response.status_code)
            assert "Nothing was saved" in text_of(response)
    with app.app_context():
        changed = [name for name, rows in snapshot().items() if rows != before[name]]
    assert client.get("/account").status_code == 200  # still signed in: the refusals were CSRF
    assert changed == []
    refused = sum(status == 400 for *_, status in outcomes)
    print(
        f"\nT-CSRF-1: {len(urls)} endpoints x {len(variants)} variants = {len(outcomes)} "
        f"requests; {100 * refused // len(outcomes)} % refused (400), {len(changed)} DB changes "
        "(user_session excluded); POST /language without a token only sets a cookie when anonymous"
    )
    # The documented exemption: anonymous, no token, no session, nothing stored.
    anonymous = app.test_client()
    response = anonymous.post("/language", data={"lang": "ar"})
    assert response.status_code == 302 and "lang" in response.headers.get("Set-Cookie", "")
    with app.app_context():
        assert snapshot() == before


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


# ---------------------------------------------------------------- T-HDR-1 headers everywhere

SAMPLE_ARGUMENTS = {
    "section_slug": "context",
    "version": 1,
    "guide_slug": "demo",
    "module_slug": "intro",
    "step_slug": "first",
    "assessment_id": 1,
    "attempt_id": 1,
    "token": "not-a-real-token",
}
REFERRER_POLICIES = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name.lower()] = values
    return directives


def header_problems(response, *, signed_in: bool, https: bool) -> list[str]:
    """What falls short of SECURITY.md's T-HDR-1 row in one response's headers."""
    headers = response.headers
    problems = []
    policy = headers.get("Content-Security-Policy", "")
    csp = csp_directives(policy) if policy else {}
    script = csp.get("script-src", [])
    if "'self'" not in script or {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(script):
        problems.append(f"script-src {script}")
    if "'unsafe-inline'" in policy or "'unsafe-eval'" in policy:
        problems.append("unsafe-inline or unsafe-eval in the policy")
    for name, wanted in (
        ("object-src", ["'none'"]),
        ("base-uri", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
        ("form-action", ["'self'"]),
    ):
        if csp.get(name) != wanted:
            problems.append(f"{name} {csp.get(name)}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("nosniff")
    if headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')}")
    if signed_in and "no-store" not in headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {headers.get('Cache-Control')}")
    problems += [
        f"CORS header {name}"
        for name, _value in headers.items()
        if name.lower().startswith("access-control-")
    ]
    if https:
        hsts = headers.get("Strict-Transport-Security", "")
        age = re.search(r"max-age=(\d+)", hsts)
        if not age or int(age.group(1)) < 31_536_000 or "includesubdomains" not in hsts.lower():
            problems.append(f"HSTS {hsts!r}")
    return problems


def walk_urls(app, values) -> list[str]:
    """One URL per GET rule of the URL map (each choice of an `any` part), static files too."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        if rule.endpoint == "static":
            urls += [f"/static/{path.name}" for path in sorted(Path(app.static_folder).iterdir())]
            continue
        choices = [{}]
        for name in rule.arguments:
            converter = rule._converters[name]
            options = sorted(converter.items) if hasattr(converter, "items") else [values[name]]
            choices = [{**c, name: option} for c in choices for option in options]
        urls += [rule.build(c, append_unknown=False)[1] for c in choices]
    return sorted(set(urls))


@pytest.fixture
def populated(app_factory):
    """A site served over HTTPS, with an administrator, a trainer who coordinates city A
    (its strategy written and shared with the trainer's cohort) and a route that fails."""
    from app.cohorts import service as cohorts
    from app.extensions import db
    from app.models import Cohort, MunicipalRole, User
    from app.strategy import service as strategy

    application = app_factory(HTTPS=True, PROPAGATE_EXCEPTIONS=False)

    @application.route("/boom")
    def boom():
        raise RuntimeError("induced for T-HDR-1")

    boom.access_check = lambda user: True
    boom.access_needs_account = False
    city = make_municipality(application, "Kandy")
    make_user(application, "admin@example.org", role=SiteRole.ADMIN)
    trainer = make_user(
        application,
        "trainer@example.org",
        role=SiteRole.TRAINER,
        municipality_id=city,
        municipal_role=MunicipalRole.COORDINATOR,
    )
    with application.app_context():
        user = db.session.get(User, trainer)
        cohort = cohorts.create_cohort(user, name="Hub", module_keys=("demo/intro",))
        db.session.flush()
        cohorts.join(cohort, user, city)
        cohorts.share(cohort.id, city, trainer, True)
        worksheet = strategy.worksheet_of(strategy.strategy_of(city), "context")
        strategy.save_section(worksheet, 0, {"notes": "Our first plan"}, trainer)
        db.session.commit()
        code = db.session.get(Cohort, cohort.id).join_code
        values = {
            **SAMPLE_ARGUMENTS,
            "municipality_id": city,
            "cohort_id": cohort.id,
            "user_id": trainer,
            "code": code,
        }
    return application, values


def https_client(app, email=None):
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    # Over HTTPS Flask-WTF also wants a same-origin Referer on forms, as a browser sends.
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    if email:
        assert login(client, email).status_code == 302
    return client


def test_every_response_carries_the_security_headers(populated):
    """T-HDR-1: every GET rule of the URL map (anonymous, administrator, trainer-coordinator),
    the static files and the 404/405/413/429/500 pages, under the HTTPS configuration. No
    nonce is needed or checked ("nonce reuse 0" holds trivially): the policy allows scripts
    from 'self' only and the pages carry no inline script at all
    (test_pages_have_no_inline_scripts_or_styles, and T-XSS-2 reports 0 CSP violations)."""
    app, values = populated
    urls = [url for url in walk_urls(app, values) if url != "/boom"]
    checked, problems, statuses = 0, [], {}
    principals = {None: https_client(app)}
    principals["admin@example.org"] = https_client(app, "admin@example.org")
    principals["trainer@example.org"] = https_client(app, "trainer@example.org")

    def check(response, url, signed_in):
        nonlocal checked
        checked += 1
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        static = url.startswith("/static/")
        found = header_problems(response, signed_in=signed_in and not static, https=True)
        problems.extend(f"{url} ({response.status_code}): {p}" for p in found)
        if response.status_code == 500 and url != "/boom":
            problems.append(f"{url}: 500")
        response.close()  # static files are streamed from an open file

    origin = {"Origin": "https://elsewhere.example"}
    for email, client in principals.items():
        for url in urls + ["/no/such/page", "/logout", "/boom"]:
            check(client.get(url, headers=origin), url, email is not None)
    anonymous = principals[None]
    token = csrf_token(anonymous, "/login")
    big = anonymous.post("/login", data={"csrf_token": token, "email": "a" * 3_000_000})
    check(big, "/login (oversize)", False)
    for _ in range(30):
        refused = anonymous.get("/setup/guess", headers=origin)
        if refused.status_code == 429:
            break
    check(refused, "/setup/guess (429)", False)
    for status in (200, 404, 405, 413, 429, 500):
        assert statuses.get(status), f"the walk produced no {status} response"
    print(
        f"\nT-HDR-1: {checked} responses ({len(urls)} URLs x {len(principals)} principals, "
        f"static files, 404/405/413/429/500 pages; statuses {dict(sorted(statuses.items()))}); "
        f"{len(problems)} missing/weak headers; nonce reuse 0 (no inline script, no nonce)"
    )
    assert problems == []
    assert big.status_code == 413 and refused.status_code == 429


def test_plain_http_configuration_sends_no_hsts_but_the_other_headers(app, client):
    """T-HDR-1 on the development (HTTP) configuration: HSTS only where HTTPS is configured."""
    response = client.get("/")
    assert header_problems(response, signed_in=False, https=False) == []
    assert "Strict-Transport-Security" not in response.headers


# ---------------------------------------------------------------- T-HDR-2 cookies


def parse_set_cookie(header: str) -> tuple[str, dict[str, str]]:
    pair, *attributes = (part.strip() for part in header.split(";"))
    name = pair.partition("=")[0]
    flags = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        flags[key.lower()] = value
    return name, flags


def cookie_problems(app, header: str) -> list[str]:
    name, flags = parse_set_cookie(header)
    deletion = flags.get("max-age") == "0" or "1970" in flags.get("expires", "")
    problems = []
    # What a browser needs to accept any cookie of ours, a deletion included (a __Host-
    # cookie set without Secure, Path=/ or with a Domain is ignored, so never deleted).
    if "secure" not in flags:
        problems.append("no Secure")
    if flags.get("path") != "/":
        problems.append(f"Path={flags.get('path')}")
    if "domain" in flags:
        problems.append(f"Domain={flags['domain']}")
    if name == app.config.get("REMEMBER_COOKIE_NAME", "remember_token"):
        problems.append("a remember-me cookie")
    if not deletion:
        if "httponly" not in flags:
            problems.append("no HttpOnly")
        if flags.get("samesite", "").lower() != "lax":
            problems.append(f"SameSite={flags.get('samesite')}")
    if name == app.config["SESSION_COOKIE_NAME"]:
        if not name.startswith("__Host-"):
            problems.append("session cookie without the __Host- prefix")
        if not deletion and int(flags.get("max-age", "0")) > 12 * 3600:
            problems.append("session cookie outlives 12 hours")
    return [f"{name}: {problem}" for problem in problems]


def test_every_cookie_has_the_production_flags(populated):
    """T-HDR-2: under the HTTPS (production) configuration, every Set-Cookie the site sends
    on a visit (anonymous reading, language choice, sign-in, signed-in pages, sign-out, the
    replay of an ended session, which deletes the cookie) is Secure, HttpOnly, SameSite=Lax,
    Path=/ without Domain; the session cookie is __Host-session, with no lifetime beyond the
    browser session; no remember-me cookie exists (Flask-Login's is never set)."""
    app, values = populated
    client = https_client(app)
    responses = [
        client.get("/login"),
        client.get("/guides/demo/intro/first"),
        client.post("/language", data={"lang": "ar", "next": "/"}),
    ]
    responses.append(login(client, "trainer@example.org"))
    ended = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    responses.append(client.get(f"/cities/{values['municipality_id']}/strategy"))
    responses.append(post(client, "/logout", token_from="/account"))
    replay = https_client(app)
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], ended)
    responses.append(replay.get("/account"))
    headers = [h for response in responses for h in response.headers.getlist("Set-Cookie")]
    names = {parse_set_cookie(h)[0] for h in headers}
    problems = [p for header in headers for p in cookie_problems(app, header)]
    print(
        f"\nT-HDR-2: {len(headers)} cookies inspected ({', '.join(sorted(names))}); "
        f"{len(problems)} flag violations"
    )
    assert "__Host-session" in names and len(names) >= 3
    assert problems == []


# ---------------------------------------------------------------- T-HDR-3 HTTP hygiene


def test_http_hygiene(app, client):
    """T-HDR-3: TRACE and unknown methods answer 405 with the error page; the application
    sets no Server header (gunicorn adds a bare "gunicorn", without version: checked in
    tests/test_two_servers.py); an oversize body gets the 413 page."""
    results = {}
    urls = ["/", "/login", "/account", "/guides/demo/intro/first"]
    for method in ("TRACE", "PROPFIND", "TRACK", "FOO"):
        answers = [client.open(url, method=method) for url in urls]
        results[f"{method} -> 405 page"] = all(
            a.status_code == 405 and "not possible here" in text_of(a) for a in answers
        )
    pages = [client.get(url) for url in urls] + [client.get("/no/such/page")]
    results["no Server header from the application"] = not any(
        "Server" in page.headers for page in pages
    )
    token = csrf_token(client, "/login")
    oversize = client.post("/login", data={"csrf_token": token, "email": "a" * 3_000_000})
    results["oversize body -> 413 page"] = (
        oversize.status_code == 413 and "too much to send" in text_of(oversize)
    )
    print(
        "\nT-HDR-3: "
        + "; ".join(f"{check}: {'pass' if ok else 'FAIL'}" for check, ok in results.items())
    )
    assert all(results.values())
