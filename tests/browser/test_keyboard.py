"""The quiz and the worksheet can be completed with the keyboard alone, in English, in a
right-to-left locale (Dhivehi, Thaana script) and in an Indic one (Bengali)."""

import pytest
from flask_babel import force_locale, gettext

from app.extensions import db
from app.models import MunicipalRole, QuizAttempt
from tests.browser.test_accessibility import sign_in
from tests.helpers import make_municipality, make_user

pytestmark = pytest.mark.browser

KEYBOARD_LOCALES = ["en", "dv", "bn"]
WORKSHEET_FIELDS = ["notes", "summary", "kind", "levels", "trust"]  # the fixture's order


def focused(page, expression):
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {expression}; }})()")


def tab_until(page, predicate, limit=150, visited=None):
    """Press Tab until the focused element satisfies the predicate (a JS expression); the
    names of the fields passed on the way are appended to `visited`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if visited is not None:
            name = focused(page, "el.name || ''")
            if name and (not visited or visited[-1] != name):
                visited.append(name)
        if focused(page, predicate):
            return True
    return False


def in_locale(app, lang, message):
    with app.test_request_context(), force_locale(lang):
        return gettext(message)


def open_in(page, lang):
    page.set_extra_http_headers({"Accept-Language": lang})


def assert_language(page, lang):
    found = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
    assert found == [lang, "rtl" if lang in ("ar", "ur", "dv") else "ltr"]


@pytest.mark.parametrize("lang", KEYBOARD_LOCALES)
def test_skip_link_comes_first_and_the_quiz_is_done_by_keyboard(app, live_server, page, lang):
    user_id = make_user(app)
    open_in(page, lang)
    sign_in(page, live_server, "member@example.org")
    page.goto(f"{live_server}/guides/demo/intro/quiz")
    assert_language(page, lang)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    answered = []
    for _ in range(3):  # one answer per question: Tab into the group, Space picks the option
        assert tab_until(page, "el.type === 'radio' || el.type === 'checkbox'")
        page.keyboard.press("Space")
        name = page.evaluate("document.activeElement.name")
        assert focused(page, "el.checked")
        answered.append(name)
        # Leave this question's group before looking for the next one.
        assert tab_until(page, f"el.name !== '{name}'")
        page.keyboard.press("Shift+Tab")
    # Focus visits the questions in their order, each once, then reaches the submit button.
    assert answered == ["q0", "q1", "q2"]
    assert tab_until(page, "el.type === 'submit' && el.form && el.form.action.includes('/quiz/')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/quiz/attempts/*")
    assert_language(page, lang)
    assert page.locator("main h1").inner_text() == in_locale(app, lang, "Quiz result")
    with app.app_context():
        attempt = db.session.query(QuizAttempt).filter_by(user_id=user_id).one()
        assert attempt.submitted_at is not None
        assert len(attempt.answers) == 3
    print(f"\nkeyboard {lang}: quiz answered in focus order {answered}, submitted by Enter")


@pytest.mark.parametrize("lang", KEYBOARD_LOCALES)
def test_a_worksheet_is_filled_and_saved_by_keyboard(app, live_server, page, lang):
    city = make_municipality(app)
    make_user(app, municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    open_in(page, lang)
    sign_in(page, live_server, "member@example.org")
    page.goto(f"{live_server}/cities/{city}/strategy/context")
    assert_language(page, lang)
    assert tab_until(page, "el.name === 'notes'")
    page.keyboard.type("Typed with the keyboard")
    visited = ["notes"]
    assert tab_until(page, "el.type === 'submit' && el.name === 'submit'", visited=visited)
    # Every field of the worksheet is on the way to the save button, in the worksheet's order.
    fields = [name for name in visited if name in WORKSHEET_FIELDS]
    assert fields == WORKSHEET_FIELDS
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Typed with the keyboard" in page.locator("textarea[name=notes]").input_value()
    assert in_locale(app, lang, "Saved.") in page.locator("main").inner_text()
    print(f"\nkeyboard {lang}: worksheet fields in focus order {fields}, saved by Enter")
