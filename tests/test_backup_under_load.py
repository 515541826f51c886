"""T-BAK-2: backups taken while editors keep saving are consistent snapshots; restored into an
empty database they pass the integrity checks and hold every save acknowledged before they began."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict

from sqlalchemy import event, func, select, text

from app.backup import make_backup, restore
from app.extensions import db
from app.models import User, Worksheet, WorksheetRevision
from app.strategy import service
from tests.conftest import _reset_schema, make_app

WORKSHEETS = 3
EDITORS_PER_WORKSHEET = 2
LOAD_SECONDS = 2.0  # backups are taken back to back for this long while the editors save
RESTORED = 3  # the backups that overlapped the most saves are restored and checked


def db_name(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+", 1)[0]


def save(app, worksheet_id, base_version, notes, author_id):
    with app.app_context():
        worksheet = db.session.get(Worksheet, worksheet_id)
        result = service.save_section(worksheet, base_version, {"notes": notes}, author_id)
        db.session.commit()
        return result


def demo_site(app, runner):
    """The demo site (ten cities, people, progress, drafts): every table has rows."""
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        worksheets = db.session.execute(
            select(Worksheet.id, Worksheet.version).order_by(Worksheet.id).limit(WORKSHEETS)
        ).all()
        people = db.session.scalars(select(User.id).order_by(User.id)).all()
    assert len(worksheets) == WORKSHEETS and len(people) >= WORKSHEETS * EDITORS_PER_WORKSHEET
    return [tuple(row) for row in worksheets], people


def snapshot_problems(tables: dict) -> list[str]:
    """What a torn read would show: a worksheet whose version, content or audit trail disagrees
    with its revisions in the same backup."""
    problems = []
    revisions = defaultdict(dict)
    for row in tables["worksheet_revision"]:
        revisions[row["worksheet_id"]][row["version"]] = row["data"]
    city_of = {row["id"]: row["municipality_id"] for row in tables["strategy"]}
    audited = defaultdict(set)
    for row in tables["audit_event"]:
        if row["action"] == "section_saved":
            audited[(row["municipality_id"], row["section_slug"])].add(row["detail"]["version"])
    for worksheet in tables["worksheet"]:
        versions = revisions[worksheet["id"]]
        if sorted(versions) != list(range(1, worksheet["version"] + 1)):
            problems.append(f"worksheet {worksheet['id']} at v{worksheet['version']}: {versions}")
        elif worksheet["version"] and versions[worksheet["version"]] != worksheet["data"]:
            problems.append(f"worksheet {worksheet['id']}: content is not its newest revision")
        key = (city_of[worksheet["strategy_id"]], worksheet["section_slug"])
        if audited[key] != set(versions):
            problems.append(f"worksheet {worksheet['id']}: audit {audited[key]} != {set(versions)}")
    return problems


def missing_acknowledged(tables: dict, acknowledged: list) -> list:
    present = {(r["worksheet_id"], r["version"]): r["data"] for r in tables["worksheet_revision"]}
    return [
        (worksheet_id, version)
        for worksheet_id, version, notes in acknowledged
        if (present.get((worksheet_id, version)) or {}).get("notes") != notes
    ]


def restore_and_check(app, database_uri, payload, acknowledged) -> list[str]:
    """Restore into an empty database; return integrity errors and missing acknowledged saves."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        target = make_app(database_uri)  # a fresh SQLite file
    else:
        target = app  # the PostgreSQL test database, emptied
    errors = []
    with target.app_context():
        db.session.remove()
        _reset_schema()  # PostgreSQL: the schema dropped and made anew; SQLite: a new file
        restore(payload)
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            check = db.session.execute(text("PRAGMA integrity_check")).scalars().all()
            if check != ["ok"]:
                errors.append(f"integrity_check: {check}")
            dangling = db.session.execute(text("PRAGMA foreign_key_check")).all()
            errors += [f"foreign key: {tuple(row)}" for row in dangling]
        for table in db.metadata.sorted_tables:
            rows = db.session.scalar(select(func.count()).select_from(table))
            if rows != len(payload["tables"].get(table.name, [])):
                errors.append(
                    f"{table.name}: {rows} rows restored, backup lists "
                    f"{len(payload['tables'].get(table.name, []))}"
                )
        restored = {
            (r.worksheet_id, r.version): r.data
            for r in db.session.execute(select(WorksheetRevision)).scalars()
        }
        errors += [
            f"acknowledged save missing after restore: worksheet {w} v{v}"
            for w, v, notes in acknowledged
            if (restored.get((w, v)) or {}).get("notes") != notes
        ]
        db.session.remove()
    if target is not app:
        with target.app_context():
            db.engine.dispose()
    return errors


