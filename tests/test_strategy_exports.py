"""The strategy document: preview, PDF, DOCX and JSON, safe against what people type."""

import io
import json
import threading
import unicodedata
from http.server import BaseHTTPRequestHandler, HTTPServer

import docx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import AuditEvent, MunicipalRole, Strategy, Worksheet
from tests.helpers import csrf_token, login, make_municipality, make_user, soup, text_of

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
    """T-EXP-3: fields holding <img> pointing at a canary server and at /etc/passwd and a CSS
    @import of the canary are exported as PDF and DOCX (with Word field-code text added for
    the DOCX): the canary is never fetched, no local file reaches the PDF, the payload is
    there as literal text, and the DOCX holds no field element (w:fldSimple, w:instrText)."""
    server = HTTPServer(("127.0.0.1", 0), Canary)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    canary = f"http://127.0.0.1:{server.server_port}/canary"
    hostile = (
        f'<img src="{canary}"><img src="file:///etc/passwd"><style>@import url({canary});</style>'
    )
    fields = '{ HYPERLINK "http://evil.example" } <w:fldSimple w:instr="DDEAUTO calc"/>'
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
    fill(coordinator, {"notes": fields, "summary": hostile[:50]})
    word = coordinator.get(f"/cities/{coordinator.city}/strategy/export.docx")
    server.shutdown()
    server.server_close()
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    compact = text.replace(" ", "").replace("\n", "")
    literal = '<imgsrc="http://127.0.0.1' in compact
    document = docx.Document(io.BytesIO(word.data))
    field_codes = document.element.xpath(".//w:fldSimple | .//w:instrText")
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    literal_docx = fields in paragraphs and hostile[:50] in paragraphs
    print(
        f"\nT-EXP-3: canary server hits {Canary.hits}; local file bytes in PDF: "
        f"{'root:x:0:0' in text}; payload text present literally: PDF {literal}, DOCX "
        f"{literal_docx}; {len(field_codes)} w:fldSimple/w:instrText field codes in DOCX"
    )
    assert Canary.hits == 0
    assert "root:x:0:0" not in text
    assert literal and literal_docx and field_codes == []
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


def test_downloads_are_attachments_with_encoded_names_and_no_store(app, coordinator):
    """T-EXP-4: every download the site offers (strategy PDF, DOCX, JSON; dashboard CSV and
    XLSX; reflection notes; personal data) is an attachment with a server-chosen name, encoded
    per RFC 6266 where it holds a Bengali city or an Arabic cohort name, the right
    Content-Type, nosniff and no-store; JSON is served as application/json (never HTML)."""
    from app.cohorts import service as cohorts
    from app.models import SiteRole, User

    trainer_id = make_user(app, "trainer@example.org", role=SiteRole.TRAINER)
    with app.app_context():
        trainer_user = db.session.get(User, trainer_id)
        cohort = cohorts.create_cohort(trainer_user, name=ARABIC, module_keys=("demo/intro",))
        db.session.commit()
        cohort_id = cohort.id
    trainer = app.test_client()
    login(trainer, "trainer@example.org")
    city = coordinator.city
    downloads = [
        (coordinator, f"/cities/{city}/strategy/export.pdf", "application/pdf", "%E0%A6"),
        (coordinator, f"/cities/{city}/strategy/export.json", "application/json", "%E0%A6"),
        (
            coordinator,
            f"/cities/{city}/strategy/export.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "%E0%A6",
        ),
        (trainer, f"/cohorts/{cohort_id}/export.csv", "text/csv", "%D8%AE"),
        (
            trainer,
            f"/cohorts/{cohort_id}/export.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "%D8%AE",
        ),
        (coordinator, "/notes/download", "text/markdown", None),
        (coordinator, "/account/data/download", "application/json", None),
    ]
    results = {}
    for client, url, mimetype, encoded in downloads:
        response = client.get(url)
        disposition = response.headers.get("Content-Disposition", "")
        results[f"{url.split('/')[1]} {url.rsplit('/', 1)[-1]}"] = (
            response.status_code == 200
            and disposition.startswith("attachment")
            and "filename" in disposition
            and (encoded is None or "filename*=UTF-8''" in disposition and encoded in disposition)
            and response.mimetype == mimetype
            and response.headers.get("X-Content-Type-Options") == "nosniff"
            and "no-store" in response.headers.get("Cache-Control", "")
        )
    print(
        "\nT-EXP-4: "
        + "; ".join(f"{kind}: {'pass' if ok else 'FAIL'}" for kind, ok in results.items())
    )
    assert all(results.values()), results


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


