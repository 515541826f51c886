"""The readiness self-assessment: a profile by theme and the modules for weak themes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.content import catalog
from app.content.schema import Readiness, ReadinessTheme
from app.extensions import db
from app.models import ReadinessAssessment

WEAK_BELOW = 3.0
MOST_RECOMMENDED_THEMES = 3


@dataclass(frozen=True)
class ThemeScore:
    theme: ReadinessTheme
    average: float
    change: float | None  # since the previous assessment


def profile(readiness: Readiness, ratings: dict, previous: dict | None = None) -> list[ThemeScore]:
    def averages(values: dict) -> dict[str, float]:
        sums: dict[str, list[int]] = {}
        for statement in readiness.statements:
            if statement.id in values:
                sums.setdefault(statement.theme, []).append(int(values[statement.id]))
        return {theme: sum(v) / len(v) for theme, v in sums.items()}

    now = averages(ratings)
    before = averages(previous) if previous else {}
    return [
        ThemeScore(
            theme=theme,
            average=now[theme.id],
            change=(now[theme.id] - before[theme.id]) if theme.id in before else None,
        )
        for theme in readiness.themes
        if theme.id in now
    ]


def recommended_modules(scores: list[ThemeScore]):
    """Modules of the weakest themes (below 3 of 5), weakest first, without repeats."""
    weak = sorted((s for s in scores if s.average < WEAK_BELOW), key=lambda s: s.average)
    modules, seen = [], set()
    for score in weak[:MOST_RECOMMENDED_THEMES]:
        for key in score.theme.modules:
            module = catalog().module(key)
            if module is not None and key not in seen:
                seen.add(key)
                modules.append((score.theme, module))
    return modules


def latest_two(user_id: int, before_id: int | None = None) -> list[ReadinessAssessment]:
    query = select(ReadinessAssessment).where(ReadinessAssessment.user_id == user_id)
    if before_id is not None:
        query = query.where(ReadinessAssessment.id <= before_id)
    return list(
        db.session.execute(query.order_by(ReadinessAssessment.id.desc()).limit(2)).scalars()
    )


@dataclass(frozen=True)
class ChartRow:
    label: str
    value: float
    y: int
    bar_x: float
    bar_width: float
    label_x: float
    value_x: float
    anchor: str


CHART_WIDTH = 640
LABEL_SPACE = 300
BAR_SPACE = 280
ROW_HEIGHT = 34


def chart_rows(scores: list[ThemeScore], labels: list[str], rtl: bool) -> list[ChartRow]:
    """Geometry of a horizontal bar chart, mirrored for right-to-left pages."""
    rows = []
    for index, (score, label) in enumerate(zip(scores, labels, strict=True)):
        width = BAR_SPACE * score.average / 5
        if rtl:
            bar_x = CHART_WIDTH - LABEL_SPACE - width
            rows.append(
                ChartRow(
                    label,
                    score.average,
                    index * ROW_HEIGHT,
                    bar_x,
                    width,
                    CHART_WIDTH - 4,
                    bar_x - 6,
                    "end",
                )
            )
        else:
            rows.append(
                ChartRow(
                    label,
                    score.average,
                    index * ROW_HEIGHT,
                    LABEL_SPACE,
                    width,
                    4,
                    LABEL_SPACE + width + 6,
                    "start",
                )
            )
    return rows
