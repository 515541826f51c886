"""T-XSS-1: every payload of a tagged corpus, typed into every text field of every form a person
can fill, comes back as text on every page that shows it.

Each payload carries its own marker (`xss07z`). A page fails when its parsed DOM holds an `on*`
attribute, a marker in an attribute name, a marker in any attribute value other than a text
input's `value`, a marker inside a <script> or <style>, or a `javascript:`/`vbscript:` URL; and
when a template probe (`{{7*7}}xss56z`) comes back evaluated (`49xss56z`). So that the check can
fail, every page must also show the markers written for it.

Worksheets come from the real guides (every text field, long text and table column). Values
are packed: several payloads per field and one per table row, so one save carries many
payloads; a payload longer than a field allows is sent too, and is checked where the refused
form shows it back. html5lib is used when installed, else BeautifulSoup's html.parser.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib.util import find_spec
from urllib.parse import urlencode

import werkzeug.urls  # noqa: F401  # registers the decoding error handler forms use
from bs4 import BeautifulSoup

from app.config import PROJECT_ROOT
from app.content import catalog
from app.extensions import db, limiter
from app.models import Cohort, MunicipalRole, SiteRole
from tests.helpers import csrf_token, login, make_municipality, make_user

# Werkzeug turns bytes that are not UTF-8 into %XX text; lengths and markers follow suit.
RECEIVED = "werkzeug.url_quote"
PARSER = "html5lib" if find_spec("html5lib") else "html.parser"
MARK = re.compile(r"xss\d\dz")

# (kind, payload); "{m}" becomes the payload's marker. Kept short so that the 40-character
# fields take them whole.
CORPUS = [
    ("script", "<script>{m}()</script>"),
    ("script", "<SCRIPT SRC=//{m}.example/x.js></SCRIPT>"),
    ("script", "<scr<script>ipt>{m}()</script>"),
    ("script", "</script><script>{m}()</script>"),
    ("element", "<img src=x onerror={m}()>"),
    ("element", "<img/src/onerror={m}()>"),
    ("element", "<svg onload={m}()>"),
    ("element", "<svg><animate onbegin={m}()>"),
    ("element", "<iframe src=javascript:{m}()>"),
    ("element", '<iframe srcdoc="<b id={m}>">'),
    ("element", "<details open ontoggle={m}()>"),
    ("element", "<input autofocus onfocus={m}()>"),
    ("element", '<a href="javascript:{m}()">a</a>'),
    ("element", "<math><mi id={m}>x</mi></math>"),
    ("element", "<style>@import'//{m}.ex'</style>"),
    ("element", "<form action=//{m}><button>x"),
    ("element", "<b id={m}>bold</b>"),
    ("element", "<!--{m}--><b id={m}>"),
    ("breakout", '" autofocus onfocus={m}() x="'),
    ("breakout", "' autofocus onfocus={m}() x='"),
    ("breakout", '"><img src=x onerror={m}()>'),
    ("breakout", "'><svg onload={m}()>"),
    ("breakout", '" onmouseover="{m}()'),
    ("breakout", '"/><b id={m}>'),
    ("breakout", "</textarea><svg onload={m}()>"),
    ("breakout", "</title><b id={m}>"),
    ("breakout", "</option><b id={m}>"),
    ("breakout", "--><b id={m}>"),
    ("url", "javascript:{m}()"),
    ("url", "JaVaScRiPt:{m}()"),
    ("url", "java\tscript:{m}()"),
    ("url", "data:text/html,<b id={m}>"),
    ("url", 'vbscript:msgbox("{m}")'),
    ("url", "&#106;avascript:{m}()"),
    ("markdown", "[x](javascript:{m}())"),
    ("markdown", "![x](javascript:{m}())"),
    ("markdown", "[x]: javascript:{m}()"),
    ("markdown", "<javascript:{m}()>"),
    ("markdown", '![x](x"onerror="{m}())'),
    ("template", "{{7*7}}{m}"),
    ("template", "${7*7}{m}"),
    ("template", "#{7*7}{m}"),
    ("template", "<%= 7*7 %>{m}"),
    ("template", "{{7*'7'}}{m}"),
    ("unicode", "\u202e{m}gnp.exe"),
    ("unicode", "\u202e<b id={m}>\u202c"),
    ("unicode", "\x00<script>{m}()</script>"),
    ("unicode", "{m}\x00\x00end"),
    ("unicode", "\ufeff<b id={m}>"),
    ("unicode", "\u2028\u2029{m}'\";"),
    ("unicode", "\uff1cscript\uff1e{m}\uff1c/script\uff1e"),
    ("unicode", "\U0001f600{m}e\u0301\u0301\u0301"),
    ("overlong", b"\xc0\xbcb id={m}\xc0\xbe"),
    ("overlong", b"\xe0\x80\xbcsvg onload={m}()\xe0\x80\xbe"),
    ("overlong", b"%C0%BCscript%C0%BE{m}"),
    ("encoded", "&lt;b id={m}&gt;"),
    ("encoded", "%3Cscript%3E{m}%3C/script%3E"),
    ("encoded", "\\u003cb id={m}\\u003e"),
    ("csv", '=HYPERLINK("//{m}.ex","x")'),
    ("csv", "+cmd|'/C calc'!A0{m}"),
    ("csv", "-2+3+cmd|'/C calc'!{m}"),
    ("csv", "@SUM(1+1)*cmd|'/C c'!{m}"),
    ("csv", "\t=1+1{m}"),
    ("csv", "\r=1+1{m}"),
]

# What each template probe turns into if a template engine evaluates it.
EVALUATED = {"{{7*7}}": "49", "${7*7}": "49", "#{7*7}": "49", "<%= 7*7 %>": "49"}
EVALUATED["{{7*'7'}}"] = "7777777"


def received(raw: bytes) -> str:
    """The text a form field holds after Werkzeug decoded these bytes."""
    return raw.decode("utf-8", RECEIVED)


@dataclass(frozen=True)
class Payload:
    marker: str
    kind: str
    raw: bytes  # what is sent (some payloads are invalid UTF-8 on purpose)

    @property
    def text(self) -> str:
        return received(self.raw)


def _payloads() -> list[Payload]:
    corpus = []
    for number, (kind, template) in enumerate(CORPUS, 1):
        marker = f"xss{number:02d}z"
        raw = (
            template.replace(b"{m}", marker.encode())
            if isinstance(template, bytes)
            else template.replace("{m}", marker).encode()
        )
        corpus.append(Payload(marker, kind, raw))
    return corpus


PAYLOADS = _payloads()
PROBES = {
    p.marker: value + p.marker
    for p in PAYLOADS
    if p.kind == "template"
    for probe, value in EVALUATED.items()
    if probe in p.text
}


# -- Reading a page -------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"}


@dataclass
class Findings:
    pages: int = 0
    problems: list = None
    evaluations: list = None
    seconds: float = 0.0

    def __post_init__(self):
        self.problems, self.evaluations = [], []


def inspect(html: str, where: str, expected: set[str], findings: Findings) -> None:
    """Parse one page; record payload-made elements and attributes, evaluated probes, and
    the markers that should be on the page but are not."""
    started = time.perf_counter()
    page = BeautifulSoup(html, PARSER)
    seen = set(MARK.findall(page.get_text()))
    for element in page.find_all(True):
        if MARK.search(element.name):
            findings.problems.append((where, f"element <{element.name}>"))
        if element.name in ("script", "style") and MARK.search(element.get_text()):
            findings.problems.append((where, f"marker inside <{element.name}>"))
        for name, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            seen.update(MARK.findall(value))
            if name.lower().startswith("on") or MARK.search(name):
                findings.problems.append((where, f"attribute {name}= on <{element.name}>"))
            elif MARK.search(value) and not (element.name == "input" and name == "value"):
                findings.problems.append((where, f"marker in {name}= of <{element.name}>"))
            elif name in URL_ATTRIBUTES and re.match(r"\s*(javascript|vbscript):", value, re.I):
                findings.problems.append((where, f"{name}={value[:40]!r} on <{element.name}>"))
    text = page.get_text() + " ".join(
        str(v) for element in page.find_all(True) for v in element.attrs.values()
    )
    findings.evaluations += [(where, probe) for probe in PROBES.values() if probe in text]
    missing = expected - seen
    if missing:
        findings.problems.append((where, f"markers not shown: {sorted(missing)[:6]}"))
    findings.pages += 1
    findings.seconds += time.perf_counter() - started


# -- Filling fields -------------------------------------------------------------------------


@dataclass
class TextField:
    """One text field a person fills (a table column counts once), with its slots."""

    key: str
    max_length: int
    slots: int = 1
    long: bool = False

    def packs(self) -> list[bytes]:
        """The payloads that fit, packed into as few values as the length allows."""
        separator = b"\n" if self.long else b" "
        packs, current = [], b""
        for payload in PAYLOADS:
            if len(payload.text) > self.max_length:
                continue
            joined = current + separator + payload.raw if current else payload.raw
            if len(received(joined)) <= self.max_length:
                current = joined
            else:
                packs.append(current)
                current = payload.raw
        return [*packs, current] if current else packs

    def rounds(self) -> list[list[bytes]]:
        packs = self.packs()
        return [packs[i : i + self.slots] for i in range(0, len(packs), self.slots)]

    def too_long(self) -> list[Payload]:
        return [p for p in PAYLOADS if len(p.text) > self.max_length]


def errors_of(response) -> list[str]:
    """The messages a refused form shows, for assertion messages."""
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    return [e.get_text(" ", strip=True) for e in page.select(".errors")]


def markers_in(values) -> set[str]:
    return {m for value in values for m in MARK.findall(received(value))}


class Browser:
    """A test client with its session's CSRF token, posting raw form bodies."""

    def __init__(self, app, email=None):
        self.client = app.test_client()
        if email:
            assert login(self.client, email).status_code == 302
        self.token = csrf_token(self.client, "/account" if email else "/login")

    def get(self, url, status=200):
        response = self.client.get(url)
        assert response.status_code == status, (url, response.status_code)
        return response.get_data(as_text=True)

    def post(self, url, pairs):
        limiter.reset()  # thousands of requests from one address: not what is tested here
        body = urlencode([("csrf_token", self.token), *pairs], doseq=True)
        return self.client.post(url, data=body, content_type="application/x-www-form-urlencoded")


