"""Reading the guides, open to everyone; signed-in readers' progress is recorded."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, user_logged_in

from app import access
from app.content import catalog
from app.extensions import db
from app.learn import progress
from app.learn.forms import notes_form
from app.learn.notes import saved_notes
from app.learn.page_cache import render_public
from app.learn.quizzes import attempts_of

blueprint = Blueprint("learn", __name__)


def guide_or_404(guide_slug):
    return catalog().guide(guide_slug) or abort(404)


def module_or_404(guide_slug, module_slug):
    guide = guide_or_404(guide_slug)
    return guide, guide.module(module_slug) or abort(404)


@user_logged_in.connect
def _merge_progress_read_before_sign_in(app, user, **extra):
    keys = progress.anonymous_reading()
    if keys:
        progress.merge_anonymous_progress(user.id, keys)
        progress.forget_anonymous_reading()


@blueprint.route("/")
@access.public
def home():
    resume = progress.resume_point(current_user.id) if current_user.is_authenticated else None
    return render_template("learn/home.html", guides=catalog().guides, resume=resume)


@blueprint.route("/glossary")
@access.public
def glossary():
    terms = catalog().glossary.terms if catalog().glossary else ()
    linked = {term.id: [catalog().module(key) for key in term.modules] for term in terms}
    return render_public("learn/glossary.html", terms=terms, linked=linked)


@blueprint.route("/guides/<guide_slug>")
@access.public
def guide(guide_slug):
    guide = guide_or_404(guide_slug)
    states = {}
    if current_user.is_authenticated:
        rows = progress.progress_by_module(current_user.id, [m.key for m in guide.modules])
        states = {module.key: rows.get(module.key) for module in guide.modules}
    return render_public(
        "learn/guide.html", guide=guide, states=states, state_of=progress.module_state
    )


@blueprint.route("/guides/<guide_slug>/<module_slug>")
@access.public
def module(guide_slug, module_slug):
    guide, module = module_or_404(guide_slug, module_slug)
    sections = [catalog().worksheet(slug) for slug in module.worksheet_sections]
    context = {"row": None, "seen": set(), "attempts": [], "notes": None}
    if current_user.is_authenticated:
        context["row"] = progress.progress_by_module(current_user.id, [module.key]).get(module.key)
        context["seen"] = progress.seen_steps(current_user.id, module)
        context["attempts"] = attempts_of(current_user.id, module.key)
        if module.reflection:
            context["notes"] = notes_form(
                module.reflection, saved_notes(current_user.id, module.key)
            )
    return render_template(
        "learn/module.html", guide=guide, module=module, sections=sections, **context
    )


@blueprint.route("/guides/<guide_slug>/<module_slug>/<step_slug>")
@access.public
def step(guide_slug, module_slug, step_slug):
    guide, module = module_or_404(guide_slug, module_slug)
    step = module.step(step_slug) or abort(404)
    if current_user.is_authenticated:
        progress.record_step_view(current_user.id, step, len(module.steps))
        db.session.commit()
    else:
        progress.remember_anonymous_view(step)
    previous, following = module.neighbours(step)
    return render_public(
        "learn/step.html",
        guide=guide,
        module=module,
        step=step,
        previous=previous,
        following=following,
    )


# The other learning views add their routes to this blueprint.
from app.learn import (  # noqa: E402, F401
    certificate_routes,
    notes_routes,
    quiz_routes,
    readiness_routes,
)
