"""The Alembic migrations build exactly the schema the models describe, and go back down."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db
from tests.conftest import make_app


def test_migrations_match_the_models_and_downgrade_cleanly(database_uri):
    app = make_app(database_uri)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "quiz_attempt" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
