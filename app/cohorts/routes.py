"""Trainers' cohorts: creating them, the dashboard, participants, exports; and joining one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import access
from app.auth import services as accounts
from app.auth.sessions import begin_signed_in_session
from app.cohorts import dashboard as figures
from app.cohorts import exports, service
from app.cohorts.forms import CohortForm, JoinCodeForm, JoinForm, JoinWithAccountForm
from app.content import catalog
from app.downloads import attachment, refuse_cross_site
from app.extensions import db
from app.forms import options
from app.learn import quizzes
from app.learn.progress import progress_by_module
from app.learn.readiness import latest_two, profile
from app.models import Cohort, Municipality, User
from app.models.base import utcnow
from app.security_log import security_event
from app.strategy import export as documents
from app.strategy.service import strategy_of

blueprint = Blueprint("cohorts", __name__)
PAGE_SIZE = 100  # participants per dashboard page; the exports hold everyone


def _cohort_for_trainer(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not service.trains(current_user, cohort):
        abort(404)
    return cohort


@blueprint.route("/cohorts")
@access.trainers_only
def index():
    return render_template("cohorts/index.html", cohorts=service.visible_cohorts(current_user))


@blueprint.route("/cohorts/new", methods=["GET", "POST"])
@access.trainers_only
def new():
    form = CohortForm(language=current_user.locale or "en")
    if form.validate_on_submit():
        cohort = service.create_cohort(
            current_user,
            name=form.name.data,
            description=form.description.data,
            language=form.language.data,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            module_keys=form.module_keys.data,
        )
        db.session.commit()
        flash(
            _("The cohort was created. Share its code: %(code)s", code=cohort.join_code), "success"
        )
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=None)


@blueprint.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@access.trainers_only
def edit(cohort_id):
    cohort = _cohort_for_trainer(cohort_id)
    form = CohortForm(obj=cohort)
    if request.method == "GET":
        form.module_keys.data = cohort.module_keys
    if form.validate_on_submit():
        for name in ("name", "description", "language", "starts_on", "ends_on"):
            setattr(cohort, name, getattr(form, name).data)
        service.set_modules(cohort, form.module_keys.data)
        db.session.commit()
        flash(_("The cohort was saved."), "success")
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=cohort)


@blueprint.route("/cohorts/<int:cohort_id>/close", methods=["POST"])
@access.trainers_only
def close(cohort_id):
    cohort = _cohort_for_trainer(cohort_id)
    service.close(cohort)
    db.session.commit()
    flash(_("The cohort is closed: nobody can join any more."), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


@blueprint.route("/cohorts/<int:cohort_id>/members/<int:user_id>/remove", methods=["POST"])
@access.trainers_only
def remove_member(cohort_id, user_id):
    cohort = _cohort_for_trainer(cohort_id)
    service.membership(cohort.id, user_id) or abort(404)  # not a member: nothing to remove
    service.remove_member(cohort, user_id)
    db.session.commit()
    flash(_("The participant was removed from the cohort."), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


def _filtered(board: figures.Dashboard):
    """Filter by municipality or country and sort, as the dashboard's form asks."""
    people = board.participants
    city = request.args.get("municipality", type=int)
    country = request.args.get("country", "")
    if city:
        people = [p for p in people if p.municipality and p.municipality.id == city]
    if country:
        people = [p for p in people if p.municipality and p.municipality.country == country]
    order = request.args.get("sort", "name")
    keys = {
        "name": lambda p: p.user.name.casefold(),
        "municipality": lambda p: (p.municipality.name if p.municipality else "").casefold(),
        "progress": lambda p: -p.completed,
        "activity": lambda p: -(p.last_activity.timestamp() if p.last_activity else 0),
    }
    return sorted(people, key=keys.get(order, keys["name"]))


def _page_url(cohort, number: int) -> str:
    """The same filters and order, another page."""
    return url_for(
        "cohorts.show", cohort_id=cohort.id, **{**request.args.to_dict(), "page": number}
    )


