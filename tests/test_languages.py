"""Locale choice (saved preference, cookie, Accept-Language, English) and text direction."""

import pytest

from tests.helpers import login, make_user, post, soup

RTL = {"ar", "ur", "dv"}
ALL = ["en", "ar", "bn", "hi", "ur", "si", "ta", "dv"]


def html_attrs(response):
    root = soup(response).html
    return root["lang"], root["dir"]


def test_default_is_english_left_to_right(client):
    assert html_attrs(client.get("/")) == ("en", "ltr")


@pytest.mark.parametrize("code", ALL)
def test_accept_language_picks_the_locale_and_direction(client, code):
    response = client.get("/", headers={"Accept-Language": f"{code};q=0.9, fr;q=0.5"})
    assert html_attrs(response) == (code, "rtl" if code in RTL else "ltr")


def test_regional_variant_falls_back_to_the_language(client):
    assert html_attrs(client.get("/", headers={"Accept-Language": "ar-EG"}))[0] == "ar"


def test_unsupported_language_falls_back_to_english(client):
    assert html_attrs(client.get("/", headers={"Accept-Language": "fr-FR, de"}))[0] == "en"


def test_explicit_choice_beats_accept_language(client):
    response = post(client, "/language", {"lang": "bn", "next": "/guides/demo"})
    assert response.headers["Location"] == "/guides/demo"
    page = client.get("/", headers={"Accept-Language": "ar"})
    assert html_attrs(page) == ("bn", "ltr")


def test_saved_preference_beats_the_cookie(app, client):
    make_user(app, locale="ur")
    client.set_cookie("lang", "ta")
    login(client)
    assert html_attrs(client.get("/account")) == ("ur", "rtl")


def test_switching_language_while_signed_in_saves_the_preference(app, client):
    make_user(app, locale="ur")
    login(client)
    post(client, "/language", {"lang": "si", "next": "/account"})
    other_browser = app.test_client()
    login(other_browser)
    assert html_attrs(other_browser.get("/account"))[0] == "si"


def test_unknown_language_choice_is_ignored(client):
    post(client, "/language", {"lang": "xx"})
    assert html_attrs(client.get("/"))[0] == "en"


def test_switcher_names_each_language_in_itself(client):
    buttons = soup(client.get("/")).select("form.languages button")
    names = {button["value"]: button.get_text(strip=True) for button in buttons}
    assert names["ar"] == "العربية"
    assert names["bn"] == "বাংলা"
    assert names["dv"] == "ދިވެހިބަސް"
    assert set(names) == set(ALL)
