"""A municipality's team page: members see it, coordinators and administrators invite."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import access
from app.admin.forms import MUNICIPAL_ROLE_LABELS
from app.auth import services
from app.extensions import db
from app.mail import send_invitation
from app.models import Invitation, InvitationPurpose, Membership, Municipality
from app.models.base import utcnow
from app.team.forms import TeamInvitationForm

blueprint = Blueprint("team", __name__, url_prefix="/cities")


def _municipality_for(user, municipality_id: int) -> Municipality:
    """The municipality if the person belongs to it (or administers the site), else 404."""
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None or not (user.is_admin or user.membership_in(municipality_id)):
        abort(404)
    return municipality


def _may_invite(user, municipality_id: int) -> bool:
    return user.is_admin or user.coordinates(municipality_id)


@blueprint.route("/<int:municipality_id>", methods=["GET", "POST"])
@access.signed_in
def team(municipality_id):
    municipality = _municipality_for(current_user, municipality_id)
    may_invite = _may_invite(current_user, municipality_id)
    form = TeamInvitationForm()
    link = None
    mailed = False
    if may_invite and form.validate_on_submit():
        token = services.create_invitation(
            created_by=current_user,
            email=form.email.data,
            municipality=municipality,
            municipal_role=form.role.data,
        )
        db.session.commit()
        link = url_for("auth.invitation_link", token=token, _external=True)
        mailed = send_invitation(form.email.data, link)
    elif form.is_submitted() and not may_invite:
        abort(404)
    members = db.session.execute(
        select(Membership)
        .options(selectinload(Membership.user))
        .where(Membership.municipality_id == municipality_id)
    ).scalars()
    pending = (
        db.session.execute(
            select(Invitation).where(
                Invitation.municipality_id == municipality_id,
                Invitation.purpose == InvitationPurpose.INVITE,
                Invitation.used_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        ).scalars()
        if may_invite
        else []
    )
    return render_template(
        "team/team.html",
        municipality=municipality,
        members=list(members),
        pending=list(pending),
        form=form if may_invite else None,
        link=link,
        role_labels=MUNICIPAL_ROLE_LABELS,
        mailed=mailed,
    )
