"""`make bench`: prints the figures the targets are checked against; asserts nothing.

Step page vs a bare Flask page under the same gunicorn settings, compressed page weights,
a step page on emulated slow 3G, the dashboard at 100 / 1,000 / 10,000 participants,
worksheet saves with 20 concurrent editors, a mixed workload of 100 simulated users
(bench/mixed_load.py, T-LOAD-2) and PDF exports and sign-in bursts (bench/heavy.py, T-LOAD-3).

BENCH_ONLY=mixed,heavy (any of: throughput, weights, slow3g, dashboard, saves, mixed, heavy)
runs only those parts. The mixed workload and the heavy functions use PostgreSQL when
BENCH_DATABASE_URL or TEST_DATABASE_URL is set, else a SQLite file.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
STEP = "/guides/mayors/role/why-the-mayor"
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
SIZES = tuple(int(n) for n in os.environ.get("BENCH_DASHBOARD_SIZES", "100,1000,10000").split(","))


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def load(port: int, path: str, seconds: float = SECONDS, concurrency: int = 8):
    """Requests per second, p95 latency and the count of answers other than 200, keeping each
    client's cookies like a browser. Each request comes from another reader's address (sent as
    X-Forwarded-For, which the step server trusts from one proxy), as on a public site: one
    address alone would meet the per-address limit, not the page's cost."""
    latencies, refused, stop = [], [], time.monotonic() + seconds
    addresses = itertools.count()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        cookie = None
        while time.monotonic() < stop:
            number = next(addresses) % 50_000
            headers = {
                "X-Forwarded-For": f"10.{number // 65536}.{number // 256 % 256}.{number % 256}"
            }
            if cookie:
                headers["Cookie"] = cookie
            started = time.perf_counter()
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                refused.append(response.status)
            cookie = cookie or (response.getheader("Set-Cookie") or "").split(";")[0] or None
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / seconds, percentile(latencies, 0.95) * 1000, len(refused)


def gunicorn(app_spec: str, port: int, env: dict, log: Path | None = None) -> subprocess.Popen:
    """Two sync workers on loopback; `log` keeps the server's stderr (tracebacks) in a file."""
    stderr = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", app_spec],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    if log:
        stderr.close()  # the server holds its own copy
    # The port opens before the workers have loaded the app: wait until pages come back,
    # then warm both workers so that no measurement includes start-up.
    deadline = time.monotonic() + 60
    answered = 0
    while answered < 20 and time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/")
            answered += connection.getresponse().status == 200
        except OSError:
            time.sleep(0.2)
    if answered < 20:
        raise SystemExit(f"gunicorn for {app_spec} did not start")
    return process


def server_problems(log: Path, label: str) -> None:
    """Worker timeouts and tracebacks in a server's log: counted, with each kind's last line,
    and the first traceback that is not a timed-out worker's exit printed whole."""
    text = log.read_text(errors="replace") if log.exists() else ""
    timeouts = text.count("WORKER TIMEOUT")
    blocks = text.split("Traceback (most recent call last):")[1:]
    endings = Counter()
    first_real = None
    for block in blocks:
        lines = [line for line in block.splitlines() if line and not line.startswith(" ")]
        ending = lines[0] if lines else "?"
        endings[ending] += 1
        if first_real is None and not ending.startswith("SystemExit"):
            first_real = block
    kinds = "; ".join(f"{count} x {ending[:120]}" for ending, count in endings.items())
    print(
        f"{label}: server log: {timeouts} worker timeouts (gunicorn kills a worker after 30 s); "
        f"{len(blocks)} tracebacks{': ' + kinds if kinds else ''}"
    )
    if first_real is not None:
        print("Traceback (most recent call last):" + first_real[:6000])


def server_rss(process: subprocess.Popen) -> int:
    """Resident memory of a gunicorn master and its workers, in bytes."""
    import psutil

    try:
        master = psutil.Process(process.pid)
        members = [master, *master.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


class PeakRss:
    """Samples a server's resident memory every 50 ms while the block runs."""

    def __init__(self, process: subprocess.Popen):
        self.process, self.peak, self.before = process, 0, server_rss(process)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, server_rss(self.process))
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, server_rss(self.process))


