"""Reads guides/ into a Catalog, collecting every fault as `file:line: problem`."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt
from pydantic import BaseModel, ValidationError

from app.content.catalog import Catalog, Guide, Module, Step, WorksheetSection
from app.content.schema import (
    Glossary,
    GuideFile,
    ModuleFile,
    Quiz,
    Readiness,
    StepFront,
    WorksheetFile,
)
from app.content.yamlsource import SourceError, line_of, load_yaml, split_front_matter

WORKSHEETS_DIR = "worksheets"
READINESS_FILE = "readiness.yaml"
GLOSSARY_FILE = "glossary.yaml"
# Used only to find raw HTML, which the content must not contain (rendering disables it).
_html_finder = MarkdownIt("commonmark")


class ContentError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Reader:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[str] = []

    def name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def problem(self, path: Path, line: int, message: str) -> None:
        self.problems.append(f"{self.name(path)}:{line}: {message}")

    def parse(self, path: Path, model: type[BaseModel], text: str | None = None, first_line=1):
        """Validate a YAML file (or front matter) into a model, or record why not."""
        if text is None:
            if not path.is_file():
                self.problem(path, 1, "file is missing")
                return None
            text = path.read_text(encoding="utf-8")
        try:
            data, lines = load_yaml(text, first_line)
        except SourceError as error:
            self.problem(path, error.line, error.message)
            return None
        if not isinstance(data, dict):
            self.problem(path, first_line, "expected a mapping of keys to values")
            return None
        try:
            return model.model_validate(data)
        except ValidationError as error:
            items = error.errors()
            failing = {item["loc"] for item in items}
            for item in items:
                location = item["loc"]
                if item["type"] == "too_short" and any(
                    other[: len(location)] == location and other != location for other in failing
                ):
                    continue  # only a consequence of an item that failed: say the cause
                where = ".".join(str(part) for part in location)
                message = item["msg"].removeprefix("Value error, ")
                self.problem(path, line_of(lines, location), f"{where or 'file'}: {message}")
            return None


def load_catalog(root: str | Path) -> Catalog:
    root = Path(root)
    reader = _Reader(root)
    if not root.is_dir():
        raise ContentError([f"{root}: the guides folder does not exist"])
    worksheets = _load_worksheets(reader, root / WORKSHEETS_DIR)
    known_sections = {section.slug for section in worksheets}
    guides = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != WORKSHEETS_DIR):
        guide = _load_guide(reader, folder, known_sections)
        if guide is not None:
            guides.append(guide)
    if not guides and not reader.problems:
        reader.problem(root, 1, "no guide found (a guide is a folder with guide.yaml)")
    module_keys = {f"{guide.slug}/{module.slug}" for guide in guides for module in guide.modules}
    readiness = _load_optional(reader, root / READINESS_FILE, Readiness, module_keys)
    glossary = _load_optional(reader, root / GLOSSARY_FILE, Glossary, module_keys)
    if reader.problems:
        raise ContentError(reader.problems)
    return Catalog(
        guides=tuple(guides), worksheets=tuple(worksheets), readiness=readiness, glossary=glossary
    )


def _load_optional(reader: _Reader, path: Path, model, module_keys: set[str]):
    """readiness.yaml and glossary.yaml: optional, and every module they name must exist."""
    if not path.is_file():
        return None
    spec = reader.parse(path, model)
    if spec is None:
        return None
    _, lines = load_yaml(path.read_text(encoding="utf-8"))
    key = "themes" if model is Readiness else "terms"
    for index, item in enumerate(getattr(spec, key)):
        for position, module_key in enumerate(item.modules):
            if module_key not in module_keys:
                line = line_of(lines, (key, index, "modules", position))
                reader.problem(path, line, f"{key}.{index}.modules: no module '{module_key}'")
    return spec


def _load_worksheets(reader: _Reader, folder: Path) -> list[WorksheetSection]:
    sections = []
    if not folder.is_dir():
        return sections
    for path in sorted(folder.glob("*.yaml")):
        spec = reader.parse(path, WorksheetFile)
        if spec is not None:
            sections.append(WorksheetSection(slug=path.stem, spec=spec, source=reader.name(path)))
    return sorted(sections, key=lambda section: (section.spec.order, section.slug))


def _load_guide(reader: _Reader, folder: Path, known_sections: set[str]) -> Guide | None:
    path = folder / "guide.yaml"
    spec = reader.parse(path, GuideFile)
    if spec is None:
        return None
    _check_listing(reader, path, "modules", spec.modules, folder, lambda p: p.is_dir())
    modules = []
    for slug in dict.fromkeys(spec.modules):
        module = _load_module(reader, folder.name, folder / slug, known_sections)
        if module is not None:
            modules.append(module)
    return Guide(
        slug=folder.name,
        title=spec.title,
        summary=spec.summary,
        audience=spec.audience,
        source_title=spec.source,
        modules=tuple(modules),
        source=reader.name(path),
    )


def _check_listing(reader, path, key, slugs, folder, exists) -> None:
    """Every listed entry exists, none is listed twice."""
    _, lines = load_yaml(path.read_text(encoding="utf-8"))
    seen = set()
    for index, slug in enumerate(slugs):
        line = line_of(lines, (key, index))
        if slug in seen:
            reader.problem(path, line, f"{key}: '{slug}' is listed twice")
        seen.add(slug)
        if not exists(folder / slug):
            reader.problem(path, line, f"{key}: '{slug}' does not exist in {reader.name(folder)}")


def _load_module(reader, guide_slug, folder: Path, known_sections) -> Module | None:
    if not folder.is_dir():
        return None
    path = folder / "module.yaml"
    spec = reader.parse(path, ModuleFile)
    if spec is None:
        return None
    _check_listing(
        reader, path, "steps", spec.steps, folder, lambda p: p.with_suffix(".md").is_file()
    )
    _, lines = load_yaml(path.read_text(encoding="utf-8"))
    for index, section in enumerate(spec.worksheet_sections):
        if section not in known_sections:
            reader.problem(
                path,
                line_of(lines, ("worksheet_sections", index)),
                f"worksheet_sections: no worksheet section '{section}' in guides/worksheets",
            )
    steps = []
    for number, slug in enumerate(dict.fromkeys(spec.steps), start=1):
        step = _load_step(reader, guide_slug, folder.name, folder / f"{slug}.md", number)
        if step is not None:
            steps.append(step)
    quiz = reader.parse(folder / "quiz.yaml", Quiz)
    if quiz is None or len(steps) != len(set(spec.steps)):
        return None
    return Module(
        guide_slug=guide_slug,
        slug=folder.name,
        title=spec.title,
        summary=spec.summary,
        minutes=spec.minutes,
        covers=spec.covers,
        objectives=spec.objectives,
        reflection=spec.reflection,
        worksheet_sections=spec.worksheet_sections,
        steps=tuple(steps),
        quiz=quiz,
        source=reader.name(path),
    )


def _load_step(reader, guide_slug, module_slug, path: Path, number: int) -> Step | None:
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        front_text, body, body_line = split_front_matter(text)
    except SourceError as error:
        reader.problem(path, error.line, error.message)
        return None
    front = reader.parse(path, StepFront, text=front_text, first_line=2)
    if not body.strip():
        reader.problem(path, body_line, "the step has no body text")
    for token in _html_finder.parse(body):
        if token.type in ("html_block", "html_inline") or any(
            child.type == "html_inline" for child in token.children or ()
        ):
            line = body_line + (token.map[0] if token.map else 0)
            reader.problem(path, line, "raw HTML is not allowed in guide text")
    if front is None:
        return None
    return Step(
        guide_slug=guide_slug,
        module_slug=module_slug,
        slug=path.stem,
        number=number,
        title=front.title,
        key_points=front.key_points,
        body=body,
        body_first_line=body_line,
        source=reader.name(path),
    )
