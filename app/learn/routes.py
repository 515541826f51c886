"""Reading the guides, open to everyone with or without an account."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from app import access
from app.content import catalog

blueprint = Blueprint("learn", __name__)


def _guide_or_404(guide_slug):
    return catalog().guide(guide_slug) or abort(404)


def _module_or_404(guide_slug, module_slug):
    guide = _guide_or_404(guide_slug)
    return guide, guide.module(module_slug) or abort(404)


@blueprint.route("/")
@access.public
def home():
    return render_template("learn/home.html", guides=catalog().guides)


@blueprint.route("/guides/<guide_slug>")
@access.public
def guide(guide_slug):
    return render_template("learn/guide.html", guide=_guide_or_404(guide_slug))


@blueprint.route("/guides/<guide_slug>/<module_slug>")
@access.public
def module(guide_slug, module_slug):
    guide, module = _module_or_404(guide_slug, module_slug)
    sections = [catalog().worksheet(slug) for slug in module.worksheet_sections]
    return render_template("learn/module.html", guide=guide, module=module, sections=sections)


@blueprint.route("/guides/<guide_slug>/<module_slug>/<step_slug>")
@access.public
def step(guide_slug, module_slug, step_slug):
    guide, module = _module_or_404(guide_slug, module_slug)
    step = module.step(step_slug) or abort(404)
    previous, following = module.neighbours(step)
    return render_template(
        "learn/step.html",
        guide=guide,
        module=module,
        step=step,
        previous=previous,
        following=following,
    )
