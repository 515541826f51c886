"""A person's own data: every column classified, the download, erasure, and settings that need
the password again (T-DATA-1, T-DATA-2, T-SES-5)."""

import json
import secrets
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, func, select

from app.auth import personal_data
from app.auth.passwords import hash_password
from app.backup import canonical, dump
from app.extensions import db
from app.models import (
    AuditEvent,
    Cohort,
    CohortMember,
    CohortShare,
    CohortTrainer,
    Invitation,
    LoginThrottle,
    ModuleProgress,
    MunicipalRole,
    PasswordReset,
    QuizAttempt,
    ReadinessAssessment,
    RecoveryCode,
    ReflectionNote,
    SiteRole,
    StepProgress,
    User,
    Worksheet,
    WorksheetDraft,
    WorksheetRevision,
)
from app.models.base import utcnow
from app.models.classification import COLUMNS, DataClass
from app.strategy import service
from tests.helpers import (
    PASSWORD,
    csrf_token,
    login,
    make_municipality,
    make_user,
    post,
    text_of,
)

# ---------------------------------------------------------------- T-DATA-1 classification


def test_every_column_is_classified_and_every_link_to_a_person_registered(app):
    with app.app_context():
        metadata = db.metadata
        columns = [(t.name, c.name) for t in metadata.sorted_tables for c in t.columns]
        unclassified = personal_data.unclassified_columns(metadata)
        unregistered = personal_data.unregistered_links(metadata)
        links = personal_data.links_to_people(metadata)
    stale = [
        f"{table}.{name}"
        for table, names in COLUMNS.items()
        for name in names
        if (table, name) not in columns
    ]
    print(
        f"T-DATA-1: {len(metadata.sorted_tables)} tables, {len(columns)} columns; "
        f"{len(unclassified)} unclassified; {len(unregistered)} unregistered"
    )
    assert unclassified == []
    assert stale == []
    assert unregistered == []
    # Nothing registered that is not a link to a person.
    assert {(link.table, link.column) for link in personal_data.LINKS} <= links
    # Personal data outside a link to a person (an invitation's address, a throttle key, a
    # session's browser) must be handled by erasure some other way: these are all of them.
    loose_personal = sorted(
        (table, name)
        for table, name in columns
        if COLUMNS[table][name] == DataClass.PERSONAL and table != "user"
    )
    assert loose_personal == [
        ("invitation", "email"),
        ("login_throttle", "key"),
        ("user_session", "user_agent"),
    ]


def test_the_checks_catch_a_column_nobody_classified_or_registered():
    metadata = MetaData()
    Table("user", metadata, Column("id", Integer, primary_key=True))
    Table(
        "reflection_note",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("user_id", Integer, ForeignKey("user.id")),
        Column("mood", String(20)),
        Column("reviewer_id", Integer, ForeignKey("user.id")),
    )
    assert personal_data.unclassified_columns(metadata) == [
        "reflection_note.mood",
        "reflection_note.reviewer_id",
    ]
    assert personal_data.unregistered_links(metadata) == [("reflection_note", "reviewer_id")]


# ---------------------------------------------------------------- T-DATA-2 export and erasure


LEAVER_TOTP = pyotp.random_base32()


@pytest.fixture
def leaver(app):
    """A coordinator of city A with a row in every registered table, and canaries to find."""
    city = make_municipality(app, "Trincomalee", "LK")
    canary = "CANARY-" + secrets.token_hex(4)
    email = f"leaver.{canary.lower()}@example.org"
    name = f"Nimali {canary}"
    user_id = make_user(
        app, email, name=name, municipality_id=city, municipal_role=MunicipalRole.COORDINATOR
    )
    colleague = make_user(app, "colleague@example.org", municipality_id=city)
    with app.app_context():
        now = utcnow()
        user = db.session.get(User, user_id)
        user.totp_secret = LEAVER_TOTP
        db.session.add(RecoveryCode(user_id=user_id, code_hash="0" * 64))
        db.session.add(
            PasswordReset(
                token_hash=secrets.token_hex(32),
                user_id=user_id,
                created_by_id=colleague,
                expires_at=now + timedelta(days=1),
            )
        )
        db.session.add(
            PasswordReset(
                token_hash=secrets.token_hex(32),
                user_id=colleague,
                created_by_id=user_id,
                expires_at=now + timedelta(days=1),
            )
        )
        db.session.add(
            Invitation(
                token_hash=secrets.token_hex(32),
                email="newcomer@example.org",
                created_by_id=user_id,
                municipality_id=city,
                municipal_role=MunicipalRole.EDITOR,
                expires_at=now + timedelta(days=7),
            )
        )
        # The invitation that brought the leaver in names their address.
        db.session.add(
            Invitation(
                token_hash=secrets.token_hex(32),
                email=email,
                municipality_id=city,
                expires_at=now,
                used_at=now,
            )
        )
        db.session.add(LoginThrottle(key=email, failures=2))
        db.session.add(StepProgress(user_id=user_id, step_key="demo/intro/first"))
        db.session.add(ModuleProgress(user_id=user_id, module_key="demo/intro", steps_seen=1))
        db.session.add(
            QuizAttempt(user_id=user_id, module_key="demo/intro", layout=[], question_count=3)
        )
        db.session.add(
            ReadinessAssessment(user_id=user_id, municipality_id=city, ratings={"s1": 3})
        )
        db.session.add(
            ReflectionNote(
                user_id=user_id, module_key="demo/intro", prompt_number=1, text=f"{canary} note"
            )
        )
        strategy = service.strategy_of(city)
        worksheet = service.worksheet_of(strategy, "context")
        service.save_section(worksheet, 0, {"notes": "Shelters near the harbour"}, user_id)
        db.session.add(
            WorksheetDraft(
                worksheet_id=worksheet.id,
                user_id=user_id,
                base_version=0,
                data={"notes": "my draft"},
            )
        )
        cohort = Cohort(
            name="Colombo workshop",
            join_code="ABCDEFGH",
            join_until=now + timedelta(days=30),
            created_by_id=user_id,
        )
        db.session.add(cohort)
        db.session.flush()
        db.session.add(CohortTrainer(cohort_id=cohort.id, user_id=user_id))
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user_id, municipality_id=city))
        db.session.add(CohortShare(cohort_id=cohort.id, municipality_id=city, shared_by_id=user_id))
        db.session.commit()
    return {"id": user_id, "email": email, "name": name, "canary": canary, "city": city}


