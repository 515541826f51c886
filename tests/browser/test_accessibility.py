"""axe-core finds no serious or critical problem on any page type, in English and in Arabic."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from app.cohorts import service as cohorts
from app.extensions import db
from app.models import Cohort, MunicipalRole, SiteRole, User
from tests.helpers import PASSWORD, make_municipality, make_user

pytestmark = pytest.mark.browser

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


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_no_serious_or_critical_violations(app, live_server, browser, lang):
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
    context = browser.new_context(extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    axe = Axe()
    problems = {}
    for url in PUBLIC:
        problems[url] = _serious(axe, page, f"{live_server}{url}")
    sign_in(page, live_server, "admin@example.org")
    for url in SIGNED_IN:
        url = url.format(city=city, cohort=cohort_id)
        problems[url] = _serious(axe, page, f"{live_server}{url}")
    context.close()
    found = {url: issues for url, issues in problems.items() if issues}
    print(
        f"\naxe ({lang}): {len(problems)} pages, "
        f"{sum(len(v) for v in found.values())} serious or critical violations"
    )
    assert found == {}


def _serious(axe, page, url):
    page.goto(url)
    result = axe.run(page)
    return [
        (violation["id"], violation["impact"], len(violation["nodes"]))
        for violation in result.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
