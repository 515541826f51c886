"""A printable certificate once every module of a guide is completed."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app import access
from app.learn import progress
from app.learn.routes import blueprint, guide_or_404


@blueprint.route("/guides/<guide_slug>/certificate")
@access.signed_in
def certificate(guide_slug):
    guide = guide_or_404(guide_slug)
    rows = progress.progress_by_module(current_user.id, [m.key for m in guide.modules])
    completed = [
        rows[m.key].completed_at
        for m in guide.modules
        if m.key in rows and rows[m.key].completed_at
    ]
    if len(completed) < len(guide.modules):
        return render_template(
            "learn/certificate_pending.html", guide=guide, done=len(completed)
        ), 403
    return render_template("learn/certificate.html", guide=guide, completed_on=max(completed))
