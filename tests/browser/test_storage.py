"""T-DATA-4 and T-CONC-5 in Chromium with JavaScript on: worksheet text never lands in browser
storage, signing out clears the site's data, and text typed while the session ended is saved
once the person signs in again."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.auth.sessions import end_sessions_of
from app.extensions import db
from app.models import MunicipalRole, UserSession, Worksheet, WorksheetRevision
from app.models.base import utcnow
from tests.browser.test_accessibility import sign_in
from tests.helpers import PASSWORD, make_municipality, make_user

pytestmark = pytest.mark.browser

# Everything the page could have kept: Web Storage, IndexedDB, Cache Storage (with bodies).
READ_STORAGE = """async () => {
  const entries = (store) => Object.keys(store).map((key) => [key, store.getItem(key)]);
  const databases = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [];
  const cached = [];
  if (window.caches) {
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) {
        const response = await cache.match(request);
        cached.push([name + " " + request.url, response ? await response.text() : ""]);
      }
      cached.push([name, ""]);
    }
  }
  return {local: entries(localStorage), session: entries(sessionStorage),
          indexeddb: databases.map((name) => [name, ""]), caches: cached};
}"""


def stored_keys(page) -> dict[str, list]:
    return page.evaluate(READ_STORAGE)


def keys_with(storage: dict[str, list], texts) -> list:
    return [
        (area, key)
        for area, entries in storage.items()
        for key, value in entries
        if any(text in f"{key} {value}" for text in texts)
    ]


def all_keys(storage: dict[str, list]) -> list:
    return [(area, key) for area, entries in storage.items() for key, _value in entries]


@pytest.fixture
def editor(app):
    city = make_municipality(app, "Trincomalee", "LK")
    user_id = make_user(
        app, "editor@example.org", municipality_id=city, municipal_role=MunicipalRole.EDITOR
    )
    return city, user_id


def wait_for_state(page, text, timeout=10_000):
    page.wait_for_function(
        "(text) => document.querySelector('.save-state').textContent.includes(text)",
        arg=text,
        timeout=timeout,
    )


def saved_notes(app, city) -> tuple[str, str]:
    with app.app_context():
        sheet = db.session.execute(select(Worksheet)).scalar_one()
        newest = db.session.execute(
            select(WorksheetRevision.data)
            .where(WorksheetRevision.worksheet_id == sheet.id)
            .order_by(WorksheetRevision.version.desc())
            .limit(1)
        ).scalar_one()
        db.session.remove()
        return sheet.data.get("notes", ""), newest.get("notes", "")


def test_no_worksheet_text_in_browser_storage_and_sign_out_clears_it(
    app, live_server, page, editor
):
    city, _user_id = editor
    texts = ["Storage canary notes 7f3a", "Canary summary 9c1e"]
    sign_in(page, live_server, "editor@example.org")
    page.goto(f"{live_server}/cities/{city}/strategy/context")
    page.locator("textarea[name=notes]").press_sequentially(texts[0])
    page.locator("input[name=summary]").press_sequentially(texts[1])
    wait_for_state(page, "Saved at")  # the autosave went to the server
    after_autosave = stored_keys(page)
    page.click("main form.worksheet input[name=submit]")
    page.wait_for_load_state()
    assert page.locator("textarea[name=notes]").input_value() == texts[0]
    after_editing = stored_keys(page)
    leaked = keys_with(after_autosave, texts) + keys_with(after_editing, texts)

    # A key planted as if a script had kept the text: signing out must clear it.
    page.evaluate("(text) => localStorage.setItem('planted', text)", texts[0])
    planted = keys_with(stored_keys(page), texts)
    with page.expect_response(lambda response: response.url.endswith("/logout")) as signed_out:
        page.click("header form[action$='/logout'] button")
    page.wait_for_load_state()
    clear_site_data = signed_out.value.all_headers().get("clear-site-data", "")
    after_sign_out = stored_keys(page)
    print(
        f"\nT-DATA-4: storage keys with content after editing: {len(leaked)}, "
        f"after sign-out: {len(keys_with(after_sign_out, texts))} "
        f"(keys of any kind after sign-out: {len(all_keys(after_sign_out))}; "
        f"Clear-Site-Data: {clear_site_data})"
    )
    assert leaked == []
    assert planted == [("local", "planted")]  # the check sees what is there
    assert '"storage"' in clear_site_data and '"cache"' in clear_site_data
    assert all_keys(after_sign_out) == []


def test_text_typed_while_the_session_ended_is_saved_after_signing_in_again(
    app, live_server, page, editor
):
    city, user_id = editor
    parts = ["Typed before. ", "Typed while signed out. ", "Typed after."]
    url = f"{live_server}/cities/{city}/strategy/context"
    sign_in(page, live_server, "editor@example.org")
    page.goto(url)
    notes = page.locator("textarea[name=notes]")
    notes.press_sequentially(parts[0])
    wait_for_state(page, "Saved at")

    # The session ends on the server as if left idle: the next request finds it expired.
    with app.app_context():
        db.session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id)
            .values(last_seen=utcnow() - timedelta(hours=2))
        )
        db.session.commit()
        db.session.remove()
    notes.press_sequentially(parts[1])
    wait_for_state(page, "sign in again")  # the autosave failed and says what to do
    assert notes.input_value() == "".join(parts[:2])  # the text stays on the page

    # As the message offers: sign in again in another tab, come back, keep typing.
    other = page.context.new_page()
    sign_in(other, live_server, "editor@example.org")
    other.close()
    page.bring_to_front()
    notes.press_sequentially(parts[2])
    wait_for_state(page, "Saved at")
    current, newest = saved_notes(app, city)
    typed = "".join(parts)
    storage = keys_with(stored_keys(page), parts)
    lost = len(typed) - len(newest) if typed.startswith(newest) else len(typed)
    print(
        f"\nT-CONC-5: characters typed {len(typed)}, characters in the final revision "
        f"{len(newest)} ({lost} lost); storage keys with content: {len(storage)}"
    )
    assert newest == current == typed
    assert storage == []


def test_text_typed_after_the_sessions_were_ended_is_saved_with_the_save_button(
    app, live_server, page, editor
):
    """The other way the message offers: press Save, sign in, find the text back, save."""
    city, user_id = editor
    parts = ["Typed before. ", "Typed after the end. ", "And more."]
    url = f"{live_server}/cities/{city}/strategy/context"
    sign_in(page, live_server, "editor@example.org")
    page.goto(url)
    notes = page.locator("textarea[name=notes]")
    notes.press_sequentially(parts[0])
    wait_for_state(page, "Saved at")

    # Ended on the server, as "end my other sessions" or a password change elsewhere does.
    with app.app_context():
        end_sessions_of(user_id)
        db.session.commit()
        db.session.remove()
    notes.press_sequentially(parts[1])
    wait_for_state(page, "sign in again")
    notes.press_sequentially(parts[2])
    page.click("main form.worksheet input[name=submit]")
    page.wait_for_url(lambda address: "/login?next=" in address)
    assert "nothing was saved yet" in page.locator("main").inner_text()
    page.fill("input[name=email]", "editor@example.org")
    page.fill("input[name=password]", PASSWORD)
    page.click("main input[type=submit]")
    page.wait_for_url(url)
    typed = "".join(parts)
    assert notes.input_value() == typed  # back on the form, not saved unseen
    page.click("main form.worksheet input[name=submit]")
    page.wait_for_load_state()
    current, newest = saved_notes(app, city)
    lost = len(typed) - len(newest) if typed.startswith(newest) else len(typed)
    print(
        f"\nT-CONC-5 (Save button): characters typed {len(typed)}, characters in the final "
        f"revision {len(newest)} ({lost} lost)"
    )
    assert newest == current == typed
