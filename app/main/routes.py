"""Site-wide routes: the language switcher and a health check for load balancers."""

from __future__ import annotations

from flask import Blueprint, redirect, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import text
from wtforms.validators import ValidationError

from app import access
from app.extensions import csrf, db
from app.i18n import LANGUAGE_COOKIE, enabled_locales
from app.urls import safe_next

blueprint = Blueprint("main", __name__)
ONE_YEAR = 365 * 24 * 3600


@blueprint.route("/language", methods=["POST"])
@access.public
@csrf.exempt
def choose_language():
    """Remember an explicit choice in a cookie and, for a signed-in person, in the account.

    Anonymous visitors post without a CSRF token so that reading a page needs no server
    session; the account's saved preference still demands one.
    """
    if current_user.is_authenticated:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as error:
            raise CSRFError(str(error)) from None
    code = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")))
    if code not in enabled_locales():
        return response
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=ONE_YEAR,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure,
    )
    return response


@blueprint.route("/csrf-token")
@access.signed_in
def fresh_csrf_token():
    """A token for the current session, for a page whose session expired and was renewed."""
    return {"token": generate_csrf()}


@blueprint.route("/healthz")
@access.public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
