"""The guide catalog: load, validate, translate and render guides/."""

from __future__ import annotations

import sys

from flask import current_app
from markupsafe import Markup

from app.content.catalog import Catalog, Guide, Module, Step
from app.content.loader import ContentError, load_catalog
from app.content.render import render_markdown
from app.content.translations import ContentTranslations

__all__ = ["Catalog", "ContentError", "Guide", "Module", "Step", "catalog", "init_app"]


def init_app(app) -> None:
    try:
        loaded = load_catalog(app.config["GUIDES_DIR"])
    except ContentError as error:
        # Refuse to start, with the same report `flask guides check` gives; no traceback.
        print(_report_invalid(error), file=sys.stderr)
        raise SystemExit(1) from None
    app.extensions["guides"] = loaded
    app.extensions["guide_translations"] = ContentTranslations(
        app.config["BABEL_TRANSLATION_DIRECTORIES"]
    )
    app.jinja_env.globals.update(tr=translate, render_step=render_step, text_attrs=text_attrs)


def _report_invalid(error: ContentError) -> str:
    lines = "\n".join(error.problems)
    return f"{lines}\nThe guide content is invalid ({len(error.problems)} problems)."


def catalog() -> Catalog:
    return current_app.extensions["guides"]


def translate(text: str) -> str:
    """A content string in the current locale, or in English where it has no translation."""
    from app.i18n import select_locale

    return current_app.extensions["guide_translations"].gettext(select_locale(), text)


def text_attrs(text: str) -> Markup:
    """Attributes for an element showing a content string: its direction follows its own
    text, and a string still in English says so (lang="en") inside another language's page."""
    from app.i18n import select_locale

    locale = select_locale()
    translated = current_app.extensions["guide_translations"].gettext(locale, text)
    if locale != "en" and translated == text:
        return Markup(' dir="auto" lang="en"')
    return Markup(' dir="auto"')


def render_step(step: Step) -> Markup:
    from app.i18n import select_locale

    locale = select_locale()
    cache = catalog().rendered
    key = (step.key, locale)
    if key not in cache:
        translations = current_app.extensions["guide_translations"]
        html = render_markdown(
            step.body,
            lambda text: translations.gettext(locale, text),
            fallback_lang=None if locale == "en" else "en",
        )
        # Safe: render_markdown sanitises with nh3.
        cache[key] = Markup(html)  # noqa: S704  # nosec B704
    return cache[key]
