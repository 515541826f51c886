"""Guide content in other languages: the gettext domain `guides`, one catalog per locale."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog as MessageCatalog
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from app.content import render
from app.content.catalog import Catalog

DOMAIN = "guides"


class ContentTranslations:
    """Loads each locale's compiled `guides` catalog once and keeps it for the process."""

    def __init__(self, directory: str | Path):
        self.directory = str(directory)
        self._loaded: dict[str, NullTranslations] = {}

    def for_locale(self, locale: str) -> NullTranslations:
        if locale not in self._loaded:
            self._loaded[locale] = Translations.load(self.directory, [locale], domain=DOMAIN)
        return self._loaded[locale]

    def gettext(self, locale: str, text: str) -> str:
        if not text or locale == "en":
            return text
        return self.for_locale(locale).gettext(text)


def content_messages(catalog: Catalog) -> MessageCatalog:
    """Every translatable string of the content, with where it comes from."""
    messages = MessageCatalog(domain=DOMAIN, project="Strong Cities learning: guide content")

    def add(text: str, source: str, line: int | None = None) -> None:
        if text and text.strip():
            message = messages.add(text, locations=[(source, line)])
            # Content is never %-formatted: "42% in 2026" is text, not a placeholder.
            message.flags.discard("python-format")
            message.flags.add("no-python-format")

    for section in catalog.worksheets:
        spec = section.spec
        add(spec.title, section.source)
        add(spec.summary, section.source)
        for field in spec.fields:
            for item in (field, *(field.columns or ())):
                for text in (item.label, item.help, item.low_label, item.high_label):
                    add(text, section.source)
                for choice in item.options or ():
                    add(choice.label, section.source)
    _add_readiness_and_glossary(catalog, add)
    for guide in catalog.guides:
        for text in (guide.title, guide.summary, guide.audience):
            add(text, guide.source)
        for module in guide.modules:
            for text in (module.title, module.summary, *module.objectives, *module.reflection):
                add(text, module.source)
            for step in module.steps:
                add(step.title, step.source, 2)
                for point in step.key_points:
                    add(point, step.source, 3)
                for text, line in render.blocks(step.body):
                    add(text, step.source, step.body_first_line + line)
            quiz_source = module.source.replace("module.yaml", "quiz.yaml")
            for question in module.quiz.questions:
                add(question.prompt, quiz_source)
                for option in question.options:
                    add(option.text, quiz_source)
                    add(option.feedback, quiz_source)
    return messages


def _add_readiness_and_glossary(catalog: Catalog, add) -> None:
    if catalog.readiness is not None:
        readiness = catalog.readiness
        source = "guides/readiness.yaml"
        for text in (readiness.title, readiness.intro, *readiness.scale_labels):
            add(text, source)
        for theme in readiness.themes:
            add(theme.title, source)
        for statement in readiness.statements:
            add(statement.text, source)
    if catalog.glossary is not None:
        for term in catalog.glossary.terms:
            add(term.term, "guides/glossary.yaml")
            add(term.definition, "guides/glossary.yaml")


def translated_share(catalog: Catalog, po_path: Path) -> tuple[int, int]:
    """(translated, total) content messages for one locale's catalog source."""
    wanted = {message.id for message in content_messages(catalog) if message.id}
    if not po_path.is_file():
        return 0, len(wanted)
    with po_path.open("rb") as handle:
        po = read_po(handle)
    done = sum(1 for message in po if message.id in wanted and message.string and not message.fuzzy)
    return done, len(wanted)
