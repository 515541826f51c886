"""Worksheet values: their shape per field type, emptiness and section completion."""

from __future__ import annotations

from app.content.schema import WorksheetField, WorksheetFile


def empty_value(field: WorksheetField):
    if field.type in ("multi_choice", "table"):
        return []
    if field.type == "rating":
        return None
    return ""


def normalise(field: WorksheetField, value):
    """One canonical form per value, so that equal content compares equal."""
    if field.type in ("short_text", "long_text", "choice"):
        return (value or "").replace("\r\n", "\n").strip() if isinstance(value, str) else ""
    if field.type == "multi_choice":
        # Only the field's options, each once: a crafted request may repeat a box or send an
        # empty one, which the form's Optional() lets through.
        ids = {option.id for option in field.options}
        return sorted({str(v) for v in value} & ids) if isinstance(value, list) else []
    if field.type == "rating":
        try:
            rating = int(value)
        except (TypeError, ValueError):
            return None
        return rating if 1 <= rating <= 5 else None
    rows = value if isinstance(value, list) else []
    cleaned = [
        {column.id: normalise(column, row.get(column.id)) for column in field.columns}
        for row in rows
        if isinstance(row, dict)
    ]
    return [row for row in cleaned if any(not is_empty(v) for v in row.values())]


def normalise_section(spec: WorksheetFile, data: dict) -> dict:
    data = data or {}
    return {field.id: normalise(field, data.get(field.id)) for field in spec.fields}


def is_empty(value) -> bool:
    return value in (None, "", [])


def completion(spec: WorksheetFile, data: dict) -> tuple[int, int]:
    """(fields filled, fields in all) for a section."""
    data = normalise_section(spec, data)
    filled = sum(not is_empty(data[field.id]) for field in spec.fields)
    return filled, len(spec.fields)