@blueprint.route("/cohorts/<int:cohort_id>")
@access.trainers_only
def show(cohort_id):
    cohort = _cohort_for_trainer(cohort_id)
    board = figures.build(cohort)
    shared = service.shared_municipalities(cohort.id)
    peak = max((count for _week, count in board.activity), default=0) or 1
    people = _filtered(board)
    pages = max(1, -(-len(people) // PAGE_SIZE))
    number = min(max(request.args.get("page", 1, type=int), 1), pages)
    page = people[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    return render_template(
        "cohorts/dashboard.html",
        cohort=cohort,
        board=board,
        people=page,
        pages=pages,
        page_number=number,
        previous_page=_page_url(cohort, number - 1) if number > 1 else None,
        next_page=_page_url(cohort, number + 1) if number < pages else None,
        percents={n: format_percent(n / 100) for n in range(101)},
        shared=shared,
        peak=peak,
        join_link=url_for("cohorts.join", code=cohort.join_code, _external=True),
    )


@blueprint.route("/cohorts/<int:cohort_id>/export.<any(csv, xlsx):kind>")
@access.trainers_only
def export(cohort_id, kind):
    refuse_cross_site()
    cohort = _cohort_for_trainer(cohort_id)
    board = figures.build(cohort)
    security_event("cohort_export", "ok", cohort=cohort.id, format=kind)
    stem = f"{cohort.name} - {_('dashboard')}"
    if kind == "xlsx":
        content = exports.to_xlsx(
            {
                _("Participants"): exports.matrix_rows(board),
                _("Municipalities"): exports.city_rows(board),
                _("Modules"): exports.module_rows(board),
            }
        )
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        table = request.args.get("table", "matrix")
        if table not in exports.TABLES:
            abort(404)
        content = exports.to_csv(exports.TABLES[table](board))
        mimetype, stem = "text/csv", f"{stem} - {table}"
    return attachment(content, mimetype, f"{stem}.{kind}")


@blueprint.route("/cohorts/<int:cohort_id>/participants/<int:user_id>")
@access.trainers_only
def participant(cohort_id, user_id):
    cohort = _cohort_for_trainer(cohort_id)
    member = service.membership(cohort.id, user_id) or abort(404)
    user = db.session.get(User, user_id)
    modules = [m for m in (catalog().module(key) for key in cohort.module_keys) if m]
    rows = progress_by_module(user_id, [m.key for m in modules])
    attempts = {m.key: quizzes.attempts_of(user_id, m.key) for m in modules}
    readiness = None
    if catalog().readiness is not None:
        latest = latest_two(user_id)
        if latest:
            readiness = profile(
                catalog().readiness,
                latest[0].ratings,
                latest[1].ratings if len(latest) > 1 else None,
            )
    return render_template(
        "cohorts/participant.html",
        cohort=cohort,
        member=member,
        user=user,
        modules=modules,
        rows=rows,
        attempts=attempts,
        readiness=readiness,
    )


@blueprint.route("/cohorts/<int:cohort_id>/cities/<int:municipality_id>/strategy")
@access.trainers_only
def shared_strategy(cohort_id, municipality_id):
    cohort = _cohort_for_trainer(cohort_id)
    if municipality_id not in service.shared_municipalities(cohort.id):
        abort(404)
    municipality = db.session.get(Municipality, municipality_id) or abort(404)
    return documents.render_document(municipality, strategy_of(municipality_id))


# Joining, by link or code: open to anyone with the code, while the cohort is open.


@blueprint.route("/join", methods=["GET", "POST"])
@access.public
def enter_code():
    form = JoinCodeForm()
    if form.validate_on_submit():
        cohort = service.find_by_code(form.code.data)
        if cohort is not None:
            return redirect(url_for("cohorts.join", code=cohort.join_code))
        form.code.errors.append(_("No cohort has this code. Check it with your trainer."))
    return render_template("cohorts/enter_code.html", form=form)


def _municipality_options(preferred: int | None):
    cities = db.session.execute(select(Municipality).order_by(Municipality.name)).scalars()
    return options([("", _("Not listed / none")), *((str(c.id), c.name) for c in cities)])


@blueprint.route("/join/<code>", methods=["GET", "POST"])
@access.public
def join(code):
    cohort = service.find_by_code(code)
    if cohort is None or not cohort.is_open_for_joining(utcnow()):
        return render_template("cohorts/join_closed.html"), 404
    if current_user.is_authenticated:
        return _join_signed_in(cohort)
    form = JoinWithAccountForm()
    form.municipality.choices = _municipality_options(None)
    if form.validate_on_submit():
        user = accounts.account_from_form(form)
        if user is not None:
            service.join(cohort, user, int(form.municipality.data or 0) or None)
            begin_signed_in_session(user)
            db.session.commit()
            flash(_("Welcome to %(cohort)s.", cohort=cohort.name), "success")
            return redirect(url_for("learn.home"))
    return render_template("cohorts/join.html", cohort=cohort, form=form)


def _join_signed_in(cohort: Cohort):
    form = JoinForm()
    form.municipality.choices = _municipality_options(None)
    if request.method == "GET":
        member = service.membership(cohort.id, current_user.id)
        default = (
            member.municipality_id
            if member
            else (current_user.memberships[0].municipality_id if current_user.memberships else None)
        )
        form.municipality.data = str(default or "")
    if form.validate_on_submit():
        service.join(cohort, current_user, int(form.municipality.data or 0) or None)
        db.session.commit()
        flash(_("You are in %(cohort)s.", cohort=cohort.name), "success")
        return redirect(url_for("learn.home"))
    return render_template("cohorts/join.html", cohort=cohort, form=form)
