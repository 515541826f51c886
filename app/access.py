"""Who may use each route. Every view declares a rule; a view without one is refused.

The rule decides on the role alone; object-level checks (is this your municipality?) happen
in the view and answer 404 so that other cities' records are not even confirmed to exist.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.twofactor import must_enrol
from app.models import SiteRole

AccessCheck = Callable[[object], bool]
ALWAYS_OPEN_ENDPOINTS = {"static"}


def _rule(check: AccessCheck, needs_account: bool, staff: bool = False):
    def decorate(view):
        view.access_check = check
        view.access_needs_account = needs_account
        view.access_for_staff = staff  # administrators' and trainers' pages need a 2nd factor
        return view

    return decorate


public = _rule(lambda user: True, needs_account=False)
signed_in = _rule(lambda user: True, needs_account=True)
admin_only = _rule(lambda user: user.site_role == SiteRole.ADMIN, needs_account=True, staff=True)
trainers_only = _rule(
    lambda user: user.site_role in (SiteRole.ADMIN, SiteRole.TRAINER),
    needs_account=True,
    staff=True,
)


def enforce_access():
    """before_request hook: deny by default."""
    if request.endpoint is None or request.endpoint in ALWAYS_OPEN_ENDPOINTS:
        return None
    view = current_app.view_functions.get(request.endpoint)
    check = getattr(view, "access_check", None)
    if check is None:
        current_app.logger.error("route %s declares no access rule", request.endpoint)
        abort(404)
    if view.access_needs_account and not current_user.is_authenticated:
        if getattr(session, "expired", False):
            flash(
                _("Your session ended after a while without activity. Please sign in again."),
                "info",
            )
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not check(current_user):
        abort(403)
    if getattr(view, "access_for_staff", False) and must_enrol(current_user):
        flash(
            _(
                "Administrators and trainers sign in with a second factor. Please turn on "
                "two-factor sign-in first."
            ),
            "info",
        )
        return redirect(url_for("auth.two_factor"))
    return None
