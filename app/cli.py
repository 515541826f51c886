"""`flask accounts ...` commands; the guide commands live in app/content/cli.py."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.auth import services
from app.auth.sessions import purge_expired_sessions
from app.backup import backup_cli
from app.content.cli import guides_cli
from app.demo import demo_cli
from app.deploycheck import security_check
from app.extensions import db

accounts_cli = AppGroup("accounts", help="Accounts and sessions.")


@accounts_cli.command("setup-link")
def setup_link() -> None:
    """Print a one-time link that creates the first administrator (only while none exists)."""
    token = services.issue_setup_link_token()
    db.session.commit()
    if token is None:
        click.echo("Accounts exist already: no setup link is needed.")
        return
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    hours = int(current_app.config["SETUP_LINK_LIFETIME"].total_seconds() // 3600)
    click.echo(
        "\nNo accounts exist yet. Open this one-time link to create the first administrator\n"
        f"(valid for {hours} hours; running this command again replaces it):\n\n"
        f"    {base}/setup/{token}\n"
    )


@accounts_cli.command("purge-sessions")
def purge_sessions() -> None:
    """Delete sessions that have expired (run it from cron on busy sites)."""
    count = purge_expired_sessions()
    db.session.commit()
    click.echo(f"deleted {count} expired sessions")


def register_cli(app) -> None:
    app.cli.add_command(accounts_cli)
    app.cli.add_command(guides_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(security_check)
