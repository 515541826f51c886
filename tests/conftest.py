"""Fixtures: an app per test with its own database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), a client, a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db, limiter

FIXTURE_GUIDES = Path(__file__).parent / "fixtures" / "guides"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def make_app(database_uri: str, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "RATELIMIT_STORAGE_URI": "memory://",
        "GUIDES_DIR": str(FIXTURE_GUIDES),
        "PUBLIC_BASE_URL": "http://localhost",
        # Most tests act as staff without an authenticator; test_two_factor.py turns it on.
        "REQUIRE_STAFF_TWO_FACTOR": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


def _reset_schema():
    if db.engine.dialect.name == "postgresql":
        # Drop everything, Alembic's table included, so each test starts empty.
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.create_all()


@pytest.fixture(params=BACKENDS)
def database_uri(request, tmp_path):
    if request.param == "postgresql":
        return os.environ["TEST_DATABASE_URL"]
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture
def app_factory(database_uri):
    """Builds an app on the test's database; the schema is created once."""
    created = []

    def build(**overrides):
        application = make_app(database_uri, **overrides)
        with application.app_context():
            if not created:
                _reset_schema()
            created.append(application)
        limiter.reset()
        return application

    yield build
    for application in created:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def plain_app():
    """An app for tests that need a request context but no database."""
    return make_app("sqlite://")
