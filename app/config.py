"""Configuration defaults; instance/config.py and FLASK_* environment variables override them."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("en", "ar", "bn", "hi", "ur", "si", "ta", "dv")


class DefaultConfig:
    LANGUAGES = LOCALES
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    # Flask-Babel resolves relative paths against the app package, so this must be absolute.
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    GUIDES_DIR = str(PROJECT_ROOT / "guides")

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Served over HTTPS in production: secure cookies with the __Host- prefix, HSTS.
    HTTPS = False
    SESSION_COOKIE_NAME = "session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    # The session row's last_seen is refreshed at most this often, to spare a write per request.
    SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
    # Rendered public pages kept per process (language x address); 0 turns the cache off.
    PUBLIC_PAGE_CACHE_SIZE = 1024
    # Exported PDFs kept per process, each for the exact document it was laid out from.
    PDF_CACHE_SIZE = 8

    # CSRF tokens live as long as the session that holds them (the session already expires).
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_DEFAULT = "600 per minute"
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT_PER_IP = "20 per minute"
    LOGIN_RATE_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour"

    # Administrators and trainers must sign in with a second factor (SECURITY.md decision 1).
    REQUIRE_STAFF_TWO_FACTOR = True

    INVITATION_LIFETIME = timedelta(days=14)
    PASSWORD_RESET_LIFETIME = timedelta(hours=24)
    SETUP_LINK_LIFETIME = timedelta(hours=24)
    # Base of links printed in the console or mailed (setup, invitation, reset).
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = 0

    MAIL_SERVER = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_SENDER = None


def apply_environment(config: dict) -> None:
    """Read the few unprefixed variables operators expect (DATABASE_URL, REDIS_URL)."""
    if os.environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("REDIS_URL"):
        config["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]


def apply_derived(config: dict, instance_path: Path) -> None:
    """Fill in what depends on other settings or on the instance folder."""
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance_path / 'strongcities.sqlite'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret_key(instance_path)
    if config.get("HTTPS"):
        config["SESSION_COOKIE_SECURE"] = True
        config["SESSION_COOKIE_NAME"] = "__Host-session"
        config["PREFERRED_URL_SCHEME"] = "https"


def _instance_secret_key(instance_path: Path) -> str:
    """A random key kept in instance/, generated on first start, never committed."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
