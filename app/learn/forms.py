"""Quiz, readiness and reflection forms, built from the content at request time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from app.content import translate
from app.content.schema import Question, Readiness
from app.forms import at_most, options

NOTE_LENGTH = 5000


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def answer_required():
    return InputRequired(message=_l("Please answer this question."))


def question_field_name(index: int) -> str:
    return f"q{index}"


def quiz_form(layout: list, questions: dict[str, Question], formdata=None) -> FlaskForm:
    """A form whose questions and options follow the attempt's stored order."""

    class QuizForm(FlaskForm):
        submit = SubmitField(_l("Submit my answers"))

    for index, (question_id, option_ids) in enumerate(layout):
        question = questions[question_id]
        texts = {option.id: option.text for option in question.options}
        choices = options((option_id, translate(texts[option_id])) for option_id in option_ids)
        kind = CheckboxesField if question.type == "multiple" else RadioField
        setattr(
            QuizForm,
            question_field_name(index),
            kind(translate(question.prompt), choices=choices, validators=[answer_required()]),
        )
    return QuizForm(formdata=formdata) if formdata is not None else QuizForm()


def readiness_form(readiness: Readiness, labels: list[str]) -> FlaskForm:
    class ReadinessForm(FlaskForm):
        submit = SubmitField(_l("See our profile"))

    scale = options((str(value), f"{value} · {label}") for value, label in enumerate(labels, 1))
    for statement in readiness.statements:
        setattr(
            ReadinessForm,
            f"s_{statement.id}",
            RadioField(translate(statement.text), choices=scale, validators=[answer_required()]),
        )
    return ReadinessForm()


def notes_form(prompts: tuple[str, ...], saved: dict[int, str]) -> FlaskForm:
    class NotesForm(FlaskForm):
        submit = SubmitField(_l("Save my notes"))

    for number, prompt in enumerate(prompts, 1):
        setattr(
            NotesForm,
            f"note{number}",
            TextAreaField(
                translate(prompt), validators=[at_most(NOTE_LENGTH)], default=saved.get(number, "")
            ),
        )
    return NotesForm()
