"""Sign-in, account creation and account settings forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired

from app.auth.passwords import MAX_LENGTH
from app.forms import at_most, email_address, locale_field, new_password_fields, required


class SignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[required(), at_most(254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[required(), at_most(MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


class NewAccountForm(FlaskForm):
    """Used by the setup link and by invitations: a person names themselves and a password."""

    email = EmailField(
        _l("Email address"),
        validators=[required(), email_address(), at_most(254)],
        render_kw={"autocomplete": "email"},
    )
    name = StringField(
        _l("Your name"),
        validators=[required(), at_most(120)],
        render_kw={"autocomplete": "name"},
    )
    locale = locale_field()
    password, confirm = new_password_fields("email", "name")
    submit = SubmitField(_l("Create my account"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[required(), at_most(120)])
    locale = locale_field()
    submit = SubmitField(_l("Save"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[required(), at_most(MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Change password"))


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()
    submit = SubmitField(_l("Set the new password"))


class ButtonForm(FlaskForm):
    """A form that is only a button: it carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        validators=[required(), at_most(20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Continue"))


class EnableTwoFactorForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[required(), at_most(MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("The six-digit code your app shows now"),
        validators=[required(), at_most(20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[required(), at_most(MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Turn off two-factor sign-in"))


def _current_password() -> PasswordField:
    return PasswordField(
        _l("Your password"),
        validators=[required(), at_most(MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New email address"),
        validators=[required(), email_address(), at_most(254)],
        filters=[lambda value: value.strip() if value else value],
        render_kw={"autocomplete": "email"},
    )
    password = _current_password()
    submit = SubmitField(_l("Change email address"))


class DeleteAccountForm(FlaskForm):
    password = _current_password()
    confirm = BooleanField(
        _l("I understand that my account, progress and notes are deleted for good."),
        validators=[DataRequired(message=_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Delete my account"))


class EraseAccountForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that this person's account, progress and notes are deleted for good."),
        validators=[DataRequired(message=_l("Please tick the box to confirm."))],
    )
    submit = SubmitField(_l("Erase this account"))
