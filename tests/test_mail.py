"""Links go out by email only where SMTP is configured."""

from app.models import SiteRole
from tests.helpers import login, make_user, post, text_of


class FakeSMTP:
    sent: list = []

    def __init__(self, host, port, timeout):
        self.host = host

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        FakeSMTP.sent.append(message)


def invite_someone(client):
    return post(
        client,
        "/admin/invitations",
        {
            "email": "new@example.org",
            "site_role": "member",
            "municipality": "",
            "municipal_role": "viewer",
            "days": "7",
        },
        token_from="/admin/invitations",
    )


def test_without_smtp_the_link_is_only_shown(app, client, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    login(client, "admin@example.org")
    page = invite_someone(client)
    assert FakeSMTP.sent == []
    assert "sent by email" not in text_of(page)


def test_with_smtp_the_invitation_is_mailed_too(app_factory, monkeypatch):
    FakeSMTP.sent = []
    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    application = app_factory(MAIL_SERVER="smtp.invalid", MAIL_SENDER="noreply@example.org")
    make_user(application, "admin@example.org", role=SiteRole.ADMIN)
    client = application.test_client()
    login(client, "admin@example.org")
    page = invite_someone(client)
    assert "sent by email to new@example.org" in text_of(page)
    (message,) = FakeSMTP.sent
    assert message["To"] == "new@example.org"
    assert "/invite/" in message.get_content()


def test_a_mail_failure_still_shows_the_link(app_factory, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("smtplib.SMTP", broken)
    application = app_factory(MAIL_SERVER="smtp.invalid", MAIL_SENDER="noreply@example.org")
    make_user(application, "admin@example.org", role=SiteRole.ADMIN)
    client = application.test_client()
    login(client, "admin@example.org")
    page = invite_someone(client)
    assert page.status_code == 200
    assert "/invite/" in page.get_data(as_text=True)
