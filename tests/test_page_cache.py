"""Public pages rendered once per language: the same bytes as a fresh render, never for a
signed-in reader, never holding a message meant for one visitor."""

from app.learn.page_cache import PageCache
from tests.conftest import make_app
from tests.helpers import login, make_user, soup

STEP = "/guides/demo/intro/first"


def _cache(app):
    return app.extensions["page_cache"]


def test_a_cached_step_page_is_byte_for_byte_a_fresh_render(app, database_uri):
    client = app.test_client()
    first = client.get(STEP)
    assert len(_cache(app)) == 1
    second = client.get(STEP)
    assert first.data == second.data

    uncached = make_app(database_uri, PUBLIC_PAGE_CACHE_SIZE=0)
    fresh = uncached.test_client().get(STEP)
    assert len(_cache(uncached)) == 0
    assert fresh.data == second.data


def test_each_language_has_its_own_page(app):
    english = app.test_client().get(STEP)
    arabic = app.test_client().get(STEP, headers={"Accept-Language": "ar"})
    assert soup(english).html["lang"] == "en"
    assert soup(arabic).html["lang"] == "ar" and soup(arabic).html["dir"] == "rtl"
    assert len(_cache(app)) == 2


def test_signed_in_readers_and_personal_messages_bypass_the_cache(app):
    app.test_client().get(STEP)  # an anonymous visitor fills the cache
    make_user(app, "reader@example.org")
    reader = app.test_client()
    login(reader, "reader@example.org")
    page = soup(reader.get(STEP))
    assert page.find("input", attrs={"name": "csrf_token"}) is not None  # sign-out form
    assert "Sign out" in page.get_text()

    visitor = app.test_client()
    with visitor.session_transaction() as held:
        held["_flashes"] = [("info", "A message for this visitor only")]
    assert "A message for this visitor only" in visitor.get(STEP).get_data(as_text=True)
    assert "A message for this visitor only" not in app.test_client().get(STEP).get_data(
        as_text=True
    )


def test_the_store_keeps_only_the_most_recent_pages():
    cache = PageCache(2)
    cache.put(("en", "/a"), "a")
    cache.put(("en", "/b"), "b")
    assert cache.get(("en", "/a")) == "a"  # /a is now the most recent
    cache.put(("en", "/c"), "c")
    assert cache.get(("en", "/b")) is None
    assert len(cache) == 2


def test_query_strings_are_rendered_afresh(app):
    # Otherwise ?x=1, ?x=2 ... would push every real page out of the store.
    client = app.test_client()
    client.get(STEP + "?utm=1")
    client.get(STEP + "?utm=2")
    assert len(_cache(app)) == 0


def test_reading_is_still_remembered_for_visitors_served_from_the_cache(app):
    app.test_client().get(STEP)  # cached by someone else
    visitor = app.test_client()
    response = visitor.get(STEP)
    assert "seen=" in response.headers.get("Set-Cookie", "")
