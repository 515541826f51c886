"""The Strong Cities learning application."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import config as settings
from app import logfilter
from app.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(settings.DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    settings.apply_environment(app.config)
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    settings.apply_derived(app.config, Path(app.instance_path))

    if app.config["TRUSTED_PROXIES"]:
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO)
    logfilter.install()

    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app import content, i18n
    from app.auth.sessions import DatabaseSessionInterface
    from app.learn import page_cache
    from app.sqlite import configure_sqlite

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(
        app, db, directory=str(settings.PROJECT_ROOT / "migrations"), render_as_batch=True
    )
    app.session_interface = DatabaseSessionInterface()
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are server-side and rotated at sign-in
    babel.init_app(app, locale_selector=i18n.select_locale)
    csrf.init_app(app)
    limiter.init_app(app)
    content.init_app(app)
    page_cache.init_app(app)


def _register_blueprints(app: Flask) -> None:
    from app.admin.routes import blueprint as admin
    from app.auth.routes import blueprint as auth
    from app.cli import register_cli
    from app.cohorts.routes import blueprint as cohorts
    from app.learn.routes import blueprint as learn
    from app.main.routes import blueprint as main
    from app.strategy.routes import blueprint as strategy
    from app.team.routes import blueprint as team

    for blueprint in (main, auth, learn, team, strategy, cohorts, admin):
        app.register_blueprint(blueprint)
    register_cli(app)


def _register_hooks(app: Flask) -> None:
    from app import access, i18n
    from app.errors import register_error_handlers
    from app.headers import set_security_headers
    from app.templating import register_template_helpers

    app.before_request(access.enforce_access)
    app.after_request(set_security_headers)
    app.context_processor(i18n.locale_context)
    register_template_helpers(app)
    register_error_handlers(app)
