"""The strategy as a document: HTML preview, PDF (WeasyPrint), DOCX (python-docx), JSON."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from app.content import catalog, translate
from app.content.catalog import WorksheetSection
from app.i18n import select_locale, text_direction
from app.learn.page_cache import PageCache
from app.models import Municipality, Strategy
from app.models.base import utcnow
from app.strategy import service
from app.strategy.values import is_empty, normalise_section

FORMAT = "strongcities-strategy"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SectionContent:
    section: WorksheetSection
    data: dict
    version: int


def contents(strategy: Strategy) -> list[SectionContent]:
    sheets = service.worksheets_by_section(strategy)
    result = []
    for section in catalog().worksheets:
        sheet = sheets.get(section.slug)
        data = normalise_section(section.spec, sheet.data if sheet else {})
        result.append(SectionContent(section, data, sheet.version if sheet else 0))
    return result


def render_document(municipality: Municipality, strategy: Strategy, for_pdf=False) -> str:
    return render_template(
        "strategy/document.html",
        municipality=municipality,
        strategy=strategy,
        sections=contents(strategy),
        generated=utcnow(),
        for_pdf=for_pdf,
    )


STATIC_SCHEME = "app-static:/"


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint would fetch any address in the document (file://, internal hosts): allow
    only our own static files and inline data."""

    def __init__(self, static_folder: str):
        super().__init__(allowed_protocols=["data"])
        self.static = Path(static_folder).resolve()

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_SCHEME):
            path = (self.static / url[len(STATIC_SCHEME) :].lstrip("/")).resolve()
            if path.is_file() and self.static in path.parents:
                return URLFetcherResponse(
                    url, body=path.read_bytes(), headers={"Content-Type": "text/css"}
                )
        raise ValueError("blocked address in a strategy document")


def pdf_bytes(municipality: Municipality, strategy: Strategy) -> bytes:
    """The document as PDF. Laying out a long strategy takes seconds, and a council's members
    tend to download the same version: a PDF is kept per process for the exact HTML it came
    from, so any change to the strategy, the language or the date makes a new one."""
    html = render_document(municipality, strategy, for_pdf=True)
    key = ("pdf", hashlib.sha256(html.encode()).hexdigest())
    rendered: PageCache = current_app.extensions["pdf_cache"]
    pdf = rendered.get(key)
    if pdf is None:
        fetcher = StaticOnlyFetcher(current_app.static_folder)
        pdf = HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=fetcher).write_pdf()
        rendered.put(key, pdf)
    return pdf


def docx_bytes(municipality: Municipality, strategy: Strategy) -> bytes:
    rtl = text_direction(select_locale()) == "rtl"
    document = Document()
    _paragraph(document.add_heading(municipality.name, level=0), rtl)
    for item in contents(strategy):
        spec = item.section.spec
        _paragraph(document.add_heading(translate(spec.title), level=1), rtl)
        for field in spec.fields:
            value = item.data[field.id]
            _paragraph(document.add_heading(translate(field.label), level=2), rtl)
            if field.type == "table":
                _table(document, field, value, rtl)
            else:
                _paragraph(document.add_paragraph(display_value(field, value)), rtl)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _paragraph(paragraph, rtl: bool):
    """Right-to-left paragraphs need w:bidi on the paragraph and w:rtl on each run."""
    if rtl:
        properties = paragraph._p.get_or_add_pPr()
        properties.append(OxmlElement("w:bidi"))
        for run in paragraph.runs:
            run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))
    return paragraph


def _table(document, field, rows, rtl: bool):
    if not rows:
        _paragraph(document.add_paragraph("—"), rtl)
        return
    table = document.add_table(rows=1, cols=len(field.columns))
    table.style = "Table Grid"
    if rtl:
        table._tbl.tblPr.append(OxmlElement("w:bidiVisual"))
    for cell, column in zip(table.rows[0].cells, field.columns, strict=True):
        cell.text = translate(column.label)
        _paragraph(cell.paragraphs[0], rtl)
    for row in rows:
        cells = table.add_row().cells
        for cell, column in zip(cells, field.columns, strict=True):
            cell.text = display_value(column, row.get(column.id))
            _paragraph(cell.paragraphs[0], rtl)


def display_value(field, value) -> str:
    """A value as plain text, choices by their translated labels."""
    if is_empty(value):
        return "—"
    if field.type == "choice":
        return next((translate(c.label) for c in field.options if c.id == value), value)
    if field.type == "multi_choice":
        return ", ".join(translate(c.label) for c in field.options if c.id in value)
    if field.type == "rating":
        return f"{value} / 5"
    return str(value)


def json_bytes(municipality: Municipality, strategy: Strategy) -> bytes:
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "municipality": {
            "name": municipality.name,
            "country": municipality.country,
            "region": municipality.region,
        },
        "status": str(strategy.status),
        "sections": {
            item.section.slug: {"version": item.version, "data": item.data}
            for item in contents(strategy)
        },
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True).encode()