def _signed_in(app, email, password=PASSWORD):
    client = app.test_client()
    response = login(client, email, password)
    if "/login/two-factor" in response.headers.get("Location", ""):
        code = pyotp.TOTP(LEAVER_TOTP).now()
        post(client, "/login/two-factor", {"code": code}, token_from="/login/two-factor")
    return client


def test_personal_download_holds_every_registered_row_and_no_secret(app, leaver):
    client = _signed_in(app, leaver["email"])
    page = client.get("/account/data")
    assert page.status_code == 200
    response = client.get("/account/data/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    exported = json.loads(response.get_data(as_text=True))
    with app.app_context():
        expected = personal_data.registered_row_counts(leaver["id"])
    counts = {key: len(rows) for key, rows in exported["linked_rows"].items()}
    print(
        f"T-DATA-2: rows exported = {sum(counts.values())}, "
        f"rows registered = {sum(expected.values())} in {len(expected)} links"
    )
    assert counts == expected
    # The fixture covers every link.
    assert [key for key, count in expected.items() if count == 0] == []
    assert exported["account"]["email"] == leaver["email"]
    assert len(exported["invitations_to_this_address"]) == 1
    body = response.get_data(as_text=True)
    for secret in ("password_hash", "totp_secret", "token_hash", "code_hash", LEAVER_TOTP):
        assert secret not in body
    assert "Shelters near the harbour" not in body  # the city's content is the city's to export
    assert f"{leaver['canary']} note" in body  # the person's own notes are theirs


def test_erasure_leaves_no_trace_of_the_person_and_keeps_the_citys_work(app, leaver):
    client = _signed_in(app, leaver["email"])
    wrong = post(
        client,
        "/account/delete",
        {"password": "not my password at all", "confirm": "y"},
        token_from="/account/delete",
    )
    assert "That is not your current password." in text_of(wrong)
    unticked = post(client, "/account/delete", {"password": PASSWORD}, token_from="/account/delete")
    assert "Please tick the box to confirm." in text_of(unticked)
    with app.app_context():
        assert db.session.get(User, leaver["id"]) is not None

    response = post(
        client,
        "/account/delete",
        {"password": PASSWORD, "confirm": "y"},
        token_from="/account/delete",
        follow_redirects=True,
    )
    assert "Your account was deleted." in text_of(response)
    assert client.get("/account").status_code == 302  # signed out

    with app.app_context():
        snapshot = canonical(dump()).decode()
        worksheet = db.session.execute(select(Worksheet)).scalar_one()
        revision = db.session.execute(select(WorksheetRevision)).scalar_one()
        audit_rows = db.session.execute(select(func.count(AuditEvent.id))).scalar_one()
        remaining = personal_data.registered_row_counts(leaver["id"])
    hits = [
        needle
        for needle in (leaver["email"], leaver["name"], leaver["canary"])
        if needle.lower() in snapshot.lower()
    ]
    print(f"T-DATA-2: after erasure, residual PII hits in a full dump: {len(hits)}")
    assert hits == []
    assert sum(remaining.values()) == 0
    assert worksheet.data["notes"] == "Shelters near the harbour"
    assert revision.author_id is None and worksheet.updated_by_id is None
    assert audit_rows >= 1

    # The city's pages show the work as a former member's.
    coordinator = make_user(
        app,
        "coordinator@example.org",
        municipality_id=leaver["city"],
        municipal_role=MunicipalRole.COORDINATOR,
    )
    assert coordinator
    colleague = _signed_in(app, "coordinator@example.org")
    history = text_of(colleague.get(f"/cities/{leaver['city']}/strategy/context/history"))
    assert "a former member" in history
    assert "a former member" in text_of(colleague.get(f"/cities/{leaver['city']}/strategy/audit"))

    # Signing in is impossible, and the address can be invited again to a fresh account.
    again = app.test_client()
    refused = login(again, leaver["email"])
    assert "do not match an active account" in text_of(refused)
    with app.app_context():
        db.session.add(
            User(email=leaver["email"], name="New person", password_hash=hash_password(PASSWORD))
        )
        db.session.commit()
        fresh = db.session.execute(select(User).where(User.email == leaver["email"])).scalar_one()
        assert fresh.id != leaver["id"]
        assert sum(personal_data.registered_row_counts(fresh.id).values()) == 0


def test_administrator_erases_an_account_and_the_last_administrator_cannot_leave(app, leaver):
    make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    admin = _signed_in(app, "admin@example.org")
    url = f"/admin/people/{leaver['id']}/erase"
    assert admin.get(f"/admin/people/{leaver['id']}").status_code == 200
    assert "Please tick the box" in text_of(post(admin, url, {}, token_from=url))
    response = post(admin, url, {"confirm": "y"}, token_from=url, follow_redirects=True)
    assert "The account was erased." in text_of(response)
    with app.app_context():
        assert db.session.get(User, leaver["id"]) is None
        assert "CANARY" not in canonical(dump()).decode()

    page = admin.get("/account/delete")
    assert "You are the only administrator" in text_of(page)
    refused = post(
        admin, "/account/delete", {"password": PASSWORD, "confirm": "y"}, token_from="/account"
    )
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.execute(
            select(User).where(User.email == "admin@example.org")
        ).scalar_one_or_none()


def test_only_administrators_erase_other_people(app, leaver):
    make_user(app, "member@example.org", municipality_id=leaver["city"])
    member = _signed_in(app, "member@example.org")
    url = f"/admin/people/{leaver['id']}/erase"
    assert member.get(url).status_code == 403
    assert post(member, url, {"confirm": "y"}).status_code == 403
    with app.app_context():
        assert db.session.get(User, leaver["id"]) is not None


# ---------------------------------------------------------------- T-SES-5 step-up


def test_changing_email_needs_the_password_even_in_a_fresh_session(app):
    make_user(app, "asha@example.org")
    make_user(app, "taken@example.org")
    client = _signed_in(app, "asha@example.org")  # signed in a moment ago
    url = "/account/email"
    wrong = post(
        client, url, {"email": "asha.new@example.org", "password": "wrong"}, token_from=url
    )
    assert "That is not your current password." in text_of(wrong)
    taken = post(client, url, {"email": "Taken@example.org", "password": PASSWORD}, token_from=url)
    assert "Another account uses this email address." in text_of(taken)
    bad = post(client, url, {"email": "not an address", "password": PASSWORD}, token_from=url)
    assert "Enter an email address" in text_of(bad)
    with app.app_context():
        assert db.session.execute(select(User).where(User.email == "asha@example.org")).scalar_one()

    done = post(
        client,
        url,
        {"email": " Asha.New@Example.org ", "password": PASSWORD},
        token_from=url,
        follow_redirects=True,
    )
    assert "asha.new@example.org" in text_of(done)
    fresh = app.test_client()
    assert login(fresh, "asha.new@example.org").status_code == 302
    print("T-SES-5: email change refused without the password in a fresh session: pass")


def test_two_factor_settings_need_the_password_even_in_a_fresh_session(app):
    make_user(app, "asha@example.org")
    client = _signed_in(app, "asha@example.org")
    token = csrf_token(client, "/account/two-factor")
    with client.session_transaction() as held:
        secret = held["totp_enrolment"]
    code = pyotp.TOTP(secret).now()
    refused = client.post(
        "/account/two-factor", data={"csrf_token": token, "password": "wrong", "code": code}
    )
    assert "That is not your current password." in text_of(refused)
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "asha@example.org")).scalar_one()
        assert user.totp_secret is None

    enabled = client.post(
        "/account/two-factor", data={"csrf_token": token, "password": PASSWORD, "code": code}
    )
    assert enabled.status_code == 200
    off = client.post("/account/two-factor", data={"csrf_token": token, "password": "wrong"})
    assert "That is not your current password." in text_of(off)
    codes = client.post(
        "/account/two-factor/recovery-codes", data={"csrf_token": token, "password": "wrong"}
    )
    assert codes.status_code == 302
    with app.app_context():
        user = db.session.execute(select(User).where(User.email == "asha@example.org")).scalar_one()
        assert user.totp_secret is not None
    print("T-SES-5: two-factor settings refused without the password: pass")


def test_password_rechecks_are_rate_limited(app):
    make_user(app, "asha@example.org")
    client = _signed_in(app, "asha@example.org")
    token = csrf_token(client, "/account/email")
    statuses = [
        client.post(
            "/account/email",
            data={"csrf_token": token, "email": "x@example.org", "password": "guess"},
        ).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429, 429]
