"""Cohort forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional, ValidationError

from app.auth.forms import NewAccountForm
from app.content import catalog, translate
from app.forms import at_most, locale_field, options, required
from app.learn.forms import CheckboxesField


class CohortForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[required(), at_most(120)],
        description=_l("For example: South Asia regional workshop, Colombo 2026"),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), at_most(2000)])
    language = locale_field(_l("Language of the cohort"), allow_automatic=False)
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    module_keys = CheckboxesField(_l("Modules assigned"), validators=[required()])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.module_keys.choices = options(
            (module.key, f"{translate(guide.title)}: {translate(module.title)}")
            for guide in catalog().guides
            for module in guide.modules
        )

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end comes before the start."))


class JoinCodeForm(FlaskForm):
    code = StringField(
        _l("Cohort code"),
        validators=[required(), at_most(20)],
        description=_l("The eight-letter code your trainer gave you."),
    )
    submit = SubmitField(_l("Continue"))


def municipality_field(required_choice=False):
    return SelectField(
        _l("Your municipality"),
        validators=[] if not required_choice else [required()],
        description=_l("The trainers see progress by municipality."),
    )


class JoinForm(FlaskForm):
    municipality = municipality_field()
    submit = SubmitField(_l("Join the cohort"))


class JoinWithAccountForm(NewAccountForm):
    municipality = municipality_field()
    submit = SubmitField(_l("Create my account and join"))
