"""Form pieces shared by several areas."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, ValidationError

from app.auth.passwords import MAX_LENGTH, password_problems
from app.i18n import language_name

# WTForms' own messages that our fields can show; listed so that extraction puts them in
# our catalog, where Flask-WTF looks them up.
BUILTIN_MESSAGES = (_l("Not a valid choice."), _l("Not a valid integer value."))


def required() -> DataRequired:
    return DataRequired(message=_l("Please fill this in."))


class TextLength(Length):
    """Length, after dropping NUL characters from text: nobody types them, and PostgreSQL text
    cannot hold them (a crafted request would otherwise end in a 500). Passwords are left
    alone: they are only ever hashed."""

    def __call__(self, form, field):
        if isinstance(field.data, str) and field.type != "PasswordField":
            field.data = field.data.replace("\x00", "")
            if field.flags.required and not field.data.strip():
                raise ValidationError(_l("Please fill this in."))
        super().__call__(form, field)


def at_most(characters: int) -> Length:
    return TextLength(max=characters, message=_l("Use at most %(max)d characters."))


def email_address() -> Email:
    return Email(message=_l("Enter an email address such as name@example.org."))


def between(low: int, high: int) -> NumberRange:
    return NumberRange(low, high, message=_l("Enter a number from %(min)s to %(max)s."))


class PasswordPolicy:
    """Checks a new password against the policy, with words from the form as context."""

    def __init__(self, *context_fields: str):
        self.context_fields = context_fields

    def __call__(self, form, field):
        context = tuple(
            str(getattr(form, name).data or "")
            for name in self.context_fields
            if hasattr(form, name)
        )
        context += tuple(getattr(form, "extra_context", ()))
        problems = password_problems(field.data or "", context)
        if problems:
            raise ValidationError(str(problems[0]))


def new_password_fields(*context_fields: str):
    """A new password and its confirmation, as a pair of class attributes."""
    password = PasswordField(
        _l("New password"),
        validators=[required(), at_most(MAX_LENGTH), PasswordPolicy(*context_fields)],
        description=_l(
            "At least 15 characters. Several unrelated words are easy to remember "
            "and hard to guess."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[required(), EqualTo("password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def locale_field(label=None, allow_automatic=True) -> SelectField:
    from app.config import LOCALES

    choices = [("", _l("Automatic (from my browser)"))] if allow_automatic else []
    choices += [(code, language_name(code)) for code in LOCALES]
    return SelectField(label or _l("Preferred language"), choices=options(choices), default="")
