"""Dashboard exports in CSV and XLSX, safe to open in a spreadsheet.

Spreadsheets run a cell that starts with = + - @ (and tab, CR, NUL, or their full-width forms)
as a formula; `defusedcsv` misses some of these, so the escaper is ours.
"""

from __future__ import annotations

import csv
import io

from flask_babel import format_datetime
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.cohorts.dashboard import Dashboard
from app.content import translate
from app.countries import country_name

FORMULA_STARTS = set("=+-@\t\r\n\0") | {"\uff1d", "\uff0b", "\uff0d", "\uff20"}


def neutralise(value):
    """Text that a spreadsheet could run gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value:
        first = value.lstrip(" ")[:1] or value[:1]
        if value[0] in FORMULA_STARTS or first in FORMULA_STARTS:
            return "'" + value
    return value


def _state_label(state: str) -> str:
    return {"completed": _("Completed"), "in-progress": _("In progress")}.get(
        state, _("Not started")
    )


def matrix_rows(dashboard: Dashboard) -> list[list]:
    header = [
        _("Participant"),
        _("Municipality"),
        _("Country"),
        _("Last activity"),
        _("Modules completed"),
    ]
    for module in dashboard.modules:
        title = translate(module.title)
        header += [title, _("%(module)s: best score", module=title)]
    rows = [header]
    for person in dashboard.participants:
        city = person.municipality
        row = [
            person.user.name,
            city.name if city else "",
            country_name(city.country) if city else "",
            format_datetime(person.last_activity, "short") if person.last_activity else "",
            person.completed,
        ]
        for module in dashboard.modules:
            cell = person.cells.get(module.key)
            row += [
                _state_label(person.state(module.key)),
                cell.best_score if cell and cell.best_score is not None else "",
            ]
        rows.append(row)
    return rows


def city_rows(dashboard: Dashboard) -> list[list]:
    rows = [
        [
            _("Municipality"),
            _("Country"),
            _("Members"),
            _("Average completion (%)"),
            _("Strategy sections started"),
            _("Strategy sections complete"),
            _("Strategy status"),
        ]
    ]
    for city in dashboard.cities:
        place = city.municipality
        rows.append(
            [
                place.name if place else _("No municipality given"),
                country_name(place.country) if place else "",
                city.members,
                round(100 * city.average_completion),
                city.sections_started,
                city.sections_complete,
                city.status or "",
            ]
        )
    return rows


def module_rows(dashboard: Dashboard) -> list[list]:
    rows = [
        [
            _("Module"),
            _("Participants who completed it"),
            _("Average best score"),
            _("Questions most often answered wrong"),
        ]
    ]
    for rollup in dashboard.module_rollups:
        missed = "; ".join(
            f"{translate(q.prompt)} ({round(share * 100)}%)" for q, share in rollup.most_missed()
        )
        average = rollup.average_score
        rows.append(
            [
                translate(rollup.module.title),
                rollup.completed,
                round(average) if average is not None else "",
                missed,
            ]
        )
    return rows


TABLES = {"matrix": matrix_rows, "cities": city_rows, "modules": module_rows}


def to_csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    # A byte order mark so that spreadsheet programs read the UTF-8 names correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _storable(value):
    """XLSX cannot hold most control characters: a name typed with one must not break the
    whole export, so they are dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def to_xlsx(tables: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in tables.items():
        sheet = workbook.create_sheet(title=title[:31])
        for row in rows:
            sheet.append([neutralise(_storable(value)) for value in row])
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
