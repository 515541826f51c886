"""The second sign-in step and the account's two-factor settings."""

from __future__ import annotations

import time

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.auth import throttle, twofactor
from app.auth.forms import DisableTwoFactorForm, EnableTwoFactorForm, SecondFactorForm
from app.auth.passwords import verify_password
from app.auth.routes import blueprint, password_rechecks, start_session
from app.extensions import db, limiter
from app.models import User
from app.security_log import security_event
from app.urls import safe_next

ENROLMENT = "totp_enrolment"


def _pending_user() -> User | None:
    pending = session.get(twofactor.PENDING)
    if not pending or time.time() - pending["at"] > twofactor.PENDING_SECONDS:
        return None
    user = db.session.get(User, pending["user_id"])
    return user if user is not None and user.active and user.totp_secret else None


@blueprint.route("/login/two-factor", methods=["GET", "POST"])
@access.public
@limiter.limit("10 per minute", methods=["POST"])
def second_factor():
    user = _pending_user()
    if user is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        key = f"second-factor:{user.id}"
        refusal = throttle.check(key)
        if refusal is None and twofactor.check_second_factor(user, form.code.data):
            throttle.clear(key)
            next_url = session.pop(twofactor.PENDING)["next"]
            start_session(user)
            db.session.commit()
            return redirect(safe_next(next_url))
        if refusal is None:
            throttle.record_failure(key)
        db.session.commit()
        security_event("second_factor", "refused", actor_id=user.id)
        form.code.errors.append(_("That code is not right, or was used already."))
    return render_template("auth/second_factor.html", form=form)


@blueprint.route("/account/two-factor", methods=["GET", "POST"])
@access.signed_in
@password_rechecks
def two_factor():
    if current_user.totp_secret:
        return _manage_two_factor()
    secret = session.get(ENROLMENT) or twofactor.new_secret()
    session[ENROLMENT] = secret
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.password.data):
            form.password.errors.append(_("That is not your current password."))
        elif twofactor.verify_code(secret, form.code.data, None) is None:
            form.code.errors.append(_("That code is not right. Check the time on your phone."))
        else:
            codes = twofactor.enable(current_user, secret)
            session.pop(ENROLMENT, None)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes)
    return render_template(
        "auth/two_factor_enrol.html",
        form=form,
        secret=secret,
        qr=twofactor.provisioning_qr(secret, current_user.email),
    )


def _manage_two_factor():
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.password.data):
            form.password.errors.append(_("That is not your current password."))
        elif twofactor.must_enrol_if_disabled(current_user):
            abort(403)
        else:
            twofactor.disable(current_user)
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("auth.two_factor"))
    return render_template(
        "auth/two_factor_on.html",
        form=form,
        required=twofactor.must_enrol_if_disabled(current_user),
    )


@blueprint.route("/account/two-factor/recovery-codes", methods=["POST"])
@access.signed_in
@password_rechecks
def new_recovery_codes():
    if not current_user.totp_secret:
        abort(404)
    if not verify_password(current_user.password_hash, request.form.get("password", "")):
        flash(_("That is not your current password."), "error")
        return redirect(url_for("auth.two_factor"))
    codes = twofactor.issue_recovery_codes(current_user)
    db.session.commit()
    return render_template("auth/recovery_codes.html", codes=codes)
