"""Account settings that need the password again (email), and a person's own data: the
download of everything held about them, and deleting the account."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import func, select

from app import access
from app.auth import personal_data, services
from app.auth.forms import ChangeEmailForm, DeleteAccountForm
from app.auth.passwords import verify_password
from app.auth.routes import blueprint, password_rechecks
from app.downloads import attachment, refuse_cross_site
from app.extensions import db, limiter
from app.models import SiteRole, User
from app.security_log import security_event


def _password_is_wrong(field) -> bool:
    if verify_password(current_user.password_hash, field.data):
        return False
    field.errors.append(_("That is not your current password."))
    security_event("password_recheck", "refused")
    return True


@blueprint.route("/account/email", methods=["GET", "POST"])
@access.signed_in
@password_rechecks
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit() and not _password_is_wrong(form.password):
        email = services.normalise_email(form.email.data)
        taken = services.find_user_by_email(email)
        if taken is not None and taken.id != current_user.id:
            form.email.errors.append(_("Another account uses this email address."))
        else:
            security_event("email_change", "ok")
            current_user.email = email
            db.session.commit()
            flash(_("Your email address is now %(email)s.", email=email), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/email.html", form=form)


@blueprint.route("/account/data")
@access.signed_in
def my_data():
    counts = personal_data.registered_row_counts(current_user.id)
    return render_template("auth/my_data.html", rows=sum(counts.values()))


@blueprint.route("/account/data/download")
@access.signed_in
@limiter.limit("10 per minute", key_func=lambda: f"export:{current_user.id}")
def download_my_data():
    refuse_cross_site()
    security_event("personal_data_export", "ok")
    content = json.dumps(
        personal_data.export_personal_data(current_user), ensure_ascii=False, indent=2
    )
    return attachment(content.encode(), "application/json", "my-data.json")


def is_last_administrator(user: User) -> bool:
    if user.site_role != SiteRole.ADMIN:
        return False
    others = db.session.execute(
        select(func.count(User.id)).where(
            User.site_role == SiteRole.ADMIN, User.active, User.id != user.id
        )
    ).scalar_one()
    return others == 0


@blueprint.route("/account/delete", methods=["GET", "POST"])
@access.signed_in
@password_rechecks
def delete_account():
    last_admin = is_last_administrator(current_user)
    form = DeleteAccountForm()
    if not last_admin and form.validate_on_submit() and not _password_is_wrong(form.password):
        security_event("account_erased", "ok", subject=current_user.id)
        personal_data.erase_account(current_user)
        db.session.commit()
        logout_user()
        session.forget()
        flash(_("Your account was deleted."), "info")
        return redirect(url_for("learn.home"))
    return render_template("auth/delete_account.html", form=form, last_admin=last_admin)
