"""T-BAK-1 and T-BAK-3: a whole site backs up and restores losslessly; bad files are refused."""

import json

import pytest

from app.backup import BackupRefused, canonical, make_backup, restore
from app.extensions import db
from tests.conftest import _reset_schema


def empty_database():
    db.session.remove()
    db.drop_all()
    _reset_schema()


def test_backup_then_restore_into_an_empty_database_loses_nothing(app, runner, tmp_path):
    """T-BAK-1: the demo site (cities, cohorts, quizzes, revisions, audit) backed up, restored
    into an empty database and backed up again: the same rows, the same canonical sha256.
    Runs on SQLite and on PostgreSQL; a cross-engine restore is not exercised here."""
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    path = tmp_path / "site.json"
    result = runner.invoke(args=["backup", "create", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        first = make_backup()
        empty_database()
    restored = runner.invoke(args=["backup", "restore", str(path)])
    assert restored.exit_code == 0, restored.output
    with app.app_context():
        second = make_backup()
    tables = len(first["tables"])
    rows = sum(len(r) for r in first["tables"].values())
    differences = sum(
        first["tables"][name] != second["tables"].get(name) for name in first["tables"]
    )
    print(
        f"\nT-BAK-1: {tables} tables, {rows} rows, {differences} differences; canonical "
        f"backups byte-identical (sha256): {first['sha256'] == second['sha256']}"
    )
    assert second["sha256"] == first["sha256"] and second["tables"] == first["tables"]
    assert rows > 100


def test_restored_site_keeps_working(app, runner, tmp_path, client):
    runner.invoke(args=["demo", "load"])
    path = tmp_path / "site.json"
    runner.invoke(args=["backup", "create", str(path)])
    with app.app_context():
        empty_database()
    runner.invoke(args=["backup", "restore", str(path)])
    # New rows get fresh ids after the restored ones (sequences reset on PostgreSQL).
    from tests.helpers import make_municipality

    assert make_municipality(app, "Jaffna") > 10


@pytest.mark.parametrize(
    "damage,message",
    [
        (lambda p: p.update(sha256="0" * 64), "checksum"),
        (lambda p: p.update(format_version=99), "format version"),
        (
            lambda p: (
                p["tables"].update(evil=[{"id": 1}])
                or p.update(
                    sha256=__import__("hashlib")
                    .sha256(
                        json.dumps(
                            p["tables"], ensure_ascii=False, sort_keys=True, separators=(",", ":")
                        ).encode()
                    )
                    .hexdigest()
                )
            ),
            "tables",
        ),
    ],
)
def test_damaged_backups_are_refused_and_change_nothing(app, runner, damage, message):
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        payload = make_backup()
        damage(payload)
        empty_database()
        with pytest.raises(BackupRefused, match=message):
            restore(payload)
        db.session.rollback()
        assert make_backup()["tables"]["user"] == []


def test_restore_refuses_a_database_that_holds_data(app, runner):
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        payload = make_backup()
        with pytest.raises(BackupRefused, match="not empty"):
            restore(payload)


def test_hostile_restores_are_refused_cleanly_and_change_nothing(app, runner, tmp_path):
    """T-BAK-3 through `flask backup restore`: a tampered checksum, another format version,
    an unknown table, tables that are not lists of rows, a value of the wrong type (the last
    three with a recomputed checksum, as an attacker would), 100,000 levels of nesting, bytes
    that are not UTF-8 and a JSON list: each refused with a one-line reason, no traceback,
    and the database stays empty. The backup is one JSON file, not an archive: no member
    paths or symlinks exist to check; its size is the operator's own file's."""
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        good = make_backup()
        empty_database()

    def resealed(change):
        payload = json.loads(json.dumps(good))
        change(payload["tables"])
        payload["sha256"] = __import__("hashlib").sha256(canonical(payload["tables"])).hexdigest()
        return json.dumps(payload)

    cases = {
        "tampered checksum": json.dumps({**good, "sha256": "0" * 64}),
        "wrong version": json.dumps({**good, "format_version": 99}),
        "unknown table": resealed(lambda t: t.update(evil=[{"id": 1}])),
        "rows not a list": resealed(lambda t: t.update(user="not rows")),
        "wrong value type": resealed(lambda t: t["user"][0].update(id="not a number")),
        "deep nesting": "[" * 100_000 + "]" * 100_000,
        "not UTF-8": b"\xff\xfe\x00garbage",
        "a JSON list": "[1, 2, 3]",
    }
    outcomes = {}
    for name, content in cases.items():
        path = tmp_path / "hostile.json"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        result = runner.invoke(args=["backup", "restore", str(path)])
        with app.app_context():
            untouched = sum(len(rows) for rows in make_backup()["tables"].values()) == 0
        clean = isinstance(result.exception, SystemExit) and "restore refused" in result.output
        outcomes[name] = result.exit_code != 0 and clean and untouched
    print(
        "\nT-BAK-3: "
        + "; ".join(
            f"{name}: {'refused' if ok else 'NOT REFUSED'}" for name, ok in outcomes.items()
        )
        + "; database untouched each time"
    )
    assert all(outcomes.values()), outcomes
