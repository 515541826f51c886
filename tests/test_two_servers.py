"""T-CONC-3: two gunicorn servers share one PostgreSQL and one Redis: sessions, saves and
rate limits behave as one site."""

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import MunicipalRole, WorksheetRevision
from tests.conftest import FIXTURE_GUIDES
from tests.helpers import PASSWORD, make_municipality, make_user

ROOT = Path(__file__).parent.parent
REDIS = "redis://127.0.0.1:6379/15"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def servers(app, database_uri):
    if not database_uri.startswith("postgresql"):
        pytest.skip("two servers share PostgreSQL; this runs where TEST_DATABASE_URL is set")
    if not _redis_up():
        pytest.fail("Redis is not running on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_uri,
        "REDIS_URL": REDIS,
        "FLASK_SECRET_KEY": "shared-secret-for-both-servers",
        "FLASK_GUIDES_DIR": str(FIXTURE_GUIDES),
        "FLASK_REQUIRE_STAFF_TWO_FACTOR": "false",
    }
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    processes, bases = [], []
    # SERVER_LOG=path keeps the servers' output for debugging; by default it is discarded.
    log = open(os.environ.get("SERVER_LOG", os.devnull), "a")  # noqa: SIM115
    for _ in range(2):
        port = _free_port()
        processes.append(
            subprocess.Popen(
                [
                    gunicorn,
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "app:create_app()",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    for base in bases:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
    yield bases
    for process in processes:
        process.terminate()
        process.wait(timeout=10)
    log.close()


class Browser:
    """Cookies and CSRF tokens, as a browser keeps them, over plain HTTP."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url):
        with self.opener.open(url, timeout=20) as response:
            return response.read().decode()

    def post(self, url, data, headers=None):
        request = urllib.request.Request(
            url, data=urllib.parse.urlencode(data, doseq=True).encode(), headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def token_in(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_saves_and_sessions_across_two_servers(app, servers):
    """T-CONC-3: one session used on both servers; T-CONC-1 through them (20 saves from the
    same version, alternating servers: one succeeds) and then T-CONC-2's rebasing editors
    (4 editors x 5 saves, each save on the other server than the last): none lost."""
    city = make_municipality(app)
    make_user(app, municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    first, second = servers
    person = Browser()
    login_page = person.get(f"{first}/login")
    status, _ = person.post(
        f"{first}/login",
        {"csrf_token": token_in(login_page), "email": "member@example.org", "password": PASSWORD},
    )
    section = f"{{}}/cities/{city}/strategy/context"
    page = person.get(section.format(second))  # the session made on one server works on both
    token = token_in(page)
    lock = threading.Lock()

    def autosave(server, base, save_id, text):
        return person.post(
            section.format(server) + "/autosave",
            {"csrf_token": token, "base_version": base, "save_id": save_id, "notes": text},
            headers={"X-CSRFToken": token},
        )

    race, barrier = [], threading.Barrier(20)

    def racer(number):
        barrier.wait()
        status, _ = autosave(servers[number % 2], 0, f"race-{number}", f"racer {number}")
        with lock:
            race.append((servers[number % 2], status))

    run_threads(racer, 20)
    race_wins = [server for server, status in race if status == 200]
    race_conflicts = [server for server, status in race if status == 409]
    print(
        f"\nT-CONC-3 (T-CONC-1 through two servers): 20 saves from version 0: "
        f"{len(race_wins)} success, {len(race_conflicts)} conflicts (first server "
        f"{race_conflicts.count(first)}, second {race_conflicts.count(second)}), "
        f"revisions {_revisions(app)}"
    )
    assert (len(race_wins), len(race_conflicts), _revisions(app)) == (1, 19, 1)

    results = []

    def editor(number):
        base = 1
        for round_ in range(5):
            server = servers[(number + round_) % 2]
            text = f"editor {number} round {round_}"
            while True:
                status, body = autosave(server, base, f"{number}-{round_}", text)
                if status == 200:
                    base = int(re.search(r'"version":\s*(\d+)', body).group(1))
                    with lock:
                        results.append((base, text, server))
                    break
                assert status == 409, body
                base = _current_version(app)

    run_threads(editor, 4)
    with app.app_context():
        stored = {
            r.version: r.data["notes"]
            for r in db.session.execute(select(WorksheetRevision)).scalars()
        }
    lost = [version for version, text, _ in results if stored.get(version) != text]
    per_server = [sum(1 for *_, server in results if server == base) for base in servers]
    print(
        f"T-CONC-3 (T-CONC-2 through two servers): {len(results)} acknowledged saves "
        f"({per_server[0]} on the first server, {per_server[1]} on the second), versions "
        f"{min(v for v, *_ in results)}..{max(v for v, *_ in results)}, "
        f"revisions {len(stored)}, {len(lost)} lost"
    )
    assert sorted(v for v, *_ in results) == list(range(2, 22)) and len(stored) == 21
    assert lost == []


def run_threads(target, count):
    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _revisions(app):
    with app.app_context():
        return db.session.scalar(select(func.count(WorksheetRevision.id)))


def _current_version(app):
    from app.models import Worksheet

    with app.app_context():
        return db.session.execute(select(Worksheet.version)).scalar_one()


def test_rate_limits_are_shared_by_both_servers(app, servers):
    """T-CONC-3 and the cross-worker part of T-AUTH-3: the per-address sign-in limit is one
    bucket in Redis, whichever server answers."""
    statuses = []
    for attempt in range(24):
        person = Browser()
        base = servers[attempt % 2]
        page = person.get(f"{base}/login")
        status, _ = person.post(
            f"{base}/login",
            {
                "csrf_token": token_in(page),
                "email": f"p{attempt}@example.org",
                "password": "wrong wrong wrong",
            },
        )
        statuses.append(status)
    print(
        f"\nT-CONC-3: sign-in attempts alternating servers: first 429 at attempt "
        f"{statuses.index(429) + 1 if 429 in statuses else None}"
    )
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


def test_gunicorn_sends_no_version_banner_and_refuses_trace(servers):
    """T-HDR-3 on the real server: gunicorn's Server header names the product without a
    version (the application adds none), and TRACE is refused."""
    import http.client

    host, port = servers[0].removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=20)
    connection.request("GET", "/login")
    page = connection.getresponse()
    page.read()
    banners = page.headers.get_all("Server") or []
    connection.request("TRACE", "/")
    trace = connection.getresponse()
    trace.read()
    connection.close()
    print(
        f"\nT-HDR-3 (gunicorn): Server headers {banners}; version in banner: "
        f"{any(re.search(r'[0-9]', b) for b in banners)}; TRACE -> {trace.status}"
    )
    assert len(banners) <= 1 and not any(re.search(r"[/0-9]", b) for b in banners)
    assert trace.status in (400, 405)
