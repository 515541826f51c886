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
    results, lock = [], threading.Lock()

    def editor(number):
        base = 0
        for round_ in range(5):
            server = servers[(number + round_) % 2]
            while True:
                status, body = person.post(
                    section.format(server) + "/autosave",
                    {
                        "csrf_token": token,
                        "base_version": base,
                        "save_id": f"{number}-{round_}",
                        "notes": f"editor {number} round {round_}",
                    },
                    headers={"X-CSRFToken": token},
                )
                if status == 200:
                    base = int(re.search(r'"version":\s*(\d+)', body).group(1))
                    with lock:
                        results.append(base)
                    break
                assert status == 409, body
                base = _current_version(app)

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        revisions = db.session.scalar(select(func.count(WorksheetRevision.id)))
    print(
        f"\nT-CONC-3: {len(results)} acknowledged saves through two servers, versions "
        f"{sorted(results)[:3]}..{max(results)}, revisions {revisions}"
    )
    assert sorted(results) == list(range(1, 21)) and revisions == 20


def _current_version(app):
    from app.models import Worksheet

    with app.app_context():
        return db.session.execute(select(Worksheet.version)).scalar_one()


def test_rate_limits_are_shared_by_both_servers(app, servers):
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
