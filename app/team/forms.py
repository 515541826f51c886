"""The coordinator's invitation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SubmitField

from app.admin.forms import municipal_role_field
from app.forms import at_most, email_address, required


class TeamInvitationForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[required(), email_address(), at_most(254)])
    role = municipal_role_field()
    submit = SubmitField(_l("Create the invitation link"))
