"""Locale choice, text direction and language names for the eight languages we serve."""

from __future__ import annotations

from functools import cache

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_login import current_user

LANGUAGE_COOKIE = "lang"


def enabled_locales() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


@cache
def language_name(code: str) -> str:
    """The language's own name for itself: العربية, বাংলা, ދިވެހިބަސް ..."""
    return Locale.parse(code).get_display_name(code)


@cache
def text_direction(code: str) -> str:
    return Locale.parse(code).text_direction


def select_locale() -> str:
    """Saved preference, then an explicit choice (cookie), then Accept-Language, then English."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if "locale" in g:
        return g.locale
    enabled = enabled_locales()
    choice = None
    if current_user and current_user.is_authenticated and current_user.locale in enabled:
        choice = current_user.locale
    if choice is None and request.cookies.get(LANGUAGE_COOKIE) in enabled:
        choice = request.cookies[LANGUAGE_COOKIE]
    if choice is None:
        choice = request.accept_languages.best_match(enabled) or "en"
    g.locale = choice
    return choice


def locale_context() -> dict:
    code = select_locale()
    return {
        "lang": code,
        "text_dir": text_direction(code),
        "languages": [(c, language_name(c)) for c in enabled_locales()],
    }
