"""Quiz attempts: a stable shuffled order per attempt, strict scoring, stored results."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from app.content import Module
from app.content.schema import Question
from app.extensions import db
from app.models import ModuleProgress, QuizAttempt
from app.models.base import utcnow

ATTEMPT_LIFETIME = timedelta(hours=24)
_shuffler = random.SystemRandom()


def shuffled_layout(module: Module) -> list[list]:
    questions = list(module.quiz.questions)
    _shuffler.shuffle(questions)
    layout = []
    for question in questions:
        option_ids = [option.id for option in question.options]
        if question.type != "true_false":  # True stays before False
            _shuffler.shuffle(option_ids)
        layout.append([question.id, option_ids])
    return layout


def is_expired(attempt: QuizAttempt) -> bool:
    return utcnow() - attempt.started_at > ATTEMPT_LIFETIME


def open_attempt(user_id: int, module: Module) -> QuizAttempt:
    """The person's unfinished attempt at this quiz, or a new one."""
    attempt = db.session.execute(
        select(QuizAttempt)
        .where(
            QuizAttempt.user_id == user_id,
            QuizAttempt.module_key == module.key,
            QuizAttempt.submitted_at.is_(None),
        )
        .order_by(QuizAttempt.started_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if attempt is not None and not is_expired(attempt) and layout_fits(attempt, module):
        return attempt
    attempt = QuizAttempt(
        user_id=user_id,
        module_key=module.key,
        layout=shuffled_layout(module),
        question_count=len(module.quiz.questions),
        started_at=utcnow(),
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


def layout_fits(attempt: QuizAttempt, module: Module) -> bool:
    """False when the quiz content changed since the attempt began."""
    by_id = {q.id: {o.id for o in q.options} for q in module.quiz.questions}
    shown = {qid: set(options) for qid, options in attempt.layout}
    return shown == by_id


def is_correct(question: Question, chosen: list[str]) -> bool:
    """All-or-nothing: a partly right multiple choice answer is wrong, not half right."""
    return set(chosen) == question.correct_ids


@dataclass(frozen=True)
class Outcome:
    correct: int
    total: int
    score: int
    passed: bool


def submit(attempt: QuizAttempt, module: Module, answers: dict[str, list[str]]) -> Outcome:
    questions = {question.id: question for question in module.quiz.questions}
    correct = sum(is_correct(questions[qid], answers.get(qid, [])) for qid, _ in attempt.layout)
    total = len(attempt.layout)
    score = round(100 * correct / total) if total else 0
    passed = score >= module.quiz.pass_mark
    attempt.answers = answers
    attempt.correct_count = correct
    attempt.score = score
    attempt.passed = passed
    attempt.submitted_at = utcnow()
    _update_module_progress(attempt.user_id, module, score, passed)
    db.session.flush()
    return Outcome(correct, total, score, passed)


def _update_module_progress(user_id: int, module: Module, score: int, passed: bool) -> None:
    progress = db.session.execute(
        select(ModuleProgress).where(
            ModuleProgress.user_id == user_id, ModuleProgress.module_key == module.key
        )
    ).scalar_one_or_none()
    if progress is None:
        progress = ModuleProgress(user_id=user_id, module_key=module.key, steps_seen=0)
        db.session.add(progress)
    progress.latest_score = score
    progress.best_score = max(score, progress.best_score or 0)
    progress.quiz_passed = bool(progress.quiz_passed or passed)
    progress.updated_at = utcnow()
    if (
        progress.quiz_passed
        and progress.completed_at is None
        and progress.steps_seen >= len(module.steps)
    ):
        progress.completed_at = utcnow()


def attempts_of(user_id: int, module_key: str) -> list[QuizAttempt]:
    return list(
        db.session.execute(
            select(QuizAttempt)
            .where(
                QuizAttempt.user_id == user_id,
                QuizAttempt.module_key == module_key,
                QuizAttempt.submitted_at.is_not(None),
            )
            .order_by(QuizAttempt.submitted_at.desc())
        ).scalars()
    )
