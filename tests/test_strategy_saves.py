"""No edit is ever lost: optimistic locking, field-level merge, idempotent retries."""

import threading

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Worksheet, WorksheetDraft, WorksheetRevision
from app.strategy import service
from app.strategy.merge import three_way
from tests.helpers import make_municipality, make_user


def section(app, municipality_id):
    with app.app_context():
        worksheet = service.worksheet_of(service.strategy_of(municipality_id), "context")
        db.session.commit()
        return worksheet.id


def save(app, worksheet_id, base_version, data, author_id, save_id=None):
    with app.app_context():
        worksheet = db.session.get(Worksheet, worksheet_id)
        result = service.save_section(worksheet, base_version, data, author_id, save_id)
        db.session.commit()
        return result


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_merge_keeps_changes_to_different_fields_and_flags_the_same_field():
    base = {"a": "1", "b": "2", "c": "3"}
    merged, conflicts = three_way(
        base, {"a": "mine", "b": "2", "c": "x"}, {"a": "1", "b": "theirs", "c": "y"}
    )
    assert merged["a"] == "mine" and merged["b"] == "theirs"
    assert conflicts == ["c"]


def test_twenty_threads_saving_from_the_same_version_give_one_success(app):
    """T-CONC-1: 20 threads save one section from version 0 at once (SQLite file database,
    and PostgreSQL when TEST_DATABASE_URL is set): one success, 19 conflicts, one revision
    and one audit row added."""
    city = make_municipality(app)
    editors = [make_user(app, f"editor{n}@example.org") for n in range(20)]
    worksheet_id = section(app, city)
    results, barrier = [], threading.Barrier(20)

    def editor(number):
        barrier.wait()
        text = f"text from editor {number}"
        results.append(save(app, worksheet_id, 0, {"notes": text}, editors[number]))

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = [r for r in results if isinstance(r, service.Saved)]
    conflicts = [r for r in results if isinstance(r, service.Conflict)]
    print(
        f"\nT-CONC-1: 20 saves from version 0: {len(saved)} success, {len(conflicts)} conflicts;"
        f" revisions added = {count(app, WorksheetRevision)}; audit rows = "
        f"{count(app, AuditEvent)}"
    )
    assert (len(saved), len(conflicts)) == (1, 19)
    assert count(app, WorksheetRevision) == 1 and count(app, AuditEvent) == 1
    assert all(c.fields == ["notes"] for c in conflicts)
    assert count(app, WorksheetDraft) == 19  # every losing text is kept on the server


def test_stale_save_of_another_field_merges_without_asking(app):
    city = make_municipality(app)
    author = make_user(app)
    worksheet_id = section(app, city)
    save(app, worksheet_id, 0, {"notes": "first"}, author)
    result = save(app, worksheet_id, 0, {"summary": "a summary"}, author)
    assert isinstance(result, service.Saved) and result.version == 2
    with app.app_context():
        data = db.session.get(Worksheet, worksheet_id).data
    assert (data["notes"], data["summary"]) == ("first", "a summary")


def test_conflict_returns_both_texts_and_keeps_mine_as_a_draft(app):
    city = make_municipality(app)
    alice = make_user(app, "alice@example.org")
    bilal = make_user(app, "bilal@example.org")
    worksheet_id = section(app, city)
    save(app, worksheet_id, 0, {"notes": "Alice's text"}, alice)
    result = save(app, worksheet_id, 0, {"notes": "Bilal's text", "summary": "short"}, bilal)
    assert isinstance(result, service.Conflict)
    assert result.fields == ["notes"]
    assert (result.mine["notes"], result.theirs["notes"]) == ("Bilal's text", "Alice's text")
    assert result.merged["summary"] == "short"
    with app.app_context():
        draft = db.session.execute(select(WorksheetDraft)).scalar_one()
        assert draft.data["notes"] == "Bilal's text" and draft.user_id == bilal


def test_a_retried_save_never_conflicts_with_itself(app):
    city = make_municipality(app)
    author = make_user(app)
    worksheet_id = section(app, city)
    first = save(app, worksheet_id, 0, {"notes": "once"}, author, save_id="save-1")
    again = save(app, worksheet_id, 0, {"notes": "once"}, author, save_id="save-1")
    assert isinstance(again, service.Saved) and again.version == first.version == 1
    assert count(app, WorksheetRevision) == 1


def test_restore_makes_an_earlier_revision_the_newest(app):
    city = make_municipality(app)
    author = make_user(app)
    worksheet_id = section(app, city)
    save(app, worksheet_id, 0, {"notes": "version one"}, author)
    save(app, worksheet_id, 1, {"notes": "version two"}, author)
    with app.app_context():
        worksheet = db.session.get(Worksheet, worksheet_id)
        result = service.restore(worksheet, 1, author)
        db.session.commit()
        assert result.version == 3 and worksheet.data["notes"] == "version one"
        newest = service.revisions(worksheet)[0]
        assert (newest.version, newest.restored_from) == (3, 1)


