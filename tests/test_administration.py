"""Administrators manage municipalities, people, memberships and reset links."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality, SiteRole, User
from app.models.base import utcnow
from tests.helpers import PASSWORD, login, make_municipality, make_user, post, soup, text_of

NEW_PASSWORD = "sunlit harbour lanterns at dusk"


def admin_client(app):
    make_user(app, "admin@example.org", name="Site Admin", role=SiteRole.ADMIN)
    client = app.test_client()
    login(client, "admin@example.org")
    return client


def test_administrator_creates_and_edits_a_municipality(app):
    client = admin_client(app)
    created = post(
        client,
        "/admin/municipalities/new",
        {"name": "Addu City", "country": "MV", "region": "South Asia"},
        token_from="/admin/municipalities/new",
    )
    assert created.status_code == 302
    with app.app_context():
        city = db.session.execute(select(Municipality)).scalar_one()
        assert (city.name, city.country, city.region) == ("Addu City", "MV", "South Asia")
        city_id = city.id
    post(
        client,
        f"/admin/municipalities/{city_id}/edit",
        {"name": "Addu City", "country": "MV", "region": "Maldives programme"},
        token_from="/admin/",
    )
    listing = text_of(client.get("/admin/municipalities"))
    assert "Maldives programme" in listing and "Maldives" in listing


def test_country_must_be_an_iso_code_and_input_is_kept(app):
    client = admin_client(app)
    response = post(
        client,
        "/admin/municipalities/new",
        {"name": "Sylhet", "country": "XX", "region": ""},
        token_from="/admin/",
    )
    assert response.status_code == 200
    assert soup(response).find("input", attrs={"name": "name"})["value"] == "Sylhet"
    assert "Not a valid choice" in text_of(response)


def test_country_names_follow_the_reader_language(app):
    client = admin_client(app)
    make_municipality(app, "Dhaka", "BD")
    assert "بنغلاديش" in text_of(
        client.get("/admin/municipalities", headers={"Accept-Language": "ar"})
    )


def test_membership_is_added_changed_and_removed(app):
    client = admin_client(app)
    city = make_municipality(app)
    person = make_user(app)
    post(
        client,
        f"/admin/people/{person}",
        {
            "membership-municipality": str(city),
            "membership-role": "coordinator",
            "membership-submit": "1",
        },
        token_from="/admin/",
    )
    with app.app_context():
        membership = db.session.get(User, person).memberships[0]
        assert (membership.municipality_id, membership.role) == (city, "coordinator")
        membership_id = membership.id
    post(client, f"/admin/people/{person}/memberships/{membership_id}/remove", token_from="/admin/")
    with app.app_context():
        assert db.session.get(User, person).memberships == []


def test_deactivating_an_account_ends_its_sessions(app):
    """T-SES-4 (administrator): ending all of a person's sessions signs out each of their
    browsers; deactivating the account does too, and sign-in is refused afterwards."""
    client = admin_client(app)
    person = make_user(app)
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        login(browser)
    post(client, f"/admin/people/{person}/end-sessions", token_from="/admin/")
    after_ending = [browser.get("/account").status_code for browser in browsers]
    for browser in browsers:
        login(browser)
    post(
        client,
        f"/admin/people/{person}",
        {"user-site_role": "member", "user-submit": "1"},
        token_from="/admin/",
    )
    after_deactivation = [browser.get("/account").status_code for browser in browsers]
    refused = login(app.test_client()).status_code == 200  # inactive: the form again
    print(
        f"\nT-SES-4: administrator ends all sessions: {after_ending} (302 = signed out); "
        f"deactivates the account: {after_deactivation}; sign-in refused: {refused}"
    )
    assert after_ending == after_deactivation == [302, 302] and refused


def test_administrator_cannot_demote_themselves(app):
    client = admin_client(app)
    response = post(
        client,
        "/admin/people/1",
        {"user-site_role": "member", "user-active": "y", "user-submit": "1"},
        token_from="/admin/",
        follow_redirects=True,
    )
    assert "cannot remove your own administrator role" in text_of(response)
    with app.app_context():
        assert db.session.get(User, 1).site_role == SiteRole.ADMIN


def issue_reset_link(app, client, person_id) -> str:
    page = post(client, f"/admin/people/{person_id}/reset-link", token_from="/admin/")
    link = soup(page).find("input", class_="link-box")["value"]
    return link.replace("http://localhost", "")


def test_reset_link_sets_a_new_password_once_and_ends_sessions(app):
    client = admin_client(app)
    person = make_user(app)
    member = app.test_client()
    login(member)
    link = issue_reset_link(app, client, person)
    visitor = app.test_client()
    assert visitor.get(link).headers["Location"] == "/reset"
    done = post(
        visitor, "/reset", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, token_from="/reset"
    )
    assert done.headers["Location"] == "/login"
    assert member.get("/account").status_code == 302
    assert login(app.test_client(), password=NEW_PASSWORD).status_code == 302
    again = app.test_client()
    again.get(link)
    assert again.get("/reset").status_code == 404


def test_reset_link_expires_after_a_day(app):
    client = admin_client(app)
    person = make_user(app)
    link = issue_reset_link(app, client, person)
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        visitor = app.test_client()
        visitor.get(link)
        assert visitor.get("/reset").status_code == 404


def test_reset_link_dies_when_the_password_changes_meanwhile(app):
    client = admin_client(app)
    person = make_user(app)
    link = issue_reset_link(app, client, person)
    member = app.test_client()
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        login(member)
        post(
            member,
            "/account/password",
            {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
            token_from="/account/password",
        )
        visitor = app.test_client()
        visitor.get(link)
        assert visitor.get("/reset").status_code == 404


def test_administrator_invitation_link_is_shown_once(app):
    client = admin_client(app)
    city = make_municipality(app)
    page = post(
        client,
        "/admin/invitations",
        {
            "email": "trainer@example.org",
            "site_role": "trainer",
            "municipality": str(city),
            "municipal_role": "viewer",
            "days": "7",
        },
        token_from="/admin/invitations",
    )
    assert "/invite/" in soup(page).find("input", class_="link-box")["value"]
    listing = client.get("/admin/invitations")
    assert "trainer@example.org" in text_of(listing)
    assert "/invite/" not in listing.get_data(as_text=True)
