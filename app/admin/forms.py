"""Administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import Optional

from app.countries import country_choices
from app.forms import at_most, between, email_address, options, required
from app.models import MunicipalRole, SiteRole

SITE_ROLE_LABELS = {
    SiteRole.ADMIN: _l("Administrator"),
    SiteRole.TRAINER: _l("Trainer"),
    SiteRole.MEMBER: _l("Member"),
}
MUNICIPAL_ROLE_LABELS = {
    MunicipalRole.COORDINATOR: _l("Coordinator"),
    MunicipalRole.EDITOR: _l("Editor"),
    MunicipalRole.VIEWER: _l("Viewer"),
}

SITE_ROLE_OPTIONS = options((role.value, label) for role, label in SITE_ROLE_LABELS.items())
MUNICIPAL_ROLE_OPTIONS = options(
    (role.value, label) for role, label in MUNICIPAL_ROLE_LABELS.items()
)


class MunicipalityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[required(), at_most(120)])
    country = SelectField(_l("Country"), validators=[required()])
    region = StringField(
        _l("Region or hub"),
        validators=[Optional(), at_most(80)],
        description=_l("For example South Asia, or the name of a national programme."),
    )
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = options([("", _l("Choose a country")), *country_choices()])


def municipal_role_field() -> SelectField:
    return SelectField(
        _l("Role in the municipality"),
        choices=MUNICIPAL_ROLE_OPTIONS,
        default=MunicipalRole.EDITOR.value,
    )


class InvitationForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[required(), email_address(), at_most(254)])
    site_role = SelectField(
        _l("Site role"),
        choices=SITE_ROLE_OPTIONS,
        default=SiteRole.MEMBER.value,
    )
    municipality = SelectField(_l("Municipality"), coerce=str, validators=[Optional()])
    municipal_role = municipal_role_field()
    days = IntegerField(_l("Valid for (days)"), default=14, validators=[required(), between(1, 60)])
    submit = SubmitField(_l("Create the invitation link"))


class UserForm(FlaskForm):
    site_role = SelectField(
        _l("Site role"),
        choices=SITE_ROLE_OPTIONS,
    )
    active = BooleanField(_l("Account active"))
    submit = SubmitField(_l("Save"))


class MembershipForm(FlaskForm):
    municipality = SelectField(_l("Municipality"), coerce=str, validators=[required()])
    role = municipal_role_field()
    submit = SubmitField(_l("Add or change membership"))
