"""T-DATA-3: pages ask nothing of any other origin (no fonts, scripts or trackers elsewhere)."""

import pytest

from tests.browser.test_accessibility import sign_in
from tests.helpers import make_municipality, make_user

pytestmark = pytest.mark.browser


def test_every_request_stays_on_our_origin(app, live_server, page):
    city = make_municipality(app)
    make_user(app, municipality_id=city)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for url in ("/", "/guides/demo/intro/first", "/glossary", "/login"):
        page.goto(f"{live_server}{url}")
    sign_in(page, live_server, "member@example.org")
    for url in ("/account", f"/cities/{city}/strategy/context", "/guides/demo/intro/quiz"):
        page.goto(f"{live_server}{url}")
    elsewhere = [
        url for url in requested if not url.startswith(live_server) and not url.startswith("data:")
    ]
    print(f"\nT-DATA-3: {len(requested)} requests, {len(elsewhere)} to other origins")
    assert elsewhere == []
