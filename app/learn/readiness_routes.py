"""Taking the readiness self-assessment and reading its profile."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from app import access
from app.content import catalog, translate
from app.extensions import db
from app.i18n import select_locale, text_direction
from app.learn import readiness as service
from app.learn.forms import readiness_form
from app.learn.routes import blueprint
from app.models import ReadinessAssessment


def _readiness():
    return catalog().readiness or abort(404)


@blueprint.route("/readiness", methods=["GET", "POST"])
@access.signed_in
def readiness():
    spec = _readiness()
    labels = [translate(label) for label in spec.scale_labels]
    form = readiness_form(spec, labels)
    if form.validate_on_submit():
        ratings = {s.id: int(form[f"s_{s.id}"].data) for s in spec.statements}
        municipality = (
            current_user.memberships[0].municipality_id if current_user.memberships else None
        )
        assessment = ReadinessAssessment(
            user_id=current_user.id, ratings=ratings, municipality_id=municipality
        )
        db.session.add(assessment)
        db.session.commit()
        return redirect(url_for("learn.readiness_profile", assessment_id=assessment.id))
    return render_template("learn/readiness.html", spec=spec, form=form, labels=labels)


@blueprint.route("/readiness/<int:assessment_id>")
@access.signed_in
def readiness_profile(assessment_id):
    spec = _readiness()
    assessment = db.session.get(ReadinessAssessment, assessment_id)
    if assessment is None or assessment.user_id != current_user.id:
        abort(404)
    current, *earlier = service.latest_two(current_user.id, before_id=assessment.id)
    previous = earlier[0] if earlier else None
    scores = service.profile(spec, current.ratings, previous.ratings if previous else None)
    labels = [translate(score.theme.title) for score in scores]
    rtl = text_direction(select_locale()) == "rtl"
    return render_template(
        "learn/readiness_profile.html",
        spec=spec,
        assessment=current,
        previous=previous,
        scores=scores,
        rows=service.chart_rows(scores, labels, rtl),
        chart_width=service.CHART_WIDTH,
        chart_height=service.ROW_HEIGHT * len(scores),
        recommended=service.recommended_modules(scores),
    )
