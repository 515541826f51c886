"""The quiz and the worksheet can be completed with the keyboard alone."""

import pytest

from app.models import MunicipalRole
from tests.browser.test_accessibility import sign_in
from tests.helpers import make_municipality, make_user

pytestmark = pytest.mark.browser


def tab_until(page, predicate, limit=150):
    """Press Tab until the focused element satisfies the predicate (a JS expression)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
            return True
    return False


def test_skip_link_comes_first_and_the_quiz_is_done_by_keyboard(app, live_server, page):
    make_user(app)
    sign_in(page, live_server, "member@example.org")
    page.goto(f"{live_server}/guides/demo/intro/quiz")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(3):  # one answer per question: Tab into the group, Space picks the option
        assert tab_until(page, "el.type === 'radio' || el.type === 'checkbox'")
        page.keyboard.press("Space")
        name = page.evaluate("document.activeElement.name")
        # Leave this question's group before looking for the next one.
        assert tab_until(page, f"el.name !== '{name}'")
        page.keyboard.press("Shift+Tab")
    assert tab_until(page, "el.type === 'submit' && el.form && el.form.action.includes('/quiz/')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/quiz/attempts/*")
    assert "%" in page.locator("main .notice").inner_text()


def test_a_worksheet_is_filled_and_saved_by_keyboard(app, live_server, page):
    city = make_municipality(app)
    make_user(app, municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    sign_in(page, live_server, "member@example.org")
    page.goto(f"{live_server}/cities/{city}/strategy/context")
    assert tab_until(page, "el.name === 'notes'")
    page.keyboard.type("Typed with the keyboard")
    assert tab_until(page, "el.type === 'submit' && el.name === 'submit'")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Typed with the keyboard" in page.locator("textarea[name=notes]").input_value()
    assert "Saved." in page.locator("main").inner_text()
