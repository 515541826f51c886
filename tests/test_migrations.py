"""The Alembic migrations build exactly the schema the models describe, and go back down."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db
from tests.conftest import make_app


def test_migrations_match_the_models_and_downgrade_cleanly(database_uri):
    """T-MIG-1: the checks pytest-alembic's built-ins make, written with Alembic directly: a
    single head; upgrade from empty to head; the models match the migrated schema (no
    autogenerate drift); down to base and up again."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    app = make_app(database_uri)
    with app.app_context():
        scripts = ScriptDirectory.from_config(
            current_app.extensions["migrate"].migrate.get_config()
        )
        heads = scripts.get_heads()
        revisions = list(scripts.walk_revisions())
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        print(
            f"\nT-MIG-1: {len(revisions)} revisions, {len(heads)} head; "
            f"{len(differences)} drift ({db.engine.dialect.name})"
        )
        assert len(heads) == 1 and differences == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "quiz_attempt" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_upgrade_from_the_first_revision_keeps_data(database_uri):
    """T-MIG-2: rows written at revision 0001, Arabic text included, survive every migration."""
    app = make_app(database_uri)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO municipality (id, name, country, region, created_at) "
                    "VALUES (1, 'ترينكومالي', 'LK', 'جنوب آسيا', '2026-01-01 00:00:00+00:00')"
                )
            )
            connection.execute(
                text(
                    'INSERT INTO "user" (id, email, name, password_hash, locale, site_role, '
                    "active, created_at, password_changed_at) "
                    "VALUES (1, 'a@example.org', 'عائشة', 'x', "
                    "'ar', 'member', true, '2026-01-01 00:00:00+00:00', "
                    "'2026-01-01 00:00:00+00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO membership (id, user_id, municipality_id, role, created_at) "
                    "VALUES (1, 1, 1, 'editor', '2026-01-01 00:00:00+00:00')"
                )
            )
        upgrade()
        from app.models import Municipality, User

        user = db.session.get(User, 1)
        city = db.session.get(Municipality, 1)
        print(
            f"\nT-MIG-2: 3 rows at 0001, after upgrade: {user.name}, {city.name}, "
            f"memberships {len(user.memberships)}, totp {user.totp_secret}"
        )
        assert (user.name, city.name, city.region) == ("عائشة", "ترينكومالي", "جنوب آسيا")
        assert user.memberships[0].role == "editor" and user.totp_secret is None
        db.session.remove()
        db.engine.dispose()
