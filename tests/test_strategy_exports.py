"""The strategy document: preview, PDF, DOCX and JSON, safe against what people type."""

import io
import json
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, HTTPServer

import docx
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import MunicipalRole, Worksheet
from tests.helpers import csrf_token, login, make_municipality, make_user, soup

ARABIC = "خطة الوقاية المحلية"
BENGALI = "স্থানীয় প্রতিরোধ পরিকল্পনা"


@pytest.fixture
def coordinator(app):
    city = make_municipality(app, "সিলেট Sylhet", "BD")
    make_user(
        app, "coord@example.org", municipality_id=city, municipal_role=MunicipalRole.COORDINATOR
    )
    client = app.test_client()
    login(client, "coord@example.org")
    client.city = city
    return client


def fill(client, data):
    url = f"/cities/{client.city}/strategy/context"
    page = soup(client.get(url))
    form = {
        "csrf_token": page.find("input", attrs={"name": "csrf_token"})["value"],
        "base_version": page.find("input", attrs={"name": "base_version"})["value"],
        "save_id": page.find("input", attrs={"name": "save_id"})["value"],
    }
    assert client.post(url, data={**form, **data}).status_code == 302


def letters_only(text: str) -> str:
    return "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Mc", "Zs"))


class Canary(BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802 - the standard library's name
        Canary.hits += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_pdf_holds_arabic_and_bengali_text_and_fetches_nothing(coordinator):
    server = HTTPServer(("127.0.0.1", 0), Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    canary = f"http://127.0.0.1:{server.server_port}/canary"
    hostile = (
        f'<img src="{canary}"><img src="file:///etc/passwd"><style>@import url({canary});</style>'
    )
    fill(
        coordinator,
        {
            "notes": f"{ARABIC} {BENGALI}",
            "summary": "plain",
            "actions-0-action": hostile[:40],
            "actions-0-status": "planned",
        },
    )
    fill(coordinator, {"notes": hostile[:100], "summary": f"{ARABIC}"})
    fill(coordinator, {"notes": f"{ARABIC} {BENGALI}", "summary": hostile[:50]})
    response = coordinator.get(f"/cities/{coordinator.city}/strategy/export.pdf")
    server.shutdown()
    server.server_close()
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert Canary.hits == 0
    assert "root:x:0:0" not in text
    compact = text.replace(" ", "").replace("\n", "")
    assert ARABIC.replace(" ", "") in compact
    # WeasyPrint maps each glyph to one piece of text, so the vowel signs Bengali draws before
    # their consonant are lost when text is copied out (the page itself renders them; see the
    # closing note). The letters themselves come through in order.
    assert letters_only(BENGALI) in letters_only(compact)


def test_docx_opens_and_holds_the_table_in_order(coordinator):
    fill(
        coordinator,
        {
            "notes": ARABIC,
            "actions-0-action": "Meet youth groups",
            "actions-0-status": "planned",
            "actions-1-action": "=cmd|' /c calc'!A1",
            "actions-1-status": "done",
        },
    )
    response = coordinator.get(f"/cities/{coordinator.city}/strategy/export.docx")
    document = docx.Document(io.BytesIO(response.data))
    table = document.tables[0]
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells[1] == ["Meet youth groups", "Planned"]
    assert cells[2][0] == "=cmd|' /c calc'!A1"  # kept as text; DOCX has no formulas
    assert ARABIC in "\n".join(p.text for p in document.paragraphs)
    assert "fldSimple" not in document.element.xml and "instrText" not in document.element.xml


def test_right_to_left_docx_marks_paragraphs_bidi(coordinator):
    fill(coordinator, {"notes": ARABIC})
    response = coordinator.get(
        f"/cities/{coordinator.city}/strategy/export.docx", headers={"Accept-Language": "ar"}
    )
    xml = docx.Document(io.BytesIO(response.data)).element.xml
    assert "<w:bidi/>" in xml


def test_downloads_are_attachments_with_encoded_names_and_no_store(coordinator):
    for kind, mimetype in (
        ("pdf", "application/pdf"),
        ("json", "application/json"),
        ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ):
        response = coordinator.get(f"/cities/{coordinator.city}/strategy/export.{kind}")
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment")
        assert "filename*=UTF-8''" in disposition and "%E0%A6" in disposition  # Bengali name
        assert response.mimetype == mimetype
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_preview_escapes_what_people_typed(coordinator):
    fill(coordinator, {"notes": "<script>alert(1)</script>"})
    html = coordinator.get(f"/cities/{coordinator.city}/strategy/preview").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_json_export_then_import_reproduces_the_workspace(app, coordinator):
    fill(
        coordinator,
        {
            "notes": ARABIC,
            "kind": "town",
            "levels": ["primary", "secondary"],
            "trust": "3",
            "actions-0-action": "Act",
            "actions-0-status": "done",
        },
    )
    exported = coordinator.get(f"/cities/{coordinator.city}/strategy/export.json").data
    other_city = make_municipality(app, "Dhaka", "BD")
    make_user(
        app,
        "other@example.org",
        municipality_id=other_city,
        municipal_role=MunicipalRole.COORDINATOR,
    )
    other = app.test_client()
    login(other, "other@example.org")
    url = f"/cities/{other_city}/strategy/import"
    response = other.post(
        url,
        data={
            "csrf_token": csrf_token(other, url),
            "backup": (io.BytesIO(exported), "backup.json"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    reexported = json.loads(other.get(f"/cities/{other_city}/strategy/export.json").data)
    original = json.loads(exported)
    assert {k: v["data"] for k, v in reexported["sections"].items()} == {
        k: v["data"] for k, v in original["sections"].items()
    }


@pytest.mark.parametrize(
    "payload,message",
    [
        (b"not json at all", "not valid JSON"),
        (b'{"format": "something-else"}', "not a strategy export"),
        (
            b'{"format": "strongcities-strategy", "format_version": 99, "sections": {}}',
            "another version",
        ),
        (
            b'{"format": "strongcities-strategy", "format_version": 1, '
            b'"sections": {"../../etc": {"data": {}}}}',
            "does not have",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_hostile_imports_are_refused_and_change_nothing(app, coordinator, payload, message):
    url = f"/cities/{coordinator.city}/strategy/import"
    response = coordinator.post(
        url,
        data={
            "csrf_token": csrf_token(coordinator, url),
            "backup": (io.BytesIO(payload), "x.json"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Worksheet).where(Worksheet.version > 0)).first() is None


def test_only_coordinators_import(app, coordinator):
    make_user(
        app,
        "editor@example.org",
        municipality_id=coordinator.city,
        municipal_role=MunicipalRole.EDITOR,
    )
    editor = app.test_client()
    login(editor, "editor@example.org")
    assert editor.get(f"/cities/{coordinator.city}/strategy/import").status_code == 403


def test_an_oversized_import_is_refused_before_parsing(app):
    from app.strategy import importing

    with (
        app.test_request_context(),
        pytest.raises(importing.ImportRefused, match="larger than 1 MB"),
    ):
        importing.parse(b" " * (importing.MAX_IMPORT_BYTES + 1))


def test_a_pdf_is_laid_out_once_per_version_of_the_document(app, coordinator):
    url = f"/cities/{coordinator.city}/strategy/export.pdf"
    fill(coordinator, {"notes": "First wording"})
    first = coordinator.get(url)
    again = coordinator.get(url)
    assert first.data == again.data
    assert len(app.extensions["pdf_cache"]) == 1
    fill(coordinator, {"notes": "Second wording"})
    changed = coordinator.get(url)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(changed.data)).pages)
    assert "Second wording" in text and "First wording" not in text
    assert len(app.extensions["pdf_cache"]) == 2
