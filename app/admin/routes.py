"""Administration: municipalities, people, invitations and password reset links."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from app import access
from app.admin.forms import (
    InvitationForm,
    MembershipForm,
    MunicipalityForm,
    UserForm,
)
from app.auth import personal_data, services, throttle
from app.auth.forms import ButtonForm, EraseAccountForm
from app.auth.sessions import end_sessions_of
from app.extensions import db
from app.forms import options
from app.mail import send_invitation, send_link
from app.models import Invitation, InvitationPurpose, Membership, Municipality, User
from app.models.base import utcnow
from app.security_log import security_event

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


def _municipality_choices():
    rows = db.session.execute(select(Municipality).order_by(Municipality.name)).scalars()
    return options((str(m.id), m.name) for m in rows)


@blueprint.route("/")
@access.admin_only
def index():
    counts = {
        "municipalities": db.session.scalar(select(func.count(Municipality.id))),
        "people": db.session.scalar(select(func.count(User.id))),
    }
    return render_template("admin/index.html", counts=counts)


@blueprint.route("/municipalities")
@access.admin_only
def municipalities():
    rows = db.session.execute(
        select(Municipality, func.count(Membership.id))
        .outerjoin(Membership)
        .group_by(Municipality.id)
        .order_by(Municipality.name)
    ).all()
    return render_template("admin/municipalities.html", rows=rows)


@blueprint.route("/municipalities/new", methods=["GET", "POST"])
@access.admin_only
def new_municipality():
    return _edit_municipality(Municipality(region=""))


@blueprint.route("/municipalities/<int:municipality_id>/edit", methods=["GET", "POST"])
@access.admin_only
def edit_municipality(municipality_id):
    return _edit_municipality(db.get_or_404(Municipality, municipality_id))


def _edit_municipality(municipality: Municipality):
    form = MunicipalityForm(obj=municipality)
    if form.validate_on_submit():
        form.populate_obj(municipality)
        municipality.name = municipality.name.strip()
        municipality.region = (municipality.region or "").strip()
        db.session.add(municipality)
        db.session.commit()
        flash(_("%(name)s was saved.", name=municipality.name), "success")
        return redirect(url_for("admin.municipalities"))
    return render_template("admin/municipality_form.html", form=form, municipality=municipality)


@blueprint.route("/people")
@access.admin_only
def people():
    users = db.session.execute(
        select(User)
        .options(selectinload(User.memberships).selectinload(Membership.municipality))
        .order_by(User.name)
    ).scalars()
    return render_template("admin/people.html", users=list(users))


@blueprint.route("/people/<int:user_id>", methods=["GET", "POST"])
@access.admin_only
def person(user_id):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, prefix="user")
    membership_form = MembershipForm(prefix="membership")
    membership_form.municipality.choices = _municipality_choices()
    if form.submit.data and form.validate_on_submit():
        if user.id == current_user.id and (
            form.site_role.data != user.site_role or not form.active.data
        ):
            flash(
                _("You cannot remove your own administrator role or deactivate yourself."), "error"
            )
        else:
            security_event(
                "role_change",
                "ok",
                subject=user.id,
                site_role=form.site_role.data,
                active=form.active.data,
            )
            user.site_role = form.site_role.data
            user.active = form.active.data
            if not user.active:
                end_sessions_of(user.id)
            db.session.commit()
            flash(_("%(name)s was saved.", name=user.name), "success")
        return redirect(url_for("admin.person", user_id=user.id))
    if membership_form.submit.data and membership_form.validate_on_submit():
        _set_membership(user, int(membership_form.municipality.data), membership_form.role.data)
        db.session.commit()
        flash(_("The membership was saved."), "success")
        return redirect(url_for("admin.person", user_id=user.id))
    return render_template(
        "admin/person.html",
        user=user,
        form=form,
        membership_form=membership_form,
        button=ButtonForm(),
        locked=throttle.check(user.email),
    )


def _set_membership(user: User, municipality_id: int, role: str) -> None:
    db.get_or_404(Municipality, municipality_id)
    membership = user.membership_in(municipality_id)
    if membership is None:
        user.memberships.append(Membership(municipality_id=municipality_id, role=role))
    else:
        membership.role = role


@blueprint.route("/people/<int:user_id>/memberships/<int:membership_id>/remove", methods=["POST"])
@access.admin_only
def remove_membership(user_id, membership_id):
    membership = db.get_or_404(Membership, membership_id)
    if membership.user_id != user_id:
        return redirect(url_for("admin.person", user_id=user_id))
    db.session.delete(membership)
    db.session.commit()
    flash(_("The membership was removed."), "success")
    return redirect(url_for("admin.person", user_id=user_id))


@blueprint.route("/people/<int:user_id>/reset-link", methods=["POST"])
@access.admin_only
def reset_link(user_id):
    user = db.get_or_404(User, user_id)
    token = services.issue_password_reset(user, created_by=current_user)
    db.session.commit()
    link = url_for("auth.reset_link", token=token, _external=True)
    mailed = send_link(
        user.email,
        _("Choose a new password"),
        _(
            "Open this link to choose a new password (it works once, for 24 hours): %(link)s",
            link=link,
        ),
    )
    return render_template(
        "admin/link_issued.html",
        user=user,
        link=link,
        kind="reset",
        mailed=mailed,
        email=user.email,
    )


@blueprint.route("/people/<int:user_id>/unlock", methods=["POST"])
@access.admin_only
def unlock(user_id):
    user = db.get_or_404(User, user_id)
    throttle.clear(user.email)
    db.session.commit()
    flash(_("Signing in is possible again for %(name)s.", name=user.name), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@blueprint.route("/people/<int:user_id>/end-sessions", methods=["POST"])
@access.admin_only
def end_sessions(user_id):
    user = db.get_or_404(User, user_id)
    ended = end_sessions_of(user.id)
    db.session.commit()
    flash(_("Sessions ended: %(count)s.", count=ended), "success")
    return redirect(url_for("admin.person", user_id=user.id))


@blueprint.route("/people/<int:user_id>/erase", methods=["GET", "POST"])
@access.admin_only
def erase_person(user_id):
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        return redirect(url_for("auth.delete_account"))
    form = EraseAccountForm()
    if form.validate_on_submit():
        security_event("account_erased", "ok", subject=user.id)
        personal_data.erase_account(user)
        db.session.commit()
        flash(_("The account was erased."), "success")
        return redirect(url_for("admin.people"))
    return render_template("admin/erase_person.html", user=user, form=form)


@blueprint.route("/invitations", methods=["GET", "POST"])
@access.admin_only
def invitations():
    form = InvitationForm()
    form.municipality.choices = [SelectChoice("", _("None")), *_municipality_choices()]
    if form.validate_on_submit():
        municipality = (
            db.get_or_404(Municipality, int(form.municipality.data))
            if form.municipality.data
            else None
        )
        token = services.create_invitation(
            created_by=current_user,
            email=form.email.data,
            site_role=form.site_role.data,
            municipality=municipality,
            municipal_role=form.municipal_role.data,
            lifetime=timedelta(days=form.days.data),
        )
        db.session.commit()
        link = url_for("auth.invitation_link", token=token, _external=True)
        mailed = send_invitation(form.email.data, link)
        return render_template(
            "admin/link_issued.html",
            link=link,
            kind="invitation",
            email=form.email.data,
            mailed=mailed,
        )
    pending = db.session.execute(
        select(Invitation)
        .options(selectinload(Invitation.municipality))
        .where(
            Invitation.purpose == InvitationPurpose.INVITE,
            Invitation.used_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.expires_at)
    ).scalars()
    return render_template("admin/invitations.html", form=form, pending=list(pending))
