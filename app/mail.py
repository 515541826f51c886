"""Sending a link by email, only where SMTP is configured; otherwise the link is shown."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _


def send_link(recipient: str, subject: str, body: str) -> bool:
    """Send one plain-text message; True when it left. Failures are logged, never raised:
    the person creating the link still sees it on the page and can pass it on."""
    config = current_app.config
    if not config.get("MAIL_SERVER") or not recipient:
        return False
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"] or config["MAIL_USERNAME"]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("mail to a recipient could not be sent")
        return False
    return True


def send_invitation(recipient: str, link: str) -> bool:
    return send_link(
        recipient,
        _("Your invitation to Strong Cities learning"),
        _(
            "You are invited to Strong Cities learning. Open this link to create your account "
            "(it works once): %(link)s",
            link=link,
        ),
    )
