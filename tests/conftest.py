"""Fixtures: an app per test with its own database (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), a client, a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db, limiter
from tests import logscan

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
    application = create_app(config)
    application.after_request(logscan.watch_response)
    return application


def pytest_configure(config):
    logscan.attach()


@pytest.fixture(autouse=True)
def _collect_logs():
    logscan.attach()


def pytest_sessionfinish(session, exitstatus):
    """T-LOG-2 over the whole run: a secret or an address in any log record fails the run."""
    summary, found = logscan.report()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(summary)
        for secret, line in found[:20]:
            reporter.write_line(f"  {secret} in: {line}")
        if found:
            reporter.write_line("T-LOG-2 fails the run: a log record holds a secret or an address")
    if found and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
