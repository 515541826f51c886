"""T-LOAD-3 heavy functions against gunicorn: 10 concurrent PDF exports of fully written
strategies (one of them an Arabic-speaking municipality's, in Arabic) and 20 concurrent sign-in
bursts (Argon2id, 19 MiB each), with the server's peak resident memory during each.

The dashboard at 100 / 1,000 / 10,000 participants is measured by run.py's dashboard_times.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from pypdf import PdfReader

from bench.mixed_load import use_shared_limits
from bench.run import STEP, PeakRss, gunicorn, migrate, percentile, server_database, server_problems

PORT = 8715
EXPORTS = 10
SIGN_INS = 20
ROUNDS = 3
PASSWORD = "bench password for heavy functions"  # noqa: S105

ENGLISH = (
    "The prevention coordinator reports to the deputy mayor every month.",
    "Youth workers in the eastern wards run evening football and a homework club.",
    "Schools, the health centre and the police liaison officer meet each quarter.",
    "Online hostility rose sharply after the dispute over the market relocation.",
    "Faith leaders agreed to a joint statement whenever an incident divides the city.",
    "The municipal budget funds two outreach posts; a foundation funds the third.",
    "Families who lost relatives in the attack asked for a quiet memorial, not a ceremony.",
    "Staff in housing and libraries will be trained to recognise early signs of distress.",
)
ARABIC = (
    "يرفع منسق الوقاية تقريراً شهرياً إلى نائب رئيس البلدية.",
    "ينظم العاملون مع الشباب في الأحياء الشرقية دوري كرة قدم مسائياً ونادياً للواجبات.",
    "تجتمع المدارس والمركز الصحي وضابط الارتباط في الشرطة مرة كل ثلاثة أشهر.",
    "ازداد خطاب الكراهية على الإنترنت بعد الخلاف حول نقل السوق الشعبي.",
    "اتفق القادة الدينيون على بيان مشترك كلما وقع حادث يفرق بين سكان المدينة.",
    "تمول ميزانية البلدية وظيفتين للتواصل المجتمعي وتمول مؤسسة خاصة الوظيفة الثالثة.",
    "طلبت العائلات التي فقدت أقارب لها إحياء ذكرى هادئة بدلاً من احتفال رسمي.",
    "سيتدرب موظفو الإسكان والمكتبات على ملاحظة العلامات المبكرة للضيق.",
)


def _text(pool: tuple[str, ...], length: int, seed: int) -> str:
    words, n = [], seed
    while sum(len(w) + 1 for w in words) < length:
        words.append(pool[n % len(pool)])
        n += 3
    return " ".join(words)[:length].rstrip()


def _value(field, pool, seed, in_table=False):
    """A filled-in value of any field type: long answers of up to 1,500 characters (a few
    paragraphs), table cells of up to 200, five rows per table."""
    if field.type == "long_text":
        return _text(pool, min(field.max_length, 200 if in_table else 1500), seed)
    if field.type == "short_text":
        return _text(pool, min(field.max_length, 60), seed)
    if field.type == "choice":
        return field.options[seed % len(field.options)].id
    if field.type == "multi_choice":
        return [option.id for option in field.options[:2]]
    if field.type == "rating":
        return 1 + seed % 5
    rows = min(field.max_rows, 5)
    return [
        {column.id: _value(column, pool, seed + row, True) for column in field.columns}
        for row in range(rows)
    ]


def prepare(database: str) -> dict:
    """Two municipalities with every section filled in; exporters and sign-in accounts."""
    from sqlalchemy import insert, select

    from app import create_app
    from app.auth.passwords import hash_password
    from app.content import catalog
    from app.extensions import db
    from app.models import Membership, Municipality, SiteRole, User
    from app.models.base import utcnow
    from app.strategy import service

    migrate(database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench"})
    with app.app_context():
        cities = [
            (Municipality(name="Kandy", country="LK", region="Central Province"), ENGLISH, None),
            (Municipality(name="طرابلس", country="LB", region="الشمال"), ARABIC, "ar"),
        ]
        db.session.add_all([city for city, _pool, _locale in cities])
        db.session.flush()
        password_hash = hash_password(PASSWORD)
        now = utcnow()
        rows = [
            {
                "email": f"heavy{n}@bench.example.org",
                "name": f"Heavy {n}",
                "password_hash": password_hash,
                "site_role": SiteRole.MEMBER,
                "locale": cities[n % 2][2],
                "active": True,
                "created_at": now,
                "password_changed_at": now,
            }
            for n in range(max(EXPORTS, SIGN_INS))
        ]
        db.session.execute(insert(User), rows)
        ids = dict(db.session.execute(select(User.email, User.id)).all())
        db.session.execute(
            insert(Membership),
            [
                {
                    "user_id": ids[row["email"]],
                    "municipality_id": cities[n % 2][0].id,
                    "role": "editor",
                    "created_at": now,
                }
                for n, row in enumerate(rows)
            ],
        )
        characters = 0
        for city, pool, _locale in cities:
            strategy = service.strategy_of(city.id)
            for number, section in enumerate(catalog().worksheets):
                data = {
                    field.id: _value(field, pool, number + index)
                    for index, field in enumerate(section.spec.fields)
                }
                characters += len(str(data))
                sheet = service.worksheet_of(strategy, section.slug)
                service.save_section(sheet, 0, data, ids[rows[0]["email"]])
        db.session.commit()
        plan = {
            "accounts": [row["email"] for row in rows],
            "cities": [city.id for city, _pool, _locale in cities],
            "sections": len(catalog().worksheets),
            "characters": characters // len(cities),
        }
        db.engine.dispose()
        return plan


class Browser:
    """One person: a cookie, an address of its own (X-Forwarded-For), a connection."""

    def __init__(self, number: int):
        self.address = f"10.2.{number // 250}.{number % 250 + 1}"
        self.cookie = ""

    def request(self, method: str, path: str, form: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=180)
        headers = {"X-Forwarded-For": self.address}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
        if cookie.startswith("session="):
            self.cookie = cookie
        connection.close()
        return response.status, content

    def login_form(self, email: str) -> dict:
        self.cookie = ""  # a fresh browser session
        _status, page = self.request("GET", "/login")
        marker = b'name="csrf_token" type="hidden" value="'
        start = page.index(marker) + len(marker)
        token = page[start : page.index(b'"', start)].decode()
        return {"csrf_token": token, "email": email, "password": PASSWORD}


def _together(count: int, work) -> list:
    """Runs work(n) in `count` threads released at the same moment; results in order (an
    exception, such as a timeout or a dropped connection, stands in for its result)."""
    results, gate = [None] * count, threading.Barrier(count)

    def worker(n):
        gate.wait()
        try:
            results[n] = work(n)
        except OSError as error:
            results[n] = error

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def pdf_exports(server, plan) -> None:
    people = [Browser(n) for n in range(EXPORTS)]
    for n, person in enumerate(people):
        status, _ = person.request("POST", "/login", person.login_form(plan["accounts"][n]))
        if status != 302:
            raise SystemExit(f"T-LOAD-3: sign-in for the exports answered {status}")

    def export(n):
        city = plan["cities"][n % 2]
        started = time.perf_counter()
        try:
            status, content = people[n].request("GET", f"/cities/{city}/strategy/export.pdf")
        except OSError as error:
            status, content = type(error).__name__, b""
        return time.perf_counter() - started, status, content

    for n, language in ((0, "English"), (1, "Arabic")):
        alone, status, content = export(n)
        pages = len(PdfReader(io.BytesIO(content)).pages) if content.startswith(b"%PDF") else 0
        print(
            f"T-LOAD-3: one PDF export alone, {language} ({plan['sections']} sections, "
            f"~{plan['characters']:,} characters of answers): {alone * 1000:.0f} ms, {pages} "
            f"pages, {len(content) / 1024:.0f} KiB, HTTP {status}"
        )
    reader, waits, done = Browser(999), [], threading.Event()

    def read_meanwhile():
        """A reader's step page while the exports run: sync workers serve one at a time."""
        while not done.is_set():
            started = time.perf_counter()
            with contextlib.suppress(OSError):
                reader.request("GET", STEP)
            waits.append((time.perf_counter() - started) * 1000)
            done.wait(0.5)

    probe = threading.Thread(target=read_meanwhile)
    with PeakRss(server) as memory:
        probe.start()
        results = _together(EXPORTS, export)
        done.set()
        probe.join()
    times = [seconds * 1000 for seconds, _status, _content in results]
    bad = [s for _t, s, c in results if s != 200 or not c.startswith(b"%PDF")]
    print(
        f"T-LOAD-3: {EXPORTS} concurrent PDF exports (half Kandy in English, half Tripoli in "
        f"Arabic): p50 {percentile(times, 0.5):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, "
        f"slowest {max(times):.0f} ms; {len(bad)} not a PDF/200 {bad or ''}; server memory "
        f"{memory.before / 2**20:.0f} MiB before, peak {memory.peak / 2**20:.0f} MiB"
    )
    print(
        f"T-LOAD-3: a step page requested meanwhile ({len(waits)} times): p50 "
        f"{percentile(waits, 0.5):.0f} ms, slowest {max(waits):.0f} ms"
    )


