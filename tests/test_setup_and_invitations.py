"""The setup link creates the first administrator once; invitations bring people in."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.auth import services
from app.extensions import db
from app.models import Invitation, Municipality, MunicipalRole, SiteRole, User
from app.models.base import utcnow
from tests.helpers import PASSWORD, login, make_municipality, make_user, post, soup

NEW_ACCOUNT = {
    "email": "first.admin@example.org",
    "name": "Nimal Fernando",
    "locale": "",
    "password": PASSWORD,
    "confirm": PASSWORD,
}


def setup_token(app):
    with app.app_context():
        token = services.issue_setup_link_token()
        db.session.commit()
        return token


def test_setup_cli_prints_a_link_only_while_no_account_exists(app, runner):
    result = runner.invoke(args=["accounts", "setup-link"])
    assert result.exit_code == 0
    assert "http://localhost/setup/" in result.output
    make_user(app)
    result = runner.invoke(args=["accounts", "setup-link"])
    assert "no setup link is needed" in result.output


def test_setup_link_creates_the_first_administrator_then_disappears(app, client):
    token = setup_token(app)
    landing = client.get(f"/setup/{token}")
    # The token leaves the address bar at once, so it never reaches a Referer header.
    assert landing.status_code == 302 and landing.headers["Location"] == "/setup"
    response = post(client, "/setup", NEW_ACCOUNT, token_from="/setup")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    with app.app_context():
        admin = db.session.execute(select(User)).scalar_one()
        assert admin.site_role == SiteRole.ADMIN and admin.email == "first.admin@example.org"
    assert client.get("/admin/").status_code == 200
    other = app.test_client()
    assert other.get(f"/setup/{token}").status_code == 302
    assert other.get("/setup").status_code == 404


def test_setup_refuses_a_weak_password_and_keeps_what_was_typed(app, client):
    token = setup_token(app)
    client.get(f"/setup/{token}")
    weak = dict(NEW_ACCOUNT, password="password1234567", confirm="password1234567")
    response = post(client, "/setup", weak, token_from="/setup")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("input", attrs={"name": "name"})["value"] == "Nimal Fernando"
    assert page.select(".errors li")
    with app.app_context():
        assert db.session.execute(select(User)).first() is None


def test_setup_page_without_a_valid_token_is_404(client):
    assert client.get("/setup").status_code == 404
    client.get("/setup/not-a-real-token")
    assert client.get("/setup").status_code == 404


def invite(app, email="new.editor@example.org", municipality_id=None, **kwargs) -> str:
    admin_id = make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    with app.app_context():
        admin = db.session.get(User, admin_id)
        municipality = db.session.get(Municipality, municipality_id) if municipality_id else None
        token = services.create_invitation(
            created_by=admin, email=email, municipality=municipality, **kwargs
        )
        db.session.commit()
        return token


def test_invitation_creates_an_account_with_the_preset_municipality_and_role(app, client):
    city = make_municipality(app)
    admin_token = invite(app, municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    client.get(f"/invite/{admin_token}")
    page = soup(client.get("/invite"))
    assert "Trincomalee" in page.get_text()
    assert page.find("input", attrs={"name": "email"})["value"] == "new.editor@example.org"
    account = dict(NEW_ACCOUNT, email="new.editor@example.org", name="Fathima Rizwan")
    response = post(client, "/invite", account, token_from="/invite")
    assert response.status_code == 302
    with app.app_context():
        user = db.session.execute(
            select(User).where(User.email == "new.editor@example.org")
        ).scalar_one()
        assert user.site_role == SiteRole.MEMBER
        assert [(m.municipality_id, m.role) for m in user.memberships] == [(city, "editor")]
    # Used once: the same link no longer works.
    again = app.test_client()
    again.get(f"/invite/{admin_token}")
    assert again.get("/invite").status_code == 404


def test_expired_invitation_is_refused(app, client):
    token = invite(app)
    with time_machine.travel(utcnow() + timedelta(days=15), tick=False):
        client.get(f"/invite/{token}")
        response = client.get("/invite")
    assert response.status_code == 404
    assert "cannot be used" in response.get_data(as_text=True)


def test_signed_in_person_accepts_an_invitation_into_another_municipality(app, client):
    first = make_municipality(app, "Colombo")
    second = make_municipality(app, "Kandy")
    make_user(app, "member@example.org", municipality_id=first)
    admin_id = make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    with app.app_context():
        token = services.create_invitation(
            created_by=db.session.get(User, admin_id),
            email="member@example.org",
            municipality=db.session.get(Municipality, second),
            municipal_role=MunicipalRole.VIEWER,
        )
        db.session.commit()
    login(client)
    client.get(f"/invite/{token}")
    assert "Kandy" in client.get("/invite").get_data(as_text=True)
    post(client, "/invite", token_from="/invite")
    with app.app_context():
        user = db.session.execute(
            select(User).where(User.email == "member@example.org")
        ).scalar_one()
        assert sorted(m.municipality_id for m in user.memberships) == [first, second]
        assert db.session.execute(select(Invitation)).scalar_one().used_at is not None


def test_coordinator_invites_only_for_their_own_municipality(app, client):
    mine = make_municipality(app, "Mardan", "PK")
    other = make_municipality(app, "Peshawar", "PK")
    make_user(
        app, "coord@example.org", municipality_id=mine, municipal_role=MunicipalRole.COORDINATOR
    )
    login(client, "coord@example.org")
    response = post(
        client,
        f"/cities/{mine}",
        {"email": "x@example.org", "role": "editor"},
        token_from=f"/cities/{mine}",
    )
    assert response.status_code == 200
    assert "/invite/" in soup(response).find("input", class_="link-box")["value"]
    assert client.get(f"/cities/{other}").status_code == 404
    refused = post(client, f"/cities/{other}", {"email": "y@example.org", "role": "editor"})
    assert refused.status_code == 404
    with app.app_context():
        invitations = db.session.execute(select(Invitation)).scalars().all()
        assert [(i.email, i.municipality_id) for i in invitations] == [("x@example.org", mine)]


def test_editor_cannot_invite(app, client):
    city = make_municipality(app)
    make_user(app, municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    login(client)
    page = client.get(f"/cities/{city}")
    assert page.status_code == 200
    assert soup(page).find("input", attrs={"name": "email"}) is None
    assert (
        post(client, f"/cities/{city}", {"email": "z@example.org", "role": "editor"}).status_code
        == 404
    )


def test_link_tokens_never_reach_the_access_log(app, caplog):
    import logging

    from app.logfilter import RedactTokens

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s',
        ("127.0.0.1", "GET /invite/abcDEF_123-x HTTP/1.1", "302"),
        None,
    )
    RedactTokens().filter(record)
    assert "abcDEF_123" not in record.getMessage()
    assert "/invite/[redacted]" in record.getMessage()
    assert any(isinstance(f, RedactTokens) for f in logging.getLogger("werkzeug").filters)


def test_setup_and_invitation_tokens_work_once_expire_and_never_leak(app, caplog):
    """T-AUTH-4: the setup link works once, then 404; an invitation works once, then 404; an
    expired invitation is refused; every link lands on a token-free address (so the token
    never reaches a Referer header) and no log record or later page holds a token. The access
    log's redaction of link tokens is test_link_tokens_never_reach_the_access_log."""
    import logging

    caplog.set_level(logging.DEBUG)
    results = {}
    token = setup_token(app)
    client = app.test_client()
    landing = client.get(f"/setup/{token}")
    results["setup link lands on a token-free address"] = landing.headers["Location"] == "/setup"
    page = client.get("/setup")
    created = post(client, "/setup", NEW_ACCOUNT, token_from="/setup")
    results["setup link works once"] = created.status_code == 302
    again = app.test_client()
    again.get(f"/setup/{token}")
    results["setup link refused afterwards (404)"] = again.get("/setup").status_code == 404
    invitation = invite(app, "second@example.org")
    expired = invite_token_only(app, "third@example.org")
    guest = app.test_client()
    landing_invite = guest.get(f"/invite/{invitation}")
    results["invitation lands on a token-free address"] = (
        landing_invite.headers["Location"] == "/invite"
    )
    account = dict(NEW_ACCOUNT, email="second@example.org", name="Second Person")
    results["invitation works once"] = (
        post(guest, "/invite", account, token_from="/invite").status_code == 302
    )
    reuse = app.test_client()
    reuse.get(f"/invite/{invitation}")
    results["invitation reuse refused (404)"] = reuse.get("/invite").status_code == 404
    with time_machine.travel(utcnow() + timedelta(days=15), tick=False):
        late = app.test_client()
        late.get(f"/invite/{expired}")
        results["expired invitation refused (404)"] = late.get("/invite").status_code == 404
    bodies = [page, created, landing_invite]
    leaks = [t for t in (token, invitation, expired) if t in caplog.text] + [
        t for t in (token, invitation) for b in bodies if t in b.get_data(as_text=True)
    ]
    results["no token in logs or later pages"] = leaks == []
    print(
        "\nT-AUTH-4: "
        + "; ".join(f"{check}: {'pass' if ok else 'FAIL'}" for check, ok in results.items())
    )
    assert all(results.values())


def invite_token_only(app, email) -> str:
    """Another invitation by the administrator that `invite` created."""
    with app.app_context():
        admin = (
            db.session.execute(select(User).where(User.site_role == SiteRole.ADMIN))
            .scalars()
            .first()
        )
        token = services.create_invitation(created_by=admin, email=email)
        db.session.commit()
        return token
