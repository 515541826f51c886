"""Taking a module's quiz, and the feedback on each attempt."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.extensions import db
from app.learn import quizzes
from app.learn.forms import question_field_name, quiz_form
from app.learn.routes import blueprint, module_or_404
from app.models import QuizAttempt


def _own_attempt(attempt_id: int, module) -> QuizAttempt:
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id or attempt.module_key != module.key:
        abort(404)
    return attempt


def _questions(module):
    return {question.id: question for question in module.quiz.questions}


@blueprint.route("/guides/<guide_slug>/<module_slug>/quiz")
@access.signed_in
def quiz(guide_slug, module_slug):
    guide, module = module_or_404(guide_slug, module_slug)
    attempt = quizzes.open_attempt(current_user.id, module)
    db.session.commit()
    form = quiz_form(attempt.layout, _questions(module))
    return render_template(
        "learn/quiz.html", guide=guide, module=module, attempt=attempt, form=form
    )


@blueprint.route("/guides/<guide_slug>/<module_slug>/quiz/<int:attempt_id>", methods=["POST"])
@access.signed_in
def submit_quiz(guide_slug, module_slug, attempt_id):
    guide, module = module_or_404(guide_slug, module_slug)
    attempt = _own_attempt(attempt_id, module)
    result_url = url_for(
        "learn.quiz_result", guide_slug=guide.slug, module_slug=module.slug, attempt_id=attempt.id
    )
    if attempt.submitted_at is not None:
        flash(_("These answers were already submitted. Here is their result."), "info")
        return redirect(result_url)
    if quizzes.is_expired(attempt) or not quizzes.layout_fits(attempt, module):
        flash(_("That attempt had expired, so nothing was scored. Here is a fresh one."), "info")
        return redirect(url_for("learn.quiz", guide_slug=guide.slug, module_slug=module.slug))
    form = quiz_form(attempt.layout, _questions(module), formdata=request.form)
    if not form.validate():
        return render_template(
            "learn/quiz.html", guide=guide, module=module, attempt=attempt, form=form
        ), 400
    answers = {}
    for index, (question_id, _options) in enumerate(attempt.layout):
        data = form[question_field_name(index)].data
        answers[question_id] = list(data) if isinstance(data, list) else [data]
    quizzes.submit(attempt, module, answers)
    db.session.commit()
    return redirect(result_url)


@blueprint.route("/guides/<guide_slug>/<module_slug>/quiz/attempts/<int:attempt_id>")
@access.signed_in
def quiz_result(guide_slug, module_slug, attempt_id):
    guide, module = module_or_404(guide_slug, module_slug)
    attempt = _own_attempt(attempt_id, module)
    if attempt.submitted_at is None:
        abort(404)
    questions = _questions(module)
    review = []
    for question_id, option_ids in attempt.layout:
        question = questions.get(question_id)
        if question is None:
            continue
        by_id = {option.id: option for option in question.options}
        chosen = attempt.answers.get(question_id, [])
        review.append(
            {
                "question": question,
                "options": [by_id[o] for o in option_ids if o in by_id],
                "chosen": set(chosen),
                "correct": quizzes.is_correct(question, chosen),
            }
        )
    return render_template(
        "learn/quiz_result.html", guide=guide, module=module, attempt=attempt, review=review
    )