def test_online_backup_under_autosave_load_is_a_consistent_restorable_snapshot(
    app, runner, tmp_path
):
    worksheets, people = demo_site(app, runner)
    acknowledged, failures, lock = [], [], threading.Lock()
    stop = threading.Event()

    def editor(number, worksheet_id, base, author_id):
        jitter = random.Random(number)
        round_ = 0
        try:
            while not stop.is_set():
                notes = f"worksheet {worksheet_id} editor {number} save {round_}"
                result = save(app, worksheet_id, base, notes, author_id)
                stamp = time.monotonic()  # after the commit: the save is acknowledged now
                if isinstance(result, service.Saved):
                    with lock:
                        acknowledged.append((stamp, worksheet_id, result.version, notes))
                    base, round_ = result.version, round_ + 1
                else:
                    base = result.current_version  # rebase, as the page does
                stop.wait(jitter.uniform(0, 0.01))
        except Exception as problem:  # reported below
            failures.append(repr(problem))

    threads = [
        threading.Thread(
            target=editor,
            args=(n, *worksheets[n % WORKSHEETS], people[n]),
        )
        for n in range(WORKSHEETS * EDITORS_PER_WORKSHEET)
    ]
    for thread in threads:
        thread.start()
    backups = []
    try:
        deadline = time.monotonic() + 10
        while len(acknowledged) < 20 and time.monotonic() < deadline and not failures:
            time.sleep(0.02)
        load_ends = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < load_ends and not failures:
            started = time.monotonic()
            with app.app_context():
                payload = make_backup()
            backups.append((started, time.monotonic(), payload))
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []

    def saves_during(backup):
        started, finished, _ = backup
        return sum(1 for stamp, *_ in acknowledged if started <= stamp <= finished)

    missing, torn = [], []
    for started, _, payload in backups:
        before = [(w, v, notes) for stamp, w, v, notes in acknowledged if stamp < started]
        assert before, "no save was acknowledged before the backup: nothing was tested"
        torn += snapshot_problems(payload["tables"])
        missing += missing_acknowledged(payload["tables"], before)
    errors = []
    chosen = sorted(range(len(backups)), key=lambda n: (saves_during(backups[n]), n))[-RESTORED:]
    for number in chosen:
        started, _, payload = backups[number]
        before = [(w, v, notes) for stamp, w, v, notes in acknowledged if stamp < started]
        uri = f"sqlite:///{tmp_path / f'restored-{number}.sqlite'}"
        errors += restore_and_check(app, uri, payload, before)
    during = sum(saves_during(backup) for backup in backups)
    print(
        f"\nT-BAK-2: {during} saves during backup; {len(errors)} integrity errors; "
        f"{len(missing)} missing acknowledged revisions; snapshot consistent: {not torn}"
        f"\nT-BAK-2: {len(backups)} backups in {LOAD_SECONDS:.0f} s of autosaves "
        f"({len(acknowledged)} acknowledged), all checked; {len(chosen)} restored "
        f"({db_name(app)}), {[saves_during(backups[n]) for n in chosen]} saves during each"
    )
    assert errors == [] and missing == [] and torn == []
    assert len(acknowledged) >= 20 and len(backups) >= 5


def test_a_save_committed_while_the_backup_reads_is_wholly_outside_it(app, runner):
    """Deterministic interleaving: a save commits after the backup has read the worksheets and
    before it reads their revisions. A snapshot leaves it out; a torn read would keep the new
    revision and audit row beside the old worksheet."""
    worksheets, people = demo_site(app, runner)
    worksheet_id, version = worksheets[0]
    main = threading.current_thread()
    saved = []

    def save_in_between(_connection, _cursor, statement, *_):
        if (
            threading.current_thread() is main
            and not saved
            and "FROM worksheet_revision" in statement
        ):
            writer = threading.Thread(
                target=lambda: saved.append(
                    save(app, worksheet_id, version, "committed mid-backup", people[0])
                )
            )
            writer.start()
            writer.join()

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", save_in_between)
    try:
        with app.app_context():
            payload = make_backup()
    finally:
        event.remove(engine, "before_cursor_execute", save_in_between)
    assert len(saved) == 1 and isinstance(saved[0], service.Saved)
    backed_up = {r["id"]: r for r in payload["tables"]["worksheet"]}[worksheet_id]
    print(
        f"\nT-BAK-2: save committed mid-backup (v{saved[0].version}); backup holds the worksheet "
        f"at v{backed_up['version']}; snapshot problems: {snapshot_problems(payload['tables'])}"
    )
    assert snapshot_problems(payload["tables"]) == []
    assert backed_up["version"] == version
    assert "committed mid-backup" not in str(payload["tables"])
    with app.app_context():
        assert db.session.get(Worksheet, worksheet_id).version == version + 1
