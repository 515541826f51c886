"""The cohort dashboard's figures, from a fixed number of queries whatever the cohort's size."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select

from app.content import Module, catalog
from app.extensions import db
from app.models import (
    Cohort,
    CohortMember,
    ModuleProgress,
    Municipality,
    QuizAttempt,
    StepProgress,
    Strategy,
    User,
    Worksheet,
)
from app.strategy.values import completion


class PersonRef(NamedTuple):
    id: int
    name: str


class CityRef(NamedTuple):
    id: int
    name: str
    country: str


# Light rows rather than ORM objects: a cohort of 1,000 has some 10,000 progress rows.
PROGRESS_COLUMNS = (
    ModuleProgress.user_id,
    ModuleProgress.module_key,
    ModuleProgress.best_score,
    # A flag, not the timestamp: thousands of rows need no datetime conversion.
    ModuleProgress.completed_at.is_not(None).label("done"),
)


@dataclass
class Participant:
    user: PersonRef
    municipality: CityRef | None
    cells: dict
    completed: int = 0
    last_activity: datetime | None = None

    def state(self, module_key: str) -> str:
        return _state(self.cells.get(module_key))

    def row(self, module_keys: list[str]) -> list[tuple[str, int | None]]:
        """(state, best score) per module, in the dashboard's column order."""
        cells = self.cells
        return [
            (
                _state(cells.get(key)),
                cells[key].best_score if cells.get(key) is not None else None,
            )
            for key in module_keys
        ]


@dataclass
class CityRollup:
    municipality: CityRef | None
    members: int = 0
    completion_sum: float = 0.0
    sections_started: int = 0
    sections_complete: int = 0
    status: str | None = None

    @property
    def average_completion(self) -> float:
        return self.completion_sum / self.members if self.members else 0.0


@dataclass
class ModuleRollup:
    module: Module
    completed: int = 0
    scores: list[int] = field(default_factory=list)
    wrong: Counter = field(default_factory=Counter)
    answered: Counter = field(default_factory=Counter)

    @property
    def average_score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    def most_missed(self, limit: int = 3):
        """(question, share answered wrong) for the questions most often got wrong."""
        questions = {question.id: question for question in self.module.quiz.questions}
        ranked = sorted(self.wrong.items(), key=lambda item: (-item[1], item[0]))
        return [
            (questions[qid], count / self.answered[qid])
            for qid, count in ranked[:limit]
            if qid in questions and count
        ]


@dataclass
class Dashboard:
    cohort: Cohort
    modules: list[Module]
    participants: list[Participant]
    cities: list[CityRollup]
    module_rollups: list[ModuleRollup]
    activity: list[tuple[date, int]]


def build(cohort: Cohort) -> Dashboard:
    modules = [m for m in (catalog().module(key) for key in cohort.module_keys) if m]
    keys = [module.key for module in modules]
    member_ids = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
    rows = db.session.execute(
        select(User.id, User.name, Municipality.id, Municipality.name, Municipality.country)
        .select_from(CohortMember)
        .join(User, CohortMember.user_id == User.id)
        .outerjoin(Municipality, CohortMember.municipality_id == Municipality.id)
        .where(CohortMember.cohort_id == cohort.id)
        .order_by(User.name)
    ).all()
    progress = defaultdict(dict)
    for row in db.session.execute(
        select(*PROGRESS_COLUMNS).where(
            ModuleProgress.user_id.in_(member_ids), ModuleProgress.module_key.in_(keys)
        )
    ):
        progress[row.user_id][row.module_key] = row
    cities: dict[int, CityRef] = {}
    participants = []
    for user_id, name, city_id, city_name, country in rows:
        city = None
        if city_id is not None:
            city = cities.setdefault(city_id, CityRef(city_id, city_name, country))
        participants.append(_participant(PersonRef(user_id, name), city, progress[user_id], keys))
    last_seen = dict(
        db.session.execute(
            select(ModuleProgress.user_id, func.max(ModuleProgress.updated_at))
            .where(ModuleProgress.user_id.in_(member_ids), ModuleProgress.module_key.in_(keys))
            .group_by(ModuleProgress.user_id)
        ).all()
    )
    for person in participants:
        person.last_activity = _aware(last_seen.get(person.user.id))
    return Dashboard(
        cohort=cohort,
        modules=modules,
        participants=participants,
        cities=_cities(participants, len(keys)),
        module_rollups=_modules(modules, participants, member_ids),
        activity=_activity(member_ids, keys),
    )


