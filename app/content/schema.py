"""The shape of every content file, validated with pydantic into frozen objects."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
FieldId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
OptionId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GuideFile(Strict):
    title: Text
    summary: Text
    audience: Text
    source: str = ""
    modules: tuple[Slug, ...] = Field(min_length=1)


class ModuleFile(Strict):
    title: Text
    summary: Text
    minutes: int = Field(ge=1, le=600)
    covers: str = ""
    objectives: tuple[Text, ...] = Field(min_length=1)
    steps: tuple[Slug, ...] = Field(min_length=1)
    reflection: tuple[Text, ...] = ()
    worksheet_sections: tuple[Slug, ...] = ()


class StepFront(Strict):
    title: Text
    key_points: tuple[Text, ...] = ()


class Option(Strict):
    id: OptionId
    text: Text
    correct: bool
    feedback: Text


class Question(Strict):
    id: OptionId
    type: Literal["single", "multiple", "true_false"]
    prompt: Text
    options: tuple[Option, ...] = Field(min_length=2, max_length=8)

    @model_validator(mode="after")
    def _answers_make_sense(self):
        ids = [option.id for option in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError("option ids repeat within the question")
        correct = sum(option.correct for option in self.options)
        if correct == 0:
            raise ValueError("the question has no correct option")
        if self.type != "multiple" and correct != 1:
            raise ValueError(f"a {self.type} question needs exactly one correct option")
        if self.type == "true_false" and sorted(ids) != ["false", "true"]:
            raise ValueError("a true_false question has exactly the options 'true' and 'false'")
        return self

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(option.id for option in self.options if option.correct)


class Quiz(Strict):
    pass_mark: int = Field(ge=1, le=100)
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_questions(self):
        ids = [question.id for question in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids repeat within the quiz")
        return self


class Choice(Strict):
    id: FieldId
    label: Text


TEXT_TYPES = {"short_text": 200, "long_text": 8000}
FieldType = Literal["short_text", "long_text", "choice", "multi_choice", "rating", "table"]


class WorksheetField(Strict):
    id: FieldId
    type: FieldType
    label: Text
    help: str = ""
    max_length: int | None = Field(default=None, ge=1)
    options: tuple[Choice, ...] | None = None
    low_label: str | None = None
    high_label: str | None = None
    max_rows: int | None = Field(default=None, ge=1, le=200)
    columns: tuple[WorksheetField, ...] | None = None

    @model_validator(mode="after")
    def _settings_fit_the_type(self):
        kind = self.type
        if kind in TEXT_TYPES:
            if self.max_length is None:
                raise ValueError(f"a {kind} field needs max_length")
            if self.max_length > TEXT_TYPES[kind]:
                raise ValueError(f"max_length of a {kind} field is at most {TEXT_TYPES[kind]}")
        elif self.max_length is not None:
            raise ValueError(f"a {kind} field takes no max_length")
        if kind in ("choice", "multi_choice") and not self.options:
            raise ValueError(f"a {kind} field needs options")
        if kind not in ("choice", "multi_choice") and self.options:
            raise ValueError(f"a {kind} field takes no options")
        if kind == "table":
            if not self.columns or self.max_rows is None:
                raise ValueError("a table needs columns and max_rows")
            if any(column.type == "table" for column in self.columns):
                raise ValueError("a table cannot hold another table")
        elif self.columns or self.max_rows is not None:
            raise ValueError(f"a {kind} field takes no columns or max_rows")
        for group in (self.options or (), self.columns or ()):
            ids = [item.id for item in group]
            if len(set(ids)) != len(ids):
                raise ValueError("ids repeat within the field")
        return self


class WorksheetFile(Strict):
    title: Text
    summary: Text
    order: int
    fields: tuple[WorksheetField, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_fields(self):
        ids = [field.id for field in self.fields]
        if len(set(ids)) != len(ids):
            raise ValueError("field ids repeat within the section")
        return self


ModuleKey = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*$")
]


class ReadinessTheme(Strict):
    id: Slug
    title: Text
    modules: tuple[ModuleKey, ...] = Field(min_length=1)


class ReadinessStatement(Strict):
    id: Slug
    theme: Slug
    text: Text


class Readiness(Strict):
    """The city's self-assessment: statements rated 1 to 5, grouped into themes that point
    at the modules to take when the theme scores low."""

    title: Text
    intro: Text
    scale_labels: tuple[Text, Text, Text, Text, Text]
    themes: tuple[ReadinessTheme, ...] = Field(min_length=1)
    statements: tuple[ReadinessStatement, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_hold(self):
        theme_ids = [theme.id for theme in self.themes]
        if len(set(theme_ids)) != len(theme_ids):
            raise ValueError("theme ids repeat")
        statement_ids = [statement.id for statement in self.statements]
        if len(set(statement_ids)) != len(statement_ids):
            raise ValueError("statement ids repeat")
        unknown = {s.theme for s in self.statements} - set(theme_ids)
        if unknown:
            raise ValueError(f"statements name unknown themes: {', '.join(sorted(unknown))}")
        return self


class GlossaryTerm(Strict):
    id: Slug
    term: Text
    definition: Text
    modules: tuple[ModuleKey, ...] = ()


class Glossary(Strict):
    terms: tuple[GlossaryTerm, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_terms(self):
        ids = [term.id for term in self.terms]
        if len(set(ids)) != len(ids):
            raise ValueError("term ids repeat")
        return self
