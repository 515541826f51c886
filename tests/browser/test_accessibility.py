"""axe-core finds no serious or critical problem on any page type, in each of the eight locales,
and every page says which language and direction it is in.

One seeded site per database backend serves all eight locales (module-scoped), the admin signs in
once, and each locale gets a fresh browser context carrying that session and its Accept-Language.
"""

import os

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.cohorts import service as cohorts
from app.extensions import db, limiter
from app.models import Cohort, MunicipalRole, SiteRole, User
from tests.browser.conftest import serve
from tests.conftest import BACKENDS, _reset_schema, make_app
from tests.helpers import PASSWORD, make_municipality, make_user

pytestmark = pytest.mark.browser

LOCALES = ["en", "ar", "bn", "hi", "ur", "si", "ta", "dv"]
RIGHT_TO_LEFT = {"ar", "ur", "dv"}

PUBLIC = [
    "/",
    "/guides/demo",
    "/guides/demo/intro",
    "/guides/demo/intro/first",
    "/glossary",
    "/login",
    "/join",
]
SIGNED_IN = [
    "/account",
    "/account/sessions",
    "/notes",
    "/readiness",
    "/guides/demo/intro/quiz",
    "/cities/{city}",
    "/cities/{city}/strategy",
    "/cities/{city}/strategy/context",
    "/cities/{city}/strategy/context/history",
    "/cohorts",
    "/cohorts/{cohort}",
    "/admin/",
    "/admin/people",
]


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main input[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_site(request, tmp_path_factory, browser):
    """A live site with a city, a cohort and a signed-in admin: (base URL, URLs, session)."""
    if request.param == "postgresql":
        database_uri = os.environ["TEST_DATABASE_URL"]
    else:
        database_uri = f"sqlite:///{tmp_path_factory.mktemp('axe') / 'test.sqlite'}"
    app = make_app(database_uri)
    with app.app_context():
        _reset_schema()
    limiter.reset()
    city = make_municipality(app, "Trincomalee", "LK")
    admin_id = make_user(
        app,
        "admin@example.org",
        name="Site Admin",
        role=SiteRole.ADMIN,
        municipality_id=city,
        municipal_role=MunicipalRole.COORDINATOR,
    )
    with app.app_context():
        cohort = cohorts.create_cohort(
            db.session.get(User, admin_id), name="Hub", module_keys=["demo/intro"]
        )
        db.session.commit()
        cohort_id = db.session.get(Cohort, cohort.id).id
    signed_in = [url.format(city=city, cohort=cohort_id) for url in SIGNED_IN]
    with serve(app) as base:
        context = browser.new_context()
        sign_in(context.new_page(), base, "admin@example.org")
        session = context.storage_state()
        context.close()
        yield base, signed_in, session
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("lang", LOCALES)
def test_no_serious_or_critical_violations(seeded_site, browser, lang):
    base, signed_in, session = seeded_site
    expected = (lang, "rtl" if lang in RIGHT_TO_LEFT else "ltr")
    axe = Axe()
    problems, wrong_language = {}, {}
    for urls, state in ((PUBLIC, None), (signed_in, session)):
        context = browser.new_context(
            extra_http_headers={"Accept-Language": lang}, storage_state=state
        )
        page = context.new_page()
        for url in urls:
            response = page.goto(f"{base}{url}")
            assert response.status == 200, (url, response.status)
            assert page.url == f"{base}{url}", f"{url} redirected to {page.url}"
            found = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
            if tuple(found) != expected:
                wrong_language[url] = found
            problems[url] = _serious(axe, page)
        context.close()
    found = {url: issues for url, issues in problems.items() if issues}
    print(
        f"\naxe {lang}: {len(problems)} pages, "
        f"{sum(len(v) for v in found.values())} serious or critical violations; "
        f"{len(problems) - len(wrong_language)} of {len(problems)} pages are "
        f'<html lang="{expected[0]}" dir="{expected[1]}">'
    )
    assert len(problems) == len(PUBLIC) + len(SIGNED_IN)
    assert wrong_language == {}
    assert found == {}


def _serious(axe, page):
    result = axe.run(page)
    return [
        (violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]])
        for violation in result.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