def sign_in_bursts(server, plan) -> None:
    people = [Browser(100 + n) for n in range(SIGN_INS)]
    times, statuses = [], []
    with PeakRss(server) as memory:
        for _round in range(ROUNDS):
            forms = [person.login_form(plan["accounts"][n]) for n, person in enumerate(people)]

            def sign_in(n, forms=forms):
                started = time.perf_counter()
                try:
                    status, _content = people[n].request("POST", "/login", forms[n])
                except OSError as error:
                    status = type(error).__name__
                return (time.perf_counter() - started) * 1000, status

            for elapsed, status in _together(SIGN_INS, sign_in):
                times.append(elapsed)
                statuses.append(status)
    refused = [s for s in statuses if s != 302]
    print(
        f"T-LOAD-3: {ROUNDS} bursts of {SIGN_INS} concurrent sign-ins (Argon2id, 19 MiB, t=2): "
        f"p50 {percentile(times, 0.5):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, slowest "
        f"{max(times):.0f} ms; {len(refused)} not signed in {refused or ''}; server memory "
        f"{memory.before / 2**20:.0f} MiB before, peak {memory.peak / 2**20:.0f} MiB"
    )


def run(folder: Path) -> None:
    database, kind = server_database(folder, "heavy")
    plan = prepare(database)
    env = {"DATABASE_URL": database, "FLASK_SECRET_KEY": "bench", "FLASK_TRUSTED_PROXIES": "1"}
    use_shared_limits(env)
    print(
        f"T-LOAD-3 set-up: {kind}; gunicorn 2 sync workers; rate limits unchanged, one "
        f"address per simulated person; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    log = folder / "heavy-server.log"
    server = gunicorn("app:create_app()", PORT, env, log)
    try:
        pdf_exports(server, plan)
        sign_in_bursts(server, plan)
    finally:
        server.terminate()
        server.wait()
    server_problems(log, "T-LOAD-3")