def test_values_are_normalised_against_the_definition(app):
    city = make_municipality(app)
    author = make_user(app)
    worksheet_id = section(app, city)
    save(
        app,
        worksheet_id,
        0,
        {
            "notes": "  padded\r\nlines  ",
            "trust": "9",
            "levels": ["secondary", "primary"],
            "actions": [{"action": "Meet", "status": "planned"}, {"action": "", "status": ""}],
            "unknown": "dropped",
        },
        author,
    )
    with app.app_context():
        data = db.session.get(Worksheet, worksheet_id).data
    assert data["notes"] == "padded\nlines" and data["trust"] is None
    assert data["levels"] == ["primary", "secondary"]
    assert data["actions"] == [{"action": "Meet", "status": "planned"}]
    assert "unknown" not in data


def test_autosave_storm_loses_no_acknowledged_save(app):
    """T-CONC-2: 10 editors x 10 saves with jitter, rebasing on conflict as the page does."""
    import random

    city = make_municipality(app)
    editors = [make_user(app, f"storm{n}@example.org") for n in range(10)]
    worksheet_id = section(app, city)
    acknowledged, conflicts, lock = [], [], threading.Lock()

    def editor(number):
        jitter = random.Random(number)
        base = 0
        for round_ in range(10):
            text = f"editor {number} save {round_}"
            while True:
                threading.Event().wait(jitter.uniform(0, 0.02))
                result = save(app, worksheet_id, base, {"notes": text}, editors[number])
                if isinstance(result, service.Saved):
                    with lock:
                        acknowledged.append((result.version, text))
                    base = result.version
                    break
                with lock:
                    conflicts.append(result.mine["notes"] == text)  # handed back intact
                base = result.current_version  # rebase on what is there now, as the page does

    threads = [threading.Thread(target=editor, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        revisions = {
            r.version: r.data["notes"]
            for r in db.session.execute(select(WorksheetRevision)).scalars()
        }
        final = db.session.get(Worksheet, worksheet_id)
        lost = [v for v, text in acknowledged if revisions.get(v) != text]
        gaps = sorted(revisions) != list(range(1, len(revisions) + 1))
        last = max(acknowledged)
        print(
            f"\nT-CONC-2: {len(acknowledged) + len(conflicts)} attempts: {len(acknowledged)} "
            f"acknowledged, {len(conflicts)} conflicts reported, {len(lost)} lost, "
            f"gaps: {gaps}"
        )
        assert len(acknowledged) == 100 and lost == [] and not gaps
        assert final.data["notes"] == last[1] and final.version == last[0]
        assert all(conflicts)


def test_audit_rows_cannot_be_changed_or_deleted(app):
    """T-LOG-3: changing or deleting an audit row through the ORM raises; no code in app/
    updates or deletes audit rows (the service only adds and reads them); a coordinator of
    city B gets 404 on city A's audit page, while A's coordinator reads it."""
    import re
    from pathlib import Path

    import pytest

    from app.models import MunicipalRole
    from tests.helpers import login

    city = make_municipality(app)
    other = make_municipality(app, "Jaffna")
    author = make_user(
        app, "coord.a@example.org", municipality_id=city, municipal_role=MunicipalRole.COORDINATOR
    )
    make_user(
        app, "coord.b@example.org", municipality_id=other, municipal_role=MunicipalRole.COORDINATOR
    )
    worksheet_id = section(app, city)
    save(app, worksheet_id, 0, {"notes": "x"}, author)
    results = {}
    with app.app_context():
        event = db.session.execute(select(AuditEvent)).scalar_one()
        event.action = "forged"
        with pytest.raises(PermissionError):
            db.session.flush()
        results["ORM update raises"] = True
        db.session.rollback()
        with pytest.raises(PermissionError):
            db.session.delete(db.session.execute(select(AuditEvent)).scalar_one())
            db.session.flush()
        results["ORM delete raises"] = True
        db.session.rollback()
        assert db.session.execute(select(AuditEvent.action)).scalar_one() != "forged"
    root = Path(__file__).parent.parent / "app"
    writes = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"(update|delete)\(\s*(AuditEvent|audit_event)", line, re.IGNORECASE)
        or re.search(r"(AuditEvent|audit_event).*\.(update|delete)\(", line)
    ]
    results["no code updates or deletes audit rows"] = writes == []
    outsider, insider = app.test_client(), app.test_client()
    login(outsider, "coord.b@example.org")
    login(insider, "coord.a@example.org")
    audit = f"/cities/{city}/strategy/audit"
    results["city B's coordinator gets 404 on A's audit"] = outsider.get(audit).status_code == 404
    results["A's coordinator reads it"] = insider.get(audit).status_code == 200
    print(
        "\nT-LOG-3: "
        + "; ".join(f"{check}: {'pass' if ok else 'FAIL'}" for check, ok in results.items())
    )
    assert all(results.values()), writes