def test_imports_refuse_hostile_files_and_never_reach_another_city(app, coordinator):
    """T-IN-2 for the JSON import: a body over the request limit (413), a file over 1 MB,
    100,000 levels of nesting, not JSON, another format, another format version, unknown or
    path-like section names, a section without content: each refused with its message and
    nothing written. A file naming another city's id is imported into the city of the address
    only; a coordinator posting to another city's import gets 404. The restore side (tampered
    checksum, wrong version, nesting, wrong shapes) is T-BAK-3 in tests/test_backup.py."""
    other_city = make_municipality(app, "Dhaka", "BD")
    url = f"/cities/{coordinator.city}/strategy/import"

    def send(raw: bytes, to=url):
        # Encoded in memory: the test client would spool a large body to a temporary file
        # that nobody closes when the application refuses it unread.
        boundary, body = encode_multipart(
            {
                "csrf_token": csrf_token(coordinator, url),
                "backup": FileStorage(io.BytesIO(raw), "x.json", content_type="application/json"),
            }
        )
        return coordinator.post(
            to, data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )

    head = b'{"format": "strongcities-strategy", "format_version": 1, '
    cases = {
        "body over 2 MB": (b" " * (3 * 1024 * 1024), None),
        "file over 1 MB": (b" " * (1024 * 1024 + 10), "larger than 1 MB"),
        "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        "not JSON": (b"\xff\xfe not json", "not valid JSON"),
        "another format": (b'{"format": "something-else"}', "not a strategy export"),
        "another version": (head.replace(b"1, ", b"99, ") + b'"sections": {}}', "another version"),
        "path-like section": (head + b'"sections": {"../../etc": {"data": {}}}}', "does not have"),
        "section without content": (head + b'"sections": {"context": {"data": 5}}}', "damaged"),
    }
    results = {}
    for name, (raw, message) in cases.items():
        response = send(raw)
        if message is None:
            results[name] = response.status_code == 413
        else:
            results[name] = response.status_code == 200 and message in text_of(response)
    with app.app_context():
        written = db.session.execute(select(Worksheet).where(Worksheet.version > 0)).first()
    results["nothing written by the refused files"] = written is None
    foreign = json.dumps(
        {
            "format": "strongcities-strategy",
            "format_version": 1,
            "municipality_id": other_city,
            "municipality": {"id": other_city, "name": "Dhaka"},
            "sections": {"context": {"data": {"notes": "imported"}, "municipality_id": other_city}},
        }
    ).encode()
    results["foreign city id imported into this city only"] = send(foreign).status_code == 302
    with app.app_context():
        cities = set(
            db.session.execute(
                select(Strategy.municipality_id)
                .join(Worksheet, Worksheet.strategy_id == Strategy.id)
                .where(Worksheet.version > 0)
            ).scalars()
        )
    results["foreign city id imported into this city only"] &= cities == {coordinator.city}
    elsewhere = f"/cities/{other_city}/strategy/import"
    refused = send(foreign, to=elsewhere)
    results["another city's import answers 404"] = refused.status_code == 404
    print(
        "\nT-IN-2: "
        + "; ".join(f"{check}: {'pass' if ok else 'FAIL'}" for check, ok in results.items())
    )
    assert all(results.values()), results


def test_a_page_on_another_site_cannot_make_a_browser_open_a_download(app, coordinator):
    """Opening a download writes an audit row: a cross-site link must not write one in a
    signed-in coordinator's name (browsers say Sec-Fetch-Site: cross-site)."""
    url = f"/cities/{coordinator.city}/strategy/export.json"
    with app.app_context():
        before = db.session.execute(select(func.count(AuditEvent.id))).scalar_one()
    refused = coordinator.get(url, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.execute(select(func.count(AuditEvent.id))).scalar_one() == before
    for origin in ("same-origin", "none"):  # a link on our page; a bookmark or typed address
        assert coordinator.get(url, headers={"Sec-Fetch-Site": origin}).status_code == 200
    assert (
        coordinator.get(
            "/account/data/download", headers={"Sec-Fetch-Site": "cross-site"}
        ).status_code
        == 403
    )
