"""`flask security-check`: is this deployment configured the way SECURITY.md asks?"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models import Membership, MunicipalRole, SiteRole, User

KNOWN_WEAK_KEYS = {"dev", "secret", "changeme", "test", "bench"}


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str


def config_findings(config) -> list[Finding]:
    key = str(config.get("SECRET_KEY") or "")
    storage = str(config.get("RATELIMIT_STORAGE_URI", ""))
    return [
        Finding("debug off", not config.get("DEBUG"), "FLASK_DEBUG must be false in production"),
        Finding(
            "secret key",
            len(key) >= 32 and key.lower() not in KNOWN_WEAK_KEYS,
            "at least 32 random characters, the same on every server",
        ),
        Finding(
            "HTTPS",
            bool(config.get("HTTPS")) and bool(config.get("SESSION_COOKIE_SECURE")),
            "FLASK_HTTPS=true: Secure __Host- cookies and HSTS",
        ),
        Finding(
            "shared rate limits",
            not storage.startswith("memory"),
            "REDIS_URL, so limits hold across workers and servers (memory is per process)",
        ),
        Finding(
            "two-factor for staff",
            bool(config.get("REQUIRE_STAFF_TWO_FACTOR")),
            "administrators and trainers must use a second factor",
        ),
        Finding(
            "session limits",
            config["SESSION_IDLE_TIMEOUT"].total_seconds() <= 1800
            and config["SESSION_ABSOLUTE_LIFETIME"].total_seconds() <= 12 * 3600,
            "30 minutes idle, 12 hours in all, at most",
        ),
        Finding(
            "mail over TLS",
            not config.get("MAIL_SERVER") or bool(config.get("MAIL_USE_TLS")),
            "links sent by mail travel encrypted",
        ),
    ]


def people_findings() -> list[Finding]:
    admins = (
        db.session.execute(select(User).where(User.site_role == SiteRole.ADMIN, User.active))
        .scalars()
        .all()
    )
    without = [admin.email for admin in admins if not admin.totp_secret]
    exporters = (
        db.session.execute(
            select(User.email)
            .join(Membership)
            .where(
                Membership.role.in_(
                    [MunicipalRole.COORDINATOR, MunicipalRole.EDITOR, MunicipalRole.VIEWER]
                )
            )
        )
        .scalars()
        .all()
    )
    return [
        Finding(
            "administrators",
            bool(admins) and not without,
            f"{len(admins)} active: {', '.join(a.email for a in admins) or 'none'}"
            + (f"; without a second factor: {', '.join(without)}" if without else ""),
        ),
        Finding(
            "people who can export a strategy",
            True,
            f"{len(set(exporters))} members of municipalities",
        ),
    ]


@click.command("security-check")
@with_appcontext
def security_check() -> None:
    """Report the deployment's security settings; exit non-zero if any check fails."""
    try:
        people = people_findings()
    except SQLAlchemyError:
        raise click.ClickException(
            "the database could not be read; is it migrated? (flask db upgrade)"
        ) from None
    findings = config_findings(current_app.config) + people
    for finding in findings:
        click.echo(f"{'ok  ' if finding.ok else 'FAIL'}  {finding.name}: {finding.detail}")
    failed = sum(not finding.ok for finding in findings)
    click.echo(f"{len(findings)} checks, {failed} failed")
    if failed:
        raise SystemExit(1)
