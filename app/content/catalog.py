"""The guide catalog as immutable objects, loaded once at start-up and shared read-only."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.content.schema import Glossary, Quiz, Readiness, WorksheetFile


@dataclass(frozen=True)
class Step:
    guide_slug: str
    module_slug: str
    slug: str
    number: int
    title: str
    key_points: tuple[str, ...]
    body: str  # Markdown source
    body_first_line: int
    source: str  # path relative to the project, for messages

    @property
    def key(self) -> str:
        return f"{self.guide_slug}/{self.module_slug}/{self.slug}"


@dataclass(frozen=True)
class Module:
    guide_slug: str
    slug: str
    title: str
    summary: str
    minutes: int
    covers: str
    objectives: tuple[str, ...]
    reflection: tuple[str, ...]
    worksheet_sections: tuple[str, ...]
    steps: tuple[Step, ...]
    quiz: Quiz
    source: str

    @property
    def key(self) -> str:
        return f"{self.guide_slug}/{self.slug}"

    def step(self, slug: str) -> Step | None:
        return next((step for step in self.steps if step.slug == slug), None)

    def neighbours(self, step: Step) -> tuple[Step | None, Step | None]:
        index = step.number - 1
        before = self.steps[index - 1] if index > 0 else None
        after = self.steps[index + 1] if index + 1 < len(self.steps) else None
        return before, after


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    summary: str
    audience: str
    source_title: str
    modules: tuple[Module, ...]
    source: str

    def module(self, slug: str) -> Module | None:
        return next((module for module in self.modules if module.slug == slug), None)


@dataclass(frozen=True)
class WorksheetSection:
    slug: str
    spec: WorksheetFile
    source: str


@dataclass(frozen=True)
class Catalog:
    guides: tuple[Guide, ...]
    worksheets: tuple[WorksheetSection, ...]
    readiness: Readiness | None = None
    glossary: Glossary | None = None
    # Rendered step HTML per (step key, locale); filled lazily, never invalidated because
    # the content does not change while the process runs.
    rendered: dict = field(default_factory=dict, compare=False, repr=False)

    def guide(self, slug: str) -> Guide | None:
        return next((guide for guide in self.guides if guide.slug == slug), None)

    def worksheet(self, slug: str) -> WorksheetSection | None:
        return next((section for section in self.worksheets if section.slug == slug), None)

    def module(self, key: str) -> Module | None:
        """A module by its key, `guide/module`."""
        guide_slug, _, module_slug = key.partition("/")
        guide = self.guide(guide_slug)
        return guide.module(module_slug) if guide else None

    def modules(self):
        for guide in self.guides:
            yield from guide.modules

    def steps(self):
        for module in self.modules():
            yield from module.steps

    def keys(self) -> set[str]:
        """Every key the database may store: modules and steps."""
        return {module.key for module in self.modules()} | {step.key for step in self.steps()}
