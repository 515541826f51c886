"""Worksheet forms built from the section definitions in guides/worksheets/."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional, Regexp

from app.content import translate
from app.content.schema import WorksheetField, WorksheetFile
from app.forms import at_most, options
from app.learn.forms import CheckboxesField
from app.models import StrategyStatus

# The hidden fields our pages fill in; any other value was not sent by them and is refused
# (a form error, never a 500 from int() or a database column limit).
# No Optional(): it would let whitespace through to int().
VERSION_PATTERN = Regexp(r"^[0-9]{0,9}\Z")
SAVE_ID_PATTERN = Regexp(r"^[A-Za-z0-9_-]{0,64}\Z")

# Our own message: WTForms' default is untranslated inside table rows (plain WTForms forms,
# without Flask-WTF's translations), and its multiple-choice wording is not in our catalogs.
NOT_A_CHOICE = _l("Not a valid choice.")

STATUS_LABELS = {
    StrategyStatus.DRAFT: _l("Draft"),
    StrategyStatus.IN_REVIEW: _l("In review"),
    StrategyStatus.ADOPTED: _l("Adopted"),
}


def _field(spec: WorksheetField):
    label = translate(spec.label)
    description = translate(spec.help) if spec.help else ""
    if spec.type in ("short_text", "long_text"):
        kind = StringField if spec.type == "short_text" else TextAreaField
        return kind(
            label, description=description, validators=[Optional(), at_most(spec.max_length)]
        )
    if spec.type == "choice":
        choices = [("", _l("Not chosen"))] + [(c.id, translate(c.label)) for c in spec.options]
        return SelectField(
            label,
            description=description,
            choices=options(choices),
            validators=[Optional()],
            invalid_choice_message=NOT_A_CHOICE,
        )
    if spec.type == "multi_choice":
        choices = [(c.id, translate(c.label)) for c in spec.options]
        return CheckboxesField(
            label,
            description=description,
            choices=options(choices),
            validators=[Optional()],
            invalid_choice_message=NOT_A_CHOICE,
        )
    if spec.type == "rating":
        choices = [(str(n), str(n)) for n in range(1, 6)]
        return RadioField(
            label,
            description=description,
            choices=options(choices),
            validators=[Optional()],
            invalid_choice_message=NOT_A_CHOICE,
        )
    row_form = type("RowForm", (Form,), {column.id: _field(column) for column in spec.columns})
    return FieldList(
        FormField(row_form), label=label, description=description, max_entries=spec.max_rows
    )


def section_form(spec: WorksheetFile, data: dict, formdata=None) -> FlaskForm:
    """The section's form, filled from `data` unless a submission is given."""
    attributes = {field.id: _field(field) for field in spec.fields}
    attributes["base_version"] = HiddenField(validators=[VERSION_PATTERN])
    attributes["save_id"] = HiddenField(validators=[SAVE_ID_PATTERN])
    attributes["submit"] = SubmitField(_l("Save"))
    form_class = type("SectionForm", (FlaskForm,), attributes)
    if formdata is not None:
        return form_class(formdata=formdata)
    values = {
        key: _form_value(spec_field, data.get(spec_field.id))
        for spec_field in spec.fields
        for key in [spec_field.id]
    }
    return form_class(formdata=None, data=values)


def _form_value(spec: WorksheetField, value):
    if spec.type == "rating":
        return str(value) if value else None
    return value


def submitted_data(spec: WorksheetFile, form) -> dict:
    return {field.id: form[field.id].data for field in spec.fields}


class ResolveForm(FlaskForm):
    base_version = HiddenField(validators=[Regexp(r"^[0-9]{1,9}\Z")])
    submit = SubmitField(_l("Save my choices"))


class StatusForm(FlaskForm):
    status = SelectField(
        _l("Status of the strategy"),
        choices=options((status.value, label) for status, label in STATUS_LABELS.items()),
    )
    submit = SubmitField(_l("Change the status"))


class ImportForm(FlaskForm):
    backup = FileField(
        _l("Strategy export (JSON)"),
        validators=[FileRequired(message=_l("Choose the file to import."))],
        description=_l(
            "A file exported from this application. Every section in it becomes a "
            "new version; earlier versions stay in the history."
        ),
    )
    submit = SubmitField(_l("Import"))
