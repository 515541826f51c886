"""T-LOAD-2: a mixed workload of 100 simulated users against gunicorn, then the T-CONC-2
invariant checker over every worksheet.

Locust (bench/locustfile.py) runs headless as a subprocess: 100 users spawned at 10/s, 1-3 s
think time; participants spend 60 % of their turns on step pages, 15 % on quizzes, 15 % on
autosaving their own worksheet field and 5 % signing in again; 5 trainers (5 % of the turns)
open their cohort's dashboard. BENCH_MIXED_SECONDS sets the run time (default 180);
BENCH_MIXED_EDITORS_PER_SECTION > 1 puts that many participants, each on a different field,
in the same section (default 1: every participant has a section of its own).
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

from bench.run import (
    BIN,
    ROOT,
    PeakRss,
    gunicorn,
    migrate,
    percentile,
    server_database,
    server_problems,
)

PORT = 8714
REDIS = "redis://127.0.0.1:6379/13"
USERS = 100
TRAINERS = 5
SPAWN_RATE = 10
SECONDS = int(os.environ.get("BENCH_MIXED_SECONDS", "180"))
EDITORS_PER_SECTION = int(os.environ.get("BENCH_MIXED_EDITORS_PER_SECTION", "1"))
PASSWORD = "bench password for many simulated users"  # noqa: S105


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def use_shared_limits(env: dict) -> bool:
    """Point the servers' rate limits at an emptied Redis database, as a deployment with
    several workers must; False (limits stay per worker) where no Redis runs."""
    if not redis_up():
        return False
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    env["REDIS_URL"] = REDIS
    return True


def prepare(database: str, records: Path) -> dict:
    """Accounts, memberships and a cohort, written straight into the bench database."""
    import pyotp
    from sqlalchemy import insert, select

    from app import create_app
    from app.auth.passwords import hash_password
    from app.cohorts import service as cohorts
    from app.content import catalog
    from app.extensions import db
    from app.models import CohortMember, CohortTrainer, Membership, Municipality, SiteRole, User
    from app.models.base import utcnow

    migrate(database)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench"})
    with app.app_context():
        content = catalog()
        participants = USERS - TRAINERS
        # (section, field) slots: a section takes as many editors as it has long text fields.
        slots = []
        for section in content.worksheets:
            texts = [f for f in section.spec.fields if f.type == "long_text"]
            if len(texts) >= EDITORS_PER_SECTION:
                slots += [(section.slug, f) for f in texts[:EDITORS_PER_SECTION]]
        cities = [
            Municipality(name=f"Bench city {n + 1}", country="LK", region="")
            for n in range(math.ceil(participants / len(slots)))
        ]
        db.session.add_all(cities)
        db.session.flush()
        password_hash = hash_password(PASSWORD)  # one Argon2 hash for every account
        now = utcnow()

        def accounts(prefix, count, role, **extra):
            rows = [
                {
                    "email": f"{prefix}{n}@bench.example.org",
                    "name": f"{prefix.title()} {n}",
                    "password_hash": password_hash,
                    "site_role": role,
                    "active": True,
                    "created_at": now,
                    "password_changed_at": now,
                    **extra,
                }
                for n in range(count)
            ]
            db.session.execute(insert(User), rows)
            emails = [row["email"] for row in rows]
            found = db.session.execute(select(User.email, User.id).where(User.email.in_(emails)))
            ids = dict(found.all())
            return [(row, ids[row["email"]]) for row in rows]

        members = accounts("participant", participants, SiteRole.MEMBER)
        secrets = [pyotp.random_base32() for _ in range(TRAINERS)]
        staff = accounts("trainer", TRAINERS, SiteRole.TRAINER)
        for (row, _id), secret in zip(staff, secrets, strict=True):
            db.session.execute(
                User.__table__.update().where(User.email == row["email"]).values(totp_secret=secret)
            )
        plan_participants, memberships = [], []
        for n, (row, user_id) in enumerate(members):
            city = cities[n // len(slots)]
            slug, field = slots[n % len(slots)]
            memberships.append(
                {
                    "user_id": user_id,
                    "municipality_id": city.id,
                    "role": "editor",
                    "created_at": now,
                }
            )
            plan_participants.append(
                {
                    "email": row["email"],
                    "municipality": city.id,
                    "section": slug,
                    "field": field.id,
                    "max_length": field.max_length,
                    "section_url": f"/cities/{city.id}/strategy/{slug}",
                }
            )
        db.session.execute(insert(Membership), memberships)
        first = db.session.get(User, staff[0][1])
        cohort = cohorts.create_cohort(
            first, name="Bench cohort", module_keys=[m.key for m in content.modules()]
        )
        for _row, user_id in staff[1:]:
            db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=user_id))
        db.session.execute(
            insert(CohortMember),
            [
                {
                    "cohort_id": cohort.id,
                    "user_id": user_id,
                    "municipality_id": plan["municipality"],
                    "joined_at": now,
                }
                for (_row, user_id), plan in zip(members, plan_participants, strict=True)
            ],
        )
        db.session.commit()
        cohort_id = cohort.id
        db.engine.dispose()
        return {
            "password": PASSWORD,
            "records": str(records),
            "trainer_count": TRAINERS,
            "participants": plan_participants,
            "trainers": [
                {"email": row["email"], "totp_secret": secret, "dashboard": f"/cohorts/{cohort_id}"}
                for (row, _id), secret in zip(staff, secrets, strict=True)
            ],
            "steps": [
                f"/guides/{step.guide_slug}/{step.module_slug}/{step.slug}"
                for step in content.steps()
            ],
            "quizzes": [
                f"/guides/{module.guide_slug}/{module.slug}/quiz"
                for module in content.modules()
                if module.quiz
            ],
            "cities": len(cities),
            "sections": len({slug for slug, _field in slots}),
        }


def summarise(records: list[dict]) -> None:
    requests = [r for r in records if r["t"] == "req"]
    seconds = max(r["at"] for r in requests) - min(r["at"] for r in requests)
    by_name = defaultdict(list)
    for record in requests:
        by_name[record["name"]].append(record)
    print(
        f"T-LOAD-2: {len(requests):,} requests in {seconds:.0f} s: "
        f"{len(requests) / seconds:.1f} req/s in total"
    )
    print(f"  {'request type':<20} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} errors")
    for name in sorted(by_name, key=lambda n: -len(by_name[n])):
        rows = by_name[name]
        times = [r["ms"] for r in rows]
        statuses = Counter(r["status"] for r in rows if not r["ok"])
        errors = ", ".join(
            f"{count} x {status or 'no answer'}" for status, count in statuses.items()
        )
        print(
            f"  {name:<20} {len(rows):>6} {percentile(times, 0.5):>7.0f} "
            f"{percentile(times, 0.95):>7.0f} {percentile(times, 0.99):>7.0f} {errors or '-'}"
        )
    turns = {
        "step page": len(by_name["step page"]),
        "quiz": len(by_name["quiz page"]),
        "autosave": len(by_name["autosave"]),
        "dashboard": len(by_name["dashboard"]),
        # each participant's first sign-in opens its session; the rest are the 5 % turns
        "sign-in": max(0, len(by_name["sign-in"]) - (USERS - TRAINERS)),
    }
    total = max(1, sum(turns.values()))
    print(
        "T-LOAD-2: turns taken: "
        + ", ".join(f"{name} {count * 100 / total:.0f} %" for name, count in turns.items())
        + " (a quiz turn is 3 requests; autosave retries after a 409 count once more)"
    )
    failed = [r for r in requests if not r["ok"]]
    server_errors = [r for r in requests if r["status"] >= 500]
    limited = [r for r in requests if r["status"] == 429]
    conflicts = [r for r in requests if r["name"] == "autosave" and r["status"] == 409]
    share = 100 / max(1, len(requests))
    print(
        f"T-LOAD-2: errors (any status but the expected one) {len(failed)} "
        f"({len(failed) * share:.2f} %), of which 5xx "
        f"{len(server_errors)} ({len(server_errors) * share:.2f} %), 429 rate-limited "
        f"{len(limited)}, no answer {sum(r['status'] == 0 for r in requests)}; "
        f"autosave conflicts answered 409 (expected, rebased): {len(conflicts)}"
    )


def check_worksheets(database: str, records: list[dict], plan: dict) -> None:
    """T-CONC-2's invariants over all worksheets: every acknowledged save is the revision it
    names, with the text sent; versions run 1..n without gaps; each field ends as its last
    acknowledged save (or as a later save still in flight when the run stopped). And, since
    each field has one owner: no revision by someone else replaces an acknowledged text."""
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import Strategy, User, Worksheet, WorksheetRevision

    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "SECRET_KEY": "bench"})
    with app.app_context():
        sheets = {
            (strategy.municipality_id, sheet.section_slug): sheet
            for sheet, strategy in db.session.execute(
                select(Worksheet, Strategy).join(Strategy, Worksheet.strategy_id == Strategy.id)
            ).all()
        }
        revisions = defaultdict(dict)
        for revision in db.session.execute(select(WorksheetRevision)).scalars():
            revisions[revision.worksheet_id][revision.version] = revision
        acks = [r for r in records if r["t"] == "ack"]
        sent = [r for r in records if r["t"] == "sent"]
        mismatched = []
        for ack in acks:
            sheet = sheets.get((ack["municipality"], ack["section"]))
            revision = revisions[sheet.id].get(ack["version"]) if sheet else None
            if (
                revision is None
                or revision.save_id != ack["save_id"]
                or revision.data.get(ack["field"]) != ack["text"]
            ):
                mismatched.append(ack)
        gaps = [
            sheet
            for sheet in sheets.values()
            if sorted(revisions[sheet.id]) != list(range(1, sheet.version + 1))
        ]
        last_ack, acked_texts = {}, set()
        for ack in acks:
            key = (ack["municipality"], ack["section"], ack["field"])
            acked_texts.add(ack["text"])
            if key not in last_ack or ack["version"] > last_ack[key]["version"]:
                last_ack[key] = ack
        in_flight = defaultdict(set)  # sent after the last acknowledgement, never answered
        for record in sent:
            if record["text"] not in acked_texts:
                in_flight[(record["municipality"], record["section"], record["field"])].add(
                    record["text"]
                )
        overwritten, unanswered_kept = [], 0
        for key, ack in last_ack.items():
            final = sheets[key[:2]].data.get(key[2])
            if final == ack["text"]:
                continue
            if final in in_flight[key]:
                unanswered_kept += 1
            else:
                overwritten.append((key, ack["version"], final))
        owners = defaultdict(dict)
        for person in plan["participants"]:
            owners[(person["municipality"], person["section"])][person["field"]] = person["email"]
        emails = dict(db.session.execute(select(User.id, User.email)).all())
        erased = []  # an acknowledged text replaced by a save of someone who did not own it
        for key, sheet in sheets.items():
            before: dict = {}
            for version in sorted(revisions[sheet.id]):
                revision = revisions[sheet.id][version]
                for field, owner in owners[key].items():
                    old, new = before.get(field), revision.data.get(field)
                    if (
                        old != new
                        and old in acked_texts
                        and emails.get(revision.author_id) != owner
                    ):
                        erased.append((key, field, version))
                before = revision.data
        lost = len(mismatched) + len(overwritten) + len(erased)
        print(
            f"T-LOAD-2 invariants over {len(sheets)} worksheets, {len(acks)} acknowledged "
            f"autosaves ({len(sent)} sent): {len(mismatched)} acknowledged saves missing or "
            f"different in their revision; {len(gaps)} worksheets with version gaps; "
            f"{len(overwritten)} fields whose final text is not their last acknowledged save "
            f"({unanswered_kept} end with a save still in flight at the stop, not counted); "
            f"{len(erased)} acknowledged texts replaced by another editor's save"
        )
        for key, version, final in overwritten[:3]:
            print(f"  e.g. {key}: last acknowledged v{version}, final text {str(final)[:60]!r}")
        for key, field, version in erased[:3]:
            print(f"  e.g. {key} field {field}: replaced at v{version} by another editor")
        print(f"T-LOAD-2: lost updates: {lost}")


def run(folder: Path) -> None:
    database, kind = server_database(folder, "mixed")
    records_file = folder / "mixed-records.jsonl"
    plan = prepare(database, records_file)
    plan_file = folder / "mixed-plan.json"
    plan_file.write_text(json.dumps(plan))
    env = {
        "DATABASE_URL": database,
        "FLASK_SECRET_KEY": "bench",
        "FLASK_TRUSTED_PROXIES": "1",
    }
    if use_shared_limits(env):
        limits = f"Redis {REDIS}"
    else:
        limits = "in-process memory (no Redis on 127.0.0.1:6379: each worker counts alone)"
    print(
        f"T-LOAD-2 set-up: {kind}; gunicorn 2 sync workers; {USERS} users ({TRAINERS} trainers "
        f"signed in with TOTP, {USERS - TRAINERS} participants in {plan['cities']} cities, "
        f"{EDITORS_PER_SECTION} per section across {plan['sections']} sections), spawn "
        f"{SPAWN_RATE}/s, {SECONDS} s, think time 1-3 s; rate limits unchanged (sign-in 20/min "
        f"per address, 5/min and 20/h per account) and shared in {limits}; each simulated user "
        "sends its own X-Forwarded-For address and the server trusts one proxy "
        f"(FLASK_TRUSTED_PROXIES=1), as behind a reverse proxy; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    log = folder / "mixed-server.log"
    server = gunicorn("app:create_app()", PORT, env, log)
    try:
        with PeakRss(server) as memory:
            result = subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(USERS),
                    "--spawn-rate",
                    str(SPAWN_RATE),
                    "--run-time",
                    f"{SECONDS}s",
                    "--stop-timeout",
                    "10",
                    "--host",
                    f"http://127.0.0.1:{PORT}",
                    "--only-summary",
                    "--loglevel",
                    "ERROR",
                    "--exit-code-on-error",
                    "0",
                ],
                cwd=ROOT,
                env={**os.environ, "BENCH_PLAN": str(plan_file)},
                capture_output=True,
                text=True,
                check=False,
            )
    finally:
        server.terminate()
        server.wait()
    if result.returncode != 0 or not records_file.exists():
        print(result.stdout[-3000:], result.stderr[-3000:])
        raise SystemExit(f"locust failed (exit {result.returncode})")
    records = [json.loads(line) for line in records_file.read_text().splitlines()]
    summarise(records)
    print(
        f"T-LOAD-2: server resident memory (master + 2 workers): {memory.before / 2**20:.0f} MiB "
        f"before, peak {memory.peak / 2**20:.0f} MiB"
    )
    server_problems(log, "T-LOAD-2")
    check_worksheets(database, records, plan)
