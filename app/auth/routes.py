"""Signing in and out, the setup link, invitations, password resets and the account page."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import select

from app import access
from app.auth import services, throttle, twofactor
from app.auth.forms import (
    ButtonForm,
    ChangePasswordForm,
    NewAccountForm,
    ProfileForm,
    ResetPasswordForm,
    SignInForm,
)
from app.auth.passwords import verify_password
from app.auth.sessions import begin_signed_in_session, end_sessions_of
from app.extensions import db, limiter, login_manager
from app.models import InvitationPurpose, SiteRole, User, UserSession
from app.security_log import security_event
from app.urls import safe_next

blueprint = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def _account_key() -> str:
    return "account:" + throttle.throttle_key(request.form.get("email", ""))


def _per_address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_PER_IP"]


# Every pathway that checks a secret goes through a limiter. Link tokens and the forms behind
# them get the sign-in form's per-address limit; a signed-in person's password checked again
# (password change, two-factor settings, recovery codes) gets the per-account one, shared
# across those forms so that each does not add its own allowance.
link_token_checks = limiter.limit(_per_address_limit)
password_rechecks = limiter.shared_limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"],
    scope="password-recheck",
    key_func=lambda: f"password-recheck:{current_user.get_id()}",
    methods=["POST"],
)


def start_session(user: User) -> None:
    begin_signed_in_session(user)
    security_event("sign_in", "ok", actor_id=user.id)


@blueprint.route("/login", methods=["GET", "POST"])
@access.public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        result = services.sign_in(form.email.data, form.password.data)
        if result.user is not None and result.user.totp_secret:
            db.session.commit()
            return twofactor.ask_for_second_factor(result.user, request.args.get("next"))
        if result.user is not None:
            start_session(result.user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        db.session.commit()  # keep the failure count
        security_event(
            "sign_in",
            "locked" if result.refusal and result.refusal.locked else "refused",
            account=throttle.throttle_key(form.email.data)[:3] + "…",
        )
        flash(_refusal_message(result.refusal), "error")
    return render_template("auth/login.html", form=form)


def _refusal_message(refusal: throttle.Refusal | None) -> str:
    if refusal is None:
        return _("That email address and password do not match an active account.")
    when = format_datetime(refusal.until, "short")
    if refusal.locked:
        return _(
            "Too many failed attempts. Signing in to this account is paused until "
            "%(when)s. An administrator can send you a password reset link.",
            when=when,
        )
    return _("Several attempts have failed. Please wait until %(when)s and try again.", when=when)


@blueprint.route("/logout", methods=["POST"])
@access.public
def logout():
    logout_user()
    session.regenerate()  # the old session row is deleted, not merely emptied
    flash(_("You are signed out."), "info")
    response = redirect(url_for("learn.home"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


# Links carry a token; the landing route moves it into the session and redirects to a
# token-free address so the token never reaches a Referer header or an access log beyond this.
def _hold_token(kind: str, token: str, endpoint: str):
    session[kind] = token
    return redirect(url_for(endpoint))


@blueprint.route("/setup/<token>")
@access.public
@link_token_checks
def setup_link(token):
    return _hold_token("setup_token", token, "auth.setup")


@blueprint.route("/setup", methods=["GET", "POST"])
@access.public
@limiter.limit(_per_address_limit, methods=["POST"])
def setup():
    invitation = services.find_invitation(session.get("setup_token"), InvitationPurpose.SETUP)
    if invitation is None or services.has_accounts():
        abort(404)
    form = NewAccountForm()
    if form.validate_on_submit():
        user = services.create_account(
            form.email.data,
            form.name.data,
            form.password.data,
            form.locale.data,
            SiteRole.ADMIN,
        )
        services.accept_invitation(invitation, user)
        start_session(user)
        db.session.commit()
        flash(
            _("Welcome. You are the first administrator: add municipalities, then invite people."),
            "success",
        )
        return redirect(url_for("admin.index"))
    return render_template("auth/setup.html", form=form)


@blueprint.route("/invite/<token>")
@access.public
@link_token_checks
def invitation_link(token):
    return _hold_token("invite_token", token, "auth.invitation")


@blueprint.route("/invite", methods=["GET", "POST"])
@access.public
@limiter.limit(_per_address_limit, methods=["POST"])
def invitation():
    invite = services.find_invitation(session.get("invite_token"), InvitationPurpose.INVITE)
    if invite is None:
        return render_template("auth/invitation_invalid.html"), 404
    if current_user.is_authenticated:
        return _join_as_current_user(invite)
    form = NewAccountForm(email=invite.email)
    if form.validate_on_submit():
        user = services.account_from_form(form)
        if user is not None:
            services.accept_invitation(invite, user)
            session.pop("invite_token", None)
            start_session(user)
            db.session.commit()
            flash(_("Your account is ready."), "success")
            return redirect(url_for("learn.home"))
    return render_template("auth/invitation.html", form=form, invite=invite)


def _join_as_current_user(invite):
    form = ButtonForm()
    if form.validate_on_submit():
        services.accept_invitation(invite, current_user)
        session.pop("invite_token", None)
        db.session.commit()
        flash(_("The invitation was accepted."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/invitation_join.html", form=form, invite=invite)


@blueprint.route("/reset/<token>")
@access.public
@link_token_checks
def reset_link(token):
    return _hold_token("reset_token", token, "auth.reset_password")


@blueprint.route("/reset", methods=["GET", "POST"])
@access.public
@limiter.limit("5 per hour", methods=["POST"])
def reset_password():
    reset = services.find_password_reset(session.get("reset_token"))
    if reset is None:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    form.extra_context = _context_words(reset.user)
    if form.validate_on_submit():
        services.complete_password_reset(reset, form.password.data)
        logout_user()
        session.regenerate()
        db.session.commit()
        flash(_("Your password was changed. Please sign in with it."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=reset.user)


def _context_words(user: User) -> tuple[str, ...]:
    cities = tuple(m.municipality.name for m in user.memberships)
    return (user.email, user.name, *cities)


@blueprint.route("/account", methods=["GET", "POST"])
@access.signed_in
def account():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    if form.validate_on_submit():
        current_user.name = form.name.data.strip()
        current_user.locale = form.locale.data or None
        db.session.commit()
        flash(_("Your account was saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form)


@blueprint.route("/account/password", methods=["GET", "POST"])
@access.signed_in
@password_rechecks
def change_password():
    form = ChangePasswordForm()
    form.extra_context = _context_words(current_user)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append(_("That is not your current password."))
        else:
            ended = services.change_password(current_user, form.password.data, session.row_id)
            db.session.commit()
            flash(
                _("Your password was changed. Other sessions ended: %(count)s.", count=ended),
                "success",
            )
            return redirect(url_for("auth.account"))
    return render_template("auth/password.html", form=form)


@blueprint.route("/account/sessions")
@access.signed_in
def sessions():
    rows = db.session.execute(
        select(UserSession)
        .where(UserSession.user_id == current_user.id)
        .order_by(UserSession.last_seen.desc())
    ).scalars()
    return render_template(
        "auth/sessions.html", rows=list(rows), current_id=session.row_id, form=ButtonForm()
    )


@blueprint.route("/account/sessions/end-others", methods=["POST"])
@access.signed_in
def end_other_sessions():
    ended = end_sessions_of(current_user.id, keep_row_id=session.row_id)
    db.session.commit()
    flash(_("Other sessions ended: %(count)s.", count=ended), "success")
    return redirect(url_for("auth.sessions"))


# The second sign-in step and the account's own data add their routes to this blueprint.
from app.auth import account_routes, twofactor_routes  # noqa: E402, F401