def migrate(database: str) -> None:
    """The schema by the migrations, as an operator creates it (PostgreSQL: from empty)."""
    if database.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        engine = create_engine(database)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    subprocess.run(
        [str(BIN / "flask"), "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database, "FLASK_SECRET_KEY": "bench"},
        check=True,
        capture_output=True,
    )


def server_database(folder: Path, name: str) -> tuple[str, str]:
    """The database for a part run against gunicorn, and how to name it in the output."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        return url, "PostgreSQL" if url.startswith("postgresql") else url.split(":")[0]
    return f"sqlite:///{folder}/{name}.sqlite", "SQLite file"


def throughput(database: str) -> None:
    from bench.mixed_load import use_shared_limits

    # Configured as a deployment with two workers must be: limits shared through Redis.
    env = {"DATABASE_URL": database, "FLASK_SECRET_KEY": "bench", "FLASK_TRUSTED_PROXIES": "1"}
    limits = "Redis" if use_shared_limits(env) else "in-process memory"
    step_server = gunicorn("app:create_app()", 8711, env)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", 8711)
        connection.request("GET", STEP)
        size = len(connection.getresponse().read())
        step_rps, step_p95, step_refused = load(8711, STEP)
    finally:
        step_server.terminate()
        step_server.wait()
    # The same page rendered for every request, as for a signed-in reader: the template's cost.
    uncached_server = gunicorn(
        "app:create_app()", 8714, {**env, "FLASK_PUBLIC_PAGE_CACHE_SIZE": "0"}
    )
    try:
        uncached_rps, uncached_p95, uncached_refused = load(8714, STEP)
    finally:
        uncached_server.terminate()
        uncached_server.wait()
    bare_server = gunicorn("bench.bare_app:app", 8712, {"BENCH_PAGE_BYTES": str(size)})
    try:
        bare_rps, bare_p95, bare_refused = load(8712, "/")
    finally:
        bare_server.terminate()
        bare_server.wait()
    print(
        f"step page ({size} bytes, readers not signed in, limits in {limits}): "
        f"{step_rps:.0f} req/s, p95 {step_p95:.1f} ms, answers other than 200: {step_refused}"
    )
    print(
        f"bare page ({size} bytes): {bare_rps:.0f} req/s, p95 {bare_p95:.1f} ms, "
        f"answers other than 200: {bare_refused}"
    )
    print(
        f"step page rendered every time (page cache off): {uncached_rps:.0f} req/s, "
        f"p95 {uncached_p95:.1f} ms, answers other than 200: {uncached_refused}"
    )
    print(f"T-LOAD-1: throughput ratio step/bare: {step_rps / bare_rps:.2f} (target >= 0.6)")
    print(f"throughput ratio with the page cache off: {uncached_rps / bare_rps:.2f}")


def page_weights(app) -> None:
    client = app.test_client()
    assets = b"".join(client.get(f"/static/{name}").data for name in ("style.css", "app.js"))
    for label, url in (
        ("home", "/"),
        ("guide", "/guides/mayors"),
        ("module", "/guides/mayors/role"),
        ("step", STEP),
        ("glossary", "/glossary"),
        ("sign-in", "/login"),
    ):
        html = client.get(url).data
        total = len(gzip.compress(html + assets))
        print(f"compressed bytes, {label} page + CSS + JS: {total:,} (target <= 30,000)")


def slow_3g(database: str) -> None:
    from playwright.sync_api import sync_playwright

    env = {"DATABASE_URL": database, "FLASK_SECRET_KEY": "bench"}
    server = gunicorn("app:create_app()", 8713, env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                ],
            )
            page = browser.new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": 400,
                    "downloadThroughput": 400_000 / 8,
                    "uploadThroughput": 400_000 / 8,
                },
            )
            page.goto(f"http://127.0.0.1:8713{STEP}", wait_until="load")
            elapsed = (
                page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000
            )
            browser.close()
        print(f"step page load on slow 3G (400 ms, 400 kbit/s): {elapsed:.2f} s (target < 2.5 s)")
    finally:
        server.terminate()
        server.wait()


def dashboard_times(database_dir: Path) -> None:
    from sqlalchemy import insert

    from app import create_app
    from app.cohorts import service
    from app.content import catalog
    from app.extensions import db
    from app.models import CohortMember, ModuleProgress, Municipality, SiteRole, User
    from app.models.base import utcnow

    for size in SIZES:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_dir}/d{size}.sqlite",
                "SECRET_KEY": "bench",
                "WTF_CSRF_ENABLED": False,
                "REQUIRE_STAFF_TWO_FACTOR": False,
            }
        )
        with app.app_context():
            db.create_all()
            trainer = User(
                email="t@x.invalid", name="T", password_hash="x", site_role=SiteRole.ADMIN
            )
            city = Municipality(name="Colombo", country="LK", region="")
            db.session.add_all([trainer, city])
            db.session.flush()
            keys = [module.key for module in catalog().modules()]
            cohort = service.create_cohort(trainer, name="Bench", module_keys=keys)
            db.session.execute(
                insert(User),
                [
                    {
                        "email": f"p{n}@x.invalid",
                        "name": f"P {n}",
                        "password_hash": "x",
                        "site_role": "member",
                        "active": True,
                        "created_at": utcnow(),
                        "password_changed_at": utcnow(),
                    }
                    for n in range(size)
                ],
            )
            ids = [
                row.id
                for row in db.session.execute(
                    db.select(User.id).where(User.email.like("p%@x.invalid"))
                )
            ]
            db.session.execute(
                insert(CohortMember),
                [
                    {
                        "cohort_id": cohort.id,
                        "user_id": uid,
                        "municipality_id": city.id,
                        "joined_at": utcnow(),
                    }
                    for uid in ids
                ],
            )
            now = utcnow()
            db.session.execute(
                insert(ModuleProgress),
                [
                    {
                        "user_id": uid,
                        "module_key": key,
                        "steps_seen": 3,
                        "quiz_passed": n % 2 == 0,
                        "best_score": 80,
                        "latest_score": 70,
                        "started_at": now,
                        "updated_at": now,
                        "completed_at": now if n % 2 == 0 else None,
                    }
                    for n, uid in enumerate(ids)
                    for key in keys[: 1 + n % len(keys)]
                ],
            )
            db.session.commit()
            trainer_id, cohort_id = trainer.id, cohort.id
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = str(trainer_id)
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(f"/cohorts/{cohort_id}")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        print(
            f"dashboard server time, {size:,} participants x {len(keys)} modules: "
            f"{min(timings):.0f} ms (target at 1,000: < 150 ms)"
        )


def concurrent_saves(database_dir: Path) -> None:
    from app import create_app
    from app.extensions import db
    from app.models import Municipality
    from app.strategy import service

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database_dir}/saves.sqlite", "SECRET_KEY": "bench"}
    )
    with app.app_context():
        db.create_all()
        city = Municipality(name="Mardan", country="PK", region="")
        db.session.add(city)
        db.session.commit()
        strategy = service.strategy_of(city.id)
        slugs = ["context-and-mandate", "risks-and-needs", "stakeholder-map", "coordination"]
        sheets = [service.worksheet_of(strategy, slug).id for slug in slugs]
        db.session.commit()
    latencies, conflicts = [], []

    def editor(number):
        from app.models import Worksheet

        with app.app_context():
            for round_ in range(10):
                worksheet = db.session.get(Worksheet, sheets[number % len(sheets)])
                started = time.perf_counter()
                result = service.save_section(
                    worksheet, worksheet.version, {"notes": f"editor {number} round {round_}"}, None
                )
                db.session.commit()
                latencies.append((time.perf_counter() - started) * 1000)
                conflicts.append(isinstance(result, service.Conflict))
                db.session.expire_all()

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(
        f"worksheet save, 20 concurrent editors x 10 saves (SQLite): p50 "
        f"{statistics.median(latencies):.0f} ms, p95 {percentile(latencies, 0.95):.0f} ms, "
        f"conflicts {sum(conflicts)} of {len(conflicts)}"
    )


PARTS = ("throughput", "weights", "slow3g", "dashboard", "saves", "mixed", "heavy")


def main() -> None:
    from app import create_app

    chosen = [p.strip() for p in os.environ.get("BENCH_ONLY", ",".join(PARTS)).split(",")]
    unknown = set(chosen) - set(PARTS) - {""}
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown part(s) {', '.join(sorted(unknown))}; {PARTS}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        database = f"sqlite:///{folder}/bench.sqlite"
        if {"throughput", "weights", "slow3g"} & set(chosen):
            migrate(database)
        if "throughput" in chosen:
            throughput(database)
        if "weights" in chosen:
            page_weights(create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench"}))
        if "slow3g" in chosen:
            slow_3g(database)
        if "dashboard" in chosen:
            dashboard_times(folder)
        if "saves" in chosen:
            concurrent_saves(folder)
        if "mixed" in chosen:
            from bench import mixed_load

            mixed_load.run(folder)
        if "heavy" in chosen:
            from bench import heavy

            heavy.run(folder)


if __name__ == "__main__":
    main()