ROWS = 8  # table rows used per save: enough to carry the corpus in a few saves


def _worksheet_fields(spec) -> tuple[list[TextField], dict]:
    """Text fields of one worksheet section; table columns as fields with one slot a row."""
    fields, tables = [], {}
    for field in spec.fields:
        if field.type in ("short_text", "long_text"):
            fields.append(TextField(field.id, field.max_length, long=field.type == "long_text"))
        elif field.type == "table":
            rows = min(ROWS, field.max_rows)
            for column in field.columns:
                if column.type in ("short_text", "long_text"):
                    key = f"{field.id}.{column.id}"
                    fields.append(
                        TextField(key, column.max_length, rows, column.type == "long_text")
                    )
                    tables.setdefault(field.id, []).append(key)
    return fields, tables


def _section_body(spec, values: dict[str, list[bytes]], version: int) -> list:
    """A section's form body: each text field's values (one per table row), others empty."""
    pairs = [("base_version", str(version)), ("save_id", "")]
    for field in spec.fields:
        if field.type in ("short_text", "long_text"):
            pairs.append((field.id, (values.get(field.id) or [b""])[0]))
        elif field.type == "choice":
            pairs.append((field.id, ""))
        elif field.type == "table":
            columns = [f"{field.id}.{c.id}" for c in field.columns]
            rows = max((len(values.get(key, [])) for key in columns), default=0)
            for row in range(rows):
                for column in field.columns:
                    cells = values.get(f"{field.id}.{column.id}", [])
                    if column.type in ("short_text", "long_text"):
                        cell = cells[row] if row < len(cells) else b""
                        pairs.append((f"{field.id}-{row}-{column.id}", cell))
                    elif column.type == "choice":
                        pairs.append((f"{field.id}-{row}-{column.id}", ""))
    return pairs