def _participant(user, municipality, rows: dict, keys: list[str]) -> Participant:
    cells = {key: rows.get(key) for key in keys}
    done = sum(1 for row in cells.values() if row is not None and row.done)
    return Participant(user, municipality, cells, done)


def _aware(value):
    """Aggregates bypass the column type: SQLite hands back text, PostgreSQL an aware time."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _state(row) -> str:
    if row is None:
        return "not-started"
    return "completed" if row.done else "in-progress"


def _cities(participants: list[Participant], module_count: int) -> list[CityRollup]:
    rollups: dict[int | None, CityRollup] = {}
    for person in participants:
        key = person.municipality.id if person.municipality else None
        rollup = rollups.setdefault(key, CityRollup(person.municipality))
        rollup.members += 1
        rollup.completion_sum += person.completed / module_count if module_count else 0
    city_ids = [key for key in rollups if key is not None]
    sections = {section.slug: section.spec for section in catalog().worksheets}
    for strategy, worksheet in db.session.execute(
        select(Strategy, Worksheet)
        .outerjoin(Worksheet, Worksheet.strategy_id == Strategy.id)
        .where(Strategy.municipality_id.in_(city_ids))
    ).all():
        rollup = rollups[strategy.municipality_id]
        rollup.status = str(strategy.status)
        if worksheet is not None and worksheet.section_slug in sections:
            filled, total = completion(sections[worksheet.section_slug], worksheet.data)
            rollup.sections_started += filled > 0
            rollup.sections_complete += filled == total
    return sorted(rollups.values(), key=lambda r: r.municipality.name if r.municipality else "")


def _modules(modules, participants, member_ids) -> list[ModuleRollup]:
    rollups = {module.key: ModuleRollup(module) for module in modules}
    for person in participants:
        for key, row in person.cells.items():
            if row is None:
                continue
            rollups[key].completed += bool(row.done)
            if row.best_score is not None:
                rollups[key].scores.append(row.best_score)
    attempts = db.session.execute(
        select(QuizAttempt.module_key, QuizAttempt.answers).where(
            QuizAttempt.user_id.in_(member_ids),
            QuizAttempt.module_key.in_(list(rollups)),
            QuizAttempt.submitted_at.is_not(None),
        )
    ).all()
    correct = {
        module.key: {q.id: q.correct_ids for q in module.quiz.questions} for module in modules
    }
    for module_key, answers in attempts:
        for question_id, chosen in (answers or {}).items():
            if question_id in correct[module_key]:
                rollups[module_key].answered[question_id] += 1
                if set(chosen) != correct[module_key][question_id]:
                    rollups[module_key].wrong[question_id] += 1
    return [rollups[module.key] for module in modules]


def _activity(member_ids, keys, weeks: int = 12) -> list[tuple[date, int]]:
    """Steps opened per week over the last twelve weeks, oldest first."""
    prefixes = {key + "/" for key in keys}
    day = func.date(StepProgress.first_seen)
    counts = Counter()
    for seen_on, step_key, number in db.session.execute(
        select(day, StepProgress.step_key, func.count())
        .where(StepProgress.user_id.in_(member_ids))
        .group_by(day, StepProgress.step_key)
    ).all():
        if any(step_key.startswith(prefix) for prefix in prefixes):
            seen = seen_on if isinstance(seen_on, date) else date.fromisoformat(str(seen_on))
            counts[seen - timedelta(days=seen.weekday())] += number
    this_week = date.today() - timedelta(days=date.today().weekday())
    return [
        (this_week - timedelta(weeks=n), counts.get(this_week - timedelta(weeks=n), 0))
        for n in reversed(range(weeks))
    ]
