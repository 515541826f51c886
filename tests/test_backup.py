"""T-BAK-1 and T-BAK-3: a whole site backs up and restores losslessly; bad files are refused."""

import json

import pytest

from app.backup import BackupRefused, make_backup, restore
from app.extensions import db
from tests.conftest import _reset_schema


def empty_database():
    db.session.remove()
    db.drop_all()
    _reset_schema()


def test_backup_then_restore_into_an_empty_database_loses_nothing(app, runner, tmp_path):
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
    print(
        f"\nT-BAK-1: {tables} tables, {rows} rows, sha256 equal: "
        f"{first['sha256'] == second['sha256']}"
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