# -- The tests ------------------------------------------------------------------------------


def test_the_page_check_finds_every_payload_left_unescaped():
    """The check can fail: each payload pasted raw into a page is reported, and the probes a
    Jinja template evaluates are caught."""
    from jinja2 import Template

    missed = []
    for payload in PAYLOADS:
        text = payload.text
        page = (
            f"<html><head><title>{text}</title></head><body><p>{text}</p>"
            f"<input value=\"{text}\"><input value='{text}'><textarea>{text}</textarea>"
            f'<a href="{text}">x</a><select><option>{text}</option></select></body></html>'
        )
        findings = Findings()
        inspect(page, payload.marker, set(), findings)
        if not findings.problems:
            missed.append(payload.marker)
    evaluated = Findings()
    jinja = [p for p in PAYLOADS if p.kind == "template" and p.text.startswith("{{")]
    inspect("".join(Template(p.text).render() for p in jinja), "jinja", set(), evaluated)
    assert missed == []
    assert len(evaluated.evaluations) == len(jinja) == 2


def test_every_payload_in_every_text_field_comes_back_as_text(app_factory):
    started = time.perf_counter()
    app = app_factory(GUIDES_DIR=str(PROJECT_ROOT / "guides"))
    city = make_municipality(app, "Plain city", "LK", region="Plain region")
    admin_id = make_user(
        app,
        "admin@example.org",
        name="Plain admin",
        role=SiteRole.ADMIN,
        municipality_id=city,
        municipal_role=MunicipalRole.COORDINATOR,
    )
    make_user(app, "viewer@example.org", municipality_id=city, municipal_role=MunicipalRole.VIEWER)
    make_user(app, "rival@example.org", municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    with app.app_context():
        sections = [(w.slug, w.spec) for w in catalog().worksheets]
        module = next(m for m in catalog().modules() if m.reflection)
        module_url = f"/guides/{module.guide_slug}/{module.slug}"
        prompts = len(module.reflection)
    admin, viewer, rival = (
        Browser(app, f"{who}@example.org") for who in ("admin", "viewer", "rival")
    )
    anonymous = Browser(app)
    findings = Findings()
    injections = {}  # field key -> markers written into it

    def check(browser, url, expected=(), status=200):
        inspect(browser.get(url, status), url, set(expected), findings)

    def check_response(response, where, expected, status):
        assert response.status_code == status, (where, response.status_code)
        inspect(response.get_data(as_text=True), where, set(expected), findings)

    def record(key, values):
        injections.setdefault(key, set()).update(markers_in(values))

    # A cohort the admin runs, has joined, and that may read the city's strategy.
    admin.post(
        "/cohorts/new",
        [("name", "Plain cohort"), ("language", "en"), ("module_keys", module.key)],
    )
    with app.app_context():
        cohort_id, code = db.session.execute(db.select(Cohort.id, Cohort.join_code)).one()
    assert admin.post(f"/join/{code}", [("municipality", str(city))]).status_code == 302
    assert (
        admin.post(
            f"/cities/{city}/strategy/share", [("cohort", str(cohort_id)), ("shared", "y")]
        ).status_code
        == 302
    )

    # Fields stored outside the worksheets, written by the forms that own them.
    plain = [
        TextField("account.name", 120),
        TextField("municipality.name", 120),
        TextField("municipality.region", 80),
        TextField("cohort.name", 120),
        TextField("cohort.description", 2000, long=True),
        *(TextField(f"notes.note{n}", 5000, long=True) for n in range(1, prompts + 1)),
    ]
    plan = {field.key: field.rounds() for field in plain}
    notes = [f"notes.note{n}" for n in range(1, prompts + 1)]
    current = {}

    def write(changed):
        """Send the forms that own the changed fields, with their other fields as they are."""
        forms = {
            "/account": [("name", "account.name"), ("locale", "")],
            f"/admin/municipalities/{city}/edit": [
                ("name", "municipality.name"),
                ("country", "LK"),
                ("region", "municipality.region"),
            ],
            f"/cohorts/{cohort_id}/edit": [
                ("name", "cohort.name"),
                ("description", "cohort.description"),
                ("language", "en"),
                ("module_keys", module.key),
            ],
            f"{module_url}/notes": [(key.split(".")[1], key) for key in notes],
        }
        for url, pairs in forms.items():
            if any(key in changed for _name, key in pairs):
                body = [(name, current.get(key, key)) for name, key in pairs]
                sent = admin.post(url, body)
                assert sent.status_code == 302, (url, errors_of(sent))

    # Which page shows which field: found by writing a plain word into each field first.
    pages = [
        (admin, url)
        for url in (
            "/",
            "/account",
            "/account/data",
            "/admin/people",
            f"/admin/people/{admin_id}",
            "/admin/municipalities",
            f"/admin/municipalities/{city}/edit",
            "/admin/invitations",
            f"/cities/{city}",
            f"/cities/{city}/strategy",
            f"/cities/{city}/strategy/audit",
            f"/cities/{city}/strategy/preview",
            "/cohorts",
            f"/cohorts/{cohort_id}",
            f"/cohorts/{cohort_id}/edit",
            f"/cohorts/{cohort_id}/participants/{admin_id}",
            f"/cohorts/{cohort_id}/cities/{city}/strategy",
            f"/join/{code}",
            "/notes",
            module_url,
        )
    ] + [(viewer, "/"), (viewer, f"/cities/{city}"), (anonymous, f"/join/{code}")]
    words = {key: f"fieldword{number}q" for number, key in enumerate(plan)}
    current.update({key: word.encode() for key, word in words.items()})
    write(set(plan))
    shows = {}
    for browser, url in pages:
        html = browser.get(url)
        shows[browser, url] = {key for key, word in words.items() if word in html}
    assert all(any(key in keys for keys in shows.values()) for key in plan), shows
    shown_on = sum(len(keys) for keys in shows.values())

    for number in range(max(len(rounds) for rounds in plan.values())):
        changed = {key for key, rounds in plan.items() if number < len(rounds)}
        for key in changed:
            current[key] = plan[key][number][0]
            record(key, [current[key]])
        write(changed)
        for (browser, url), keys in shows.items():
            if keys & changed:
                check(browser, url, markers_in([current[key] for key in keys]))

    # Worksheets: every text field and table column of every section, saved in rounds; the
    # preview is read after each round of all sections.
    plans = {}
    for slug, spec in sections:
        fields, _tables = _worksheet_fields(spec)
        plans[slug] = (spec, fields, {field.key: field.rounds() for field in fields})
    versions, emptied = dict.fromkeys(plans, 0), set()
    for number in range(max(len(r) for _s, _f, rs in plans.values() for r in rs.values())):
        shown_anywhere = set()
        for slug, (spec, _fields, rounds) in plans.items():
            values = {key: r[number] for key, r in rounds.items() if number < len(r)}
            url = f"/cities/{city}/strategy/{slug}"
            if not values:
                if slug not in emptied:  # done: empty it so that the documents stay small
                    sent = admin.post(url, _section_body(spec, {}, versions[slug]))
                    assert sent.status_code == 302, (slug, errors_of(sent))
                    versions[slug] += 1
                    emptied.add(slug)
                continue
            for key, written in values.items():
                record(f"{slug}.{key}", written)
            shown = markers_in([v for written in values.values() for v in written])
            shown_anywhere |= shown
            sent = admin.post(url, _section_body(spec, values, versions[slug]))
            assert sent.status_code == 302, (slug, errors_of(sent))
            versions[slug] += 1
            check(admin, url, shown)
            check(viewer, url, shown)
            if versions[slug] > 1:
                check(admin, f"{url}/history?a={versions[slug] - 1}&b={versions[slug]}", shown)
            # A second editor saved from the version before, with the texts cut short by one
            # character: the conflict page shows both sides.
            mine = {key: [v[:-1] for v in written] for key, written in values.items()}
            conflict = rival.post(url, _section_body(spec, mine, versions[slug] - 1))
            assert conflict.status_code == 302, (slug, conflict.status_code)
            assert conflict.headers["Location"].endswith("/resolve"), slug
            check(rival, f"{url}/resolve", shown)
        check(admin, f"/cities/{city}/strategy/preview", shown_anywhere)
        if number == 0:  # the cohort's copy is the same document: once, when it is fullest
            check(admin, f"/cohorts/{cohort_id}/cities/{city}/strategy", shown_anywhere)

    # Payloads longer than a field allows: refused, and shown back in the form.
    for slug, (spec, fields, _rounds) in plans.items():
        url = f"/cities/{city}/strategy/{slug}"
        long_ones = {field.key: field.too_long() for field in fields}
        slots = {field.key: field.slots for field in fields}
        posts = max(-(-len(p) // slots[k]) for k, p in long_ones.items())
        for number in range(posts):
            values = {
                key: [p.raw for p in payloads[number * slots[key] : (number + 1) * slots[key]]]
                for key, payloads in long_ones.items()
            }
            values = {key: v for key, v in values.items() if v}
            for key, written in values.items():
                record(f"{slug}.{key}", written)
            check_response(
                admin.post(url, _section_body(spec, values, versions[slug])),
                f"{url} (refused)",
                markers_in([v for written in values.values() for v in written]),
                400,
            )
    everything = {p.marker for p in PAYLOADS}

    # Forms whose text is never stored when it holds a payload: shown back on refusal.
    def echo(browser, url, key, max_length, extra, status=200, separator=b" "):
        field = TextField(key, max_length)
        packs = field.packs() + [p.raw for p in field.too_long()]
        for pack in packs:
            limiter.reset()  # sign-in and password checks are rate limited per minute
            record(key, [pack])
            response = browser.post(url, [(key.split(".")[-1], pack), *extra])
            check_response(response, f"{url} ({key})", markers_in([pack]), status)

    echo(anonymous, "/login", "login.email", 254, [("password", "wrong password here")])
    echo(
        admin,
        "/admin/invitations",
        "invitation.email",
        254,
        [
            ("site_role", "member"),
            ("municipality", ""),
            ("municipal_role", "editor"),
            ("days", "14"),
        ],
    )
    echo(admin, f"/cities/{city}", "team_invitation.email", 254, [("role", "editor")])
    echo(admin, "/account/email", "change_email.email", 254, [("password", "not it")])
    echo(anonymous, "/join", "join_code.code", 20, [])
    short = [("password", "short"), ("confirm", "short"), ("municipality", "")]
    echo(anonymous, f"/join/{code}", "new_account.name", 120, [("email", "a@example.org"), *short])
    echo(anonymous, f"/join/{code}", "new_account.email", 254, [("name", "A person"), *short])

    total = sum(len(markers) for markers in injections.values())
    not_everywhere = {key for key, markers in injections.items() if markers != everything}
    print(
        f"\nT-XSS-1: {len(injections)} fields x {len(PAYLOADS)} payloads = {total} injections; "
        f"{len(findings.problems)} payload-created elements or on* attributes; "
        f"{len(findings.evaluations)} template evaluations"
        f"\n  {shown_on} (page, field) displays found; {findings.pages} pages parsed with "
        f"{PARSER} in {findings.seconds:.1f} s; "
        f"{time.perf_counter() - started:.1f} s in all"
    )
    assert not_everywhere == set(), not_everywhere
    assert total == len(injections) * len(PAYLOADS)
    assert findings.problems == [], findings.problems[:10]
    assert findings.evaluations == [], findings.evaluations[:10]
