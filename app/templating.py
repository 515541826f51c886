"""Template filters and globals: dates and numbers through Babel, country names."""

from __future__ import annotations

from flask_babel import format_date, format_datetime, format_decimal

from app.admin.forms import MUNICIPAL_ROLE_LABELS, SITE_ROLE_LABELS
from app.countries import country_name
from app.strategy.forms import STATUS_LABELS


def register_template_helpers(app) -> None:
    app.jinja_env.filters.update(
        datetime=lambda value, style="medium": format_datetime(value, style) if value else "",
        date=lambda value, style="medium": format_date(value, style) if value else "",
        number=format_decimal,
        country=country_name,
    )
    app.jinja_env.globals.update(
        site_role_labels=SITE_ROLE_LABELS,
        municipal_role_labels=MUNICIPAL_ROLE_LABELS,
        status_labels=STATUS_LABELS,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
