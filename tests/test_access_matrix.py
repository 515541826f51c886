"""T-AC-1: every route x method of the URL map, called by each of the 10 principals, against
an explicit policy table; plus a scan of every response for city B's canaries.

The "two cities" fixture: city A (Colombo) and city B, both with members, saved worksheets,
revisions, audit rows, a cohort with members, quiz attempts, notes and readiness profiles.
Every text field that belongs to city B holds a canary (CANARY-B-<field>-<hex8>).

Path parameters are filled from the fixture: variant "A" uses city A's municipality, cohort X
and a person of A; variant "B" uses city B's municipality, B's cohort Z and a person of B, so
cross-tenant access is exercised. A few routes get extra pairings (cohort X2 with city A's
shared strategy, cohort X with a person who is not in it). Quiz attempts and readiness
profiles are tried as the principal's own ("own") and as a person of B's ("other").

A response "gives content" when it is 2xx; a 3xx that does not send the person to sign in;
or a 400/409 that is the route's own answer (a form shown again with its errors, a JSON
verdict) rather than the error page: such an answer means the request got past the access
checks. Anything else (403, 404, a redirect to sign in) is a refusal. A CSRF failure, a 429,
a 405 or a 5xx is a fault of the test run and fails it too.

Requests are ordered so that they do not spoil each other: every GET first; then the POSTs
whose effect is harmless, sent with the session's valid CSRF token and empty or minimal data
(most forms come back with their errors; a worksheet POST only adds a table row on screen;
the autosave answers 409 because its base version is stale; the notes are too long to save;
the join form gets an invalid city so nobody joins; sharing re-sends A's current share with
X; restoring version 1 adds a revision that copies it); then the destructive POSTs, each
tried by the principals who must be refused before those allowed, and acting only on people
who are not principals: closing cohorts X and Z, removing a person from X (put back for the
next principal allowed), removing a membership, ending a person's sessions really happen;
erasing a person and deleting one's own account are sent without their confirmation box, so
the form comes back and nothing is deleted. Signing out comes last of all.

The same run yields three more figures. T-AC-2: every request that puts one of city B's
objects into the URL, sent by a principal of city A (viewer, editor, coordinator, trainers of
X and X2), must be refused with 404, or with the 403 of a role rule that answers before any
object is looked up, and answer exactly as for an id that exists nowhere; and B's rows are
compared before and after every request of the eight principals outside B. T-AC-3: the
responses and export files scanned for B's canaries are counted. T-CSRF-2: the database is
read before and after every GET (and the same URLs with HEAD) and must not change, apart from
the tables written on reading by design (WRITTEN_ON_GET) and the audit row of an export.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import time
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pyotp
from pypdf import PdfReader
from sqlalchemy import (
    Integer,
    String,
    Text,
    cast,
    column,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy import table as sql_table
from werkzeug.http import parse_options_header

from app.content import catalog
from app.extensions import db, limiter
from app.learn import quizzes
from app.models import (
    AuditEvent,
    Cohort,
    CohortMember,
    CohortModule,
    CohortShare,
    CohortTrainer,
    Invitation,
    Membership,
    ModuleProgress,
    MunicipalRole,
    ReadinessAssessment,
    ReflectionNote,
    SiteRole,
    StrategyStatus,
    User,
    WorksheetDraft,
)
from app.models.base import utcnow
from app.strategy import service
from tests.helpers import PASSWORD, csrf_token, login, make_municipality, make_user, post

# ------------------------------------------------------------------------------ principals

ANON, PART, VIEW_A, EDIT_A, COORD_A = (
    "anonymous",
    "participant",
    "viewer_a",
    "editor_a",
    "coordinator_a",
)
EDIT_B, TR_X, TR_X2, TR_Y, ADMIN = "editor_b", "trainer_x", "trainer_x2", "trainer_y", "admin"
PRINCIPALS = (ANON, PART, VIEW_A, EDIT_A, COORD_A, EDIT_B, TR_X, TR_X2, TR_Y, ADMIN)


def who(*names: str) -> frozenset[str]:
    return frozenset(names)


NOBODY = who()
EVERYONE = who(*PRINCIPALS)
SIGNED_IN = EVERYONE - {ANON}
STAFF = who(TR_X, TR_X2, TR_Y, ADMIN)
ONLY_ADMIN = who(ADMIN)
A_READERS = who(VIEW_A, EDIT_A, COORD_A, ADMIN)  # administrators read every workspace
A_EDITORS = who(EDIT_A, COORD_A)  # administrators do not edit a city's worksheets
B_READERS = who(EDIT_B, ADMIN)
X_TRAINERS = who(TR_X, ADMIN)  # administrators run every cohort

# Who may see city B's canaries: B's members and administrators (no cohort has B's share).
CANARY_READERS = B_READERS


def ab(a: frozenset[str], b: frozenset[str]) -> dict[str, frozenset[str]]:
    """Variant A (city A, cohort X, a person of A) and variant B (city B, cohort Z, ...)."""
    return {"A": a, "B": b}


def own(readers: frozenset[str]) -> dict[str, frozenset[str]]:
    """A record that belongs to one person: only its owner, never someone else's."""
    return {"own": readers, "other": NOBODY}


# ---------------------------------------------------------------------------- policy table
# endpoint -> method -> who gets content (one set, or one set per variant). Written from the
# design (app/access.py and each view's own checks), not from observed answers.

POLICY: dict[str, dict[str, frozenset[str] | dict[str, frozenset[str]]]] = {
    # Site-wide
    "main.health": {"GET": EVERYONE},
    "main.choose_language": {"POST": EVERYONE},
    "main.fresh_csrf_token": {"GET": SIGNED_IN},
    # Reading the guides is public; quizzes, notes, readiness, certificates need an account,
    # and an attempt or a readiness profile is its owner's alone (administrators included).
    "learn.home": {"GET": EVERYONE},
    "learn.glossary": {"GET": EVERYONE},
    "learn.guide": {"GET": EVERYONE},
    "learn.module": {"GET": EVERYONE},
    "learn.step": {"GET": EVERYONE},
    "learn.quiz": {"GET": SIGNED_IN},
    "learn.submit_quiz": {"POST": own(SIGNED_IN)},
    "learn.quiz_result": {"GET": own(SIGNED_IN)},
    "learn.certificate": {"GET": SIGNED_IN},  # every principal completed the demo guide
    "learn.save_module_notes": {"POST": SIGNED_IN},
    "learn.my_notes": {"GET": SIGNED_IN},
    "learn.download_notes": {"GET": SIGNED_IN},
    "learn.readiness": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "learn.readiness_profile": {"GET": own(SIGNED_IN)},
    # Signing in. The link routes only park their token in the session and redirect to a
    # token-free page; the pages behind them answer 404 without a valid token (the fixture
    # holds none), and the second step of sign-in sends back to sign in when none is pending.
    "auth.login": {"GET": EVERYONE, "POST": EVERYONE},
    "auth.second_factor": {"GET": NOBODY, "POST": NOBODY},
    "auth.logout": {"POST": EVERYONE},
    "auth.setup_link": {"GET": EVERYONE},
    "auth.setup": {"GET": NOBODY, "POST": NOBODY},
    "auth.invitation_link": {"GET": EVERYONE},
    "auth.invitation": {"GET": NOBODY, "POST": NOBODY},
    "auth.reset_link": {"GET": EVERYONE},
    "auth.reset_password": {"GET": NOBODY, "POST": NOBODY},
    # One's own account.
    "auth.account": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "auth.change_password": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "auth.change_email": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "auth.sessions": {"GET": SIGNED_IN},
    "auth.end_other_sessions": {"POST": SIGNED_IN},
    "auth.my_data": {"GET": SIGNED_IN},
    "auth.download_my_data": {"GET": SIGNED_IN},
    "auth.delete_account": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "auth.two_factor": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "auth.new_recovery_codes": {"POST": who(PART)},  # the only principal with an authenticator
    # A city's team page: its members read it; its coordinators and administrators invite.
    "team.team": {"GET": ab(A_READERS, B_READERS), "POST": ab(who(COORD_A, ADMIN), ONLY_ADMIN)},
    # A city's strategy workspace: members (and administrators) read, editors and
    # coordinators edit, coordinators manage status, sharing and import; the audit trail is
    # for coordinators and administrators. Trainers never enter a workspace.
    "strategy.overview": {"GET": ab(A_READERS, B_READERS)},
    "strategy.section": {"GET": ab(A_READERS, B_READERS), "POST": ab(A_EDITORS, who(EDIT_B))},
    "strategy.autosave": {"POST": ab(A_EDITORS, who(EDIT_B))},
    "strategy.history": {"GET": ab(A_READERS, B_READERS)},
    "strategy.resolve": {"GET": ab(A_EDITORS, who(EDIT_B)), "POST": ab(A_EDITORS, who(EDIT_B))},
    "strategy.restore": {"POST": ab(A_EDITORS, who(EDIT_B))},
    "strategy.audit": {"GET": ab(who(COORD_A, ADMIN), ONLY_ADMIN)},
    "strategy.download": {"GET": ab(A_READERS, B_READERS)},
    "strategy.preview": {"GET": ab(A_READERS, B_READERS)},
    "strategy.import_backup": {"GET": ab(who(COORD_A), NOBODY), "POST": ab(who(COORD_A), NOBODY)},
    "strategy.share": {"POST": ab(who(COORD_A), NOBODY)},
    "strategy.change_status": {"POST": ab(who(COORD_A), NOBODY)},
    # Cohorts: trainers see their own cohorts only; a city's strategy only where that city
    # shares it with the cohort (A shares with X; not with X2; B shares with nobody).
    "cohorts.index": {"GET": STAFF},
    "cohorts.new": {"GET": STAFF, "POST": STAFF},
    "cohorts.show": {"GET": ab(X_TRAINERS, ONLY_ADMIN)},
    "cohorts.edit": {"GET": ab(X_TRAINERS, ONLY_ADMIN), "POST": ab(X_TRAINERS, ONLY_ADMIN)},
    "cohorts.close": {"POST": ab(X_TRAINERS, ONLY_ADMIN)},
    "cohorts.export": {"GET": ab(X_TRAINERS, ONLY_ADMIN)},
    # Removing someone who is not in the cohort (a person of B) is not found, as is viewing them.
    "cohorts.remove_member": {"POST": {**ab(X_TRAINERS, ONLY_ADMIN), "X+outsider": NOBODY}},
    "cohorts.participant": {"GET": {**ab(X_TRAINERS, ONLY_ADMIN), "X+outsider": NOBODY}},
    "cohorts.shared_strategy": {
        "GET": {"A": X_TRAINERS, "B": NOBODY, "X2+A": NOBODY, "X+B": NOBODY}
    },
    # Joining by code is open to anyone holding the code.
    "cohorts.enter_code": {"GET": EVERYONE, "POST": EVERYONE},
    "cohorts.join": {"GET": EVERYONE, "POST": EVERYONE},
    # Administration: administrators only, whichever city or person.
    "admin.index": {"GET": ONLY_ADMIN},
    "admin.municipalities": {"GET": ONLY_ADMIN},
    "admin.new_municipality": {"GET": ONLY_ADMIN, "POST": ONLY_ADMIN},
    "admin.edit_municipality": {
        "GET": ab(ONLY_ADMIN, ONLY_ADMIN),
        "POST": ab(ONLY_ADMIN, ONLY_ADMIN),
    },
    "admin.people": {"GET": ONLY_ADMIN},
    "admin.person": {"GET": ab(ONLY_ADMIN, ONLY_ADMIN), "POST": ab(ONLY_ADMIN, ONLY_ADMIN)},
    "admin.end_sessions": {"POST": ab(ONLY_ADMIN, ONLY_ADMIN)},
    "admin.erase_person": {"GET": ab(ONLY_ADMIN, ONLY_ADMIN), "POST": ab(ONLY_ADMIN, ONLY_ADMIN)},
    "admin.remove_membership": {"POST": ab(ONLY_ADMIN, ONLY_ADMIN)},
    "admin.reset_link": {"POST": ab(ONLY_ADMIN, ONLY_ADMIN)},
    "admin.unlock": {"POST": ab(ONLY_ADMIN, ONLY_ADMIN)},
    "admin.invitations": {"GET": ONLY_ADMIN, "POST": ONLY_ADMIN},
}

# Where a canary of B may appear to anyone: the join form lists every municipality's name
# (it asks which one the person works for), to whoever holds the cohort's code.
CANARY_ALLOWED = {("municipality_name", "cohorts.join")}

# POSTs that must not run before the others (see the module docstring), and sign-out last.
DESTRUCTIVE = {
    "cohorts.close",
    "cohorts.remove_member",
    "admin.remove_membership",
    "admin.end_sessions",
    "admin.erase_person",
    "auth.delete_account",
    "auth.end_other_sessions",
}
LAST = {"auth.logout"}

OBJECT_ARGUMENTS = {"municipality_id", "cohort_id", "user_id", "membership_id"}
OWNED_ARGUMENTS = {"attempt_id", "assessment_id"}
EXTRA_VARIANTS = {
    "cohorts.shared_strategy": ("X2+A", "X+B"),
    "cohorts.participant": ("X+outsider",),
    "cohorts.remove_member": ("X+outsider",),
}
# Query strings that make a page show more: the history page compares two revisions.
QUERIES = {"strategy.history": "?a=1&b=2"}
MODULE_KEY = "demo/intro"
CORRECT_ANSWERS = {"q1": ["true"], "q2": ["b"], "q3": ["a", "b"]}
ERROR_PAGE_TITLE = "Something in that request was not right"
CSRF_FAILURE = "This form had expired or was sent from elsewhere"
SIGN_IN_PATHS = {"/login", "/login/two-factor"}

# T-AC-2: the variants that put an object of city B into the URL, and which arguments hold
# B's objects (cohort X with B's city or with a person of B; an attempt or readiness profile
# of B's coordinator); the principals of city A (its members and the trainers of X and X2).
B_OBJECTS = {
    "B": OBJECT_ARGUMENTS,
    "X+B": {"municipality_id"},
    "X+outsider": {"user_id"},
    "other": OWNED_ARGUMENTS,
}
CITY_A = (VIEW_A, EDIT_A, COORD_A, TR_X, TR_X2)
B_ACTORS = {EDIT_B, ADMIN}  # the only principals who may change city B's rows
MISSING_ID = 987654321
# T-CSRF-2: every GET URL is also sent with HEAD (the same view) by one principal of each kind.
HEAD_PRINCIPALS = (ANON, EDIT_A, TR_X, ADMIN)


# ------------------------------------------------------------------------ two cities fixture


def build_two_cities(app) -> SimpleNamespace:
    """Cities A and B fully populated; B's text fields hold canaries."""
    canaries = {}

    def canary(field: str, lower: bool = False) -> str:
        value = f"CANARY-B-{field}-{secrets.token_hex(4)}"
        canaries[field] = value.lower() if lower else value
        return canaries[field]

    def email_canary(field: str) -> str:
        return canary(field, lower=True) + "@example.org"

    city_a = make_municipality(app, "Colombo", "LK", "South Asia")
    city_b = make_municipality(
        app, canary("municipality_name"), "LK", canary("municipality_region")
    )
    emails = {
        PART: "participant@example.org",
        VIEW_A: "viewer.a@example.org",
        EDIT_A: "editor.a@example.org",
        COORD_A: "coordinator.a@example.org",
        EDIT_B: email_canary("editor_b_email"),
        TR_X: "trainer.x@example.org",
        TR_X2: "trainer.x2@example.org",
        TR_Y: "trainer.y@example.org",
        ADMIN: "admin@example.org",
    }
    ids = {
        PART: make_user(app, emails[PART], name="Pat Participant"),
        VIEW_A: make_user(
            app,
            emails[VIEW_A],
            name="Vani Viewer",
            municipality_id=city_a,
            municipal_role=MunicipalRole.VIEWER,
        ),
        EDIT_A: make_user(app, emails[EDIT_A], name="Eshan Editor", municipality_id=city_a),
        COORD_A: make_user(
            app,
            emails[COORD_A],
            name="Chamari Coordinator",
            municipality_id=city_a,
            municipal_role=MunicipalRole.COORDINATOR,
        ),
        EDIT_B: make_user(
            app, emails[EDIT_B], name=canary("editor_b_name"), municipality_id=city_b
        ),
        TR_X: make_user(app, emails[TR_X], name="Tara Trainer", role=SiteRole.TRAINER),
        TR_X2: make_user(app, emails[TR_X2], name="Tomas Trainer", role=SiteRole.TRAINER),
        TR_Y: make_user(app, emails[TR_Y], name="Yusuf Trainer", role=SiteRole.TRAINER),
        ADMIN: make_user(app, emails[ADMIN], name="Ada Admin", role=SiteRole.ADMIN),
    }
    # People who are not principals: the objects of the person routes, and B's coordinator.
    a_person = make_user(app, "another.a@example.org", name="Anura Another", municipality_id=city_a)
    b_coordinator = make_user(
        app,
        email_canary("b_coordinator_email"),
        name=canary("b_coordinator_name"),
        municipality_id=city_b,
        municipal_role=MunicipalRole.COORDINATOR,
    )
    b_trainer = make_user(
        app,
        email_canary("b_trainer_email"),
        name=canary("b_trainer_name"),
        role=SiteRole.TRAINER,
    )
    totp_secret = pyotp.random_base32()

    with app.app_context():
        now = utcnow()
        db.session.get(User, ids[PART]).totp_secret = totp_secret  # one enrolled account
        module = catalog().module(MODULE_KEY)
        attempts, assessments = {}, {}
        learners = {**ids, "b_coordinator": b_coordinator, "a_person": a_person}
        for who_, user_id in learners.items():
            # Every learner completed the demo guide, with a submitted attempt to look at.
            db.session.add(ModuleProgress(user_id=user_id, module_key=MODULE_KEY, steps_seen=2))
            db.session.flush()
            attempt = quizzes.open_attempt(user_id, module)
            quizzes.submit(attempt, module, CORRECT_ANSWERS)
            attempts[who_] = attempt.id
            in_b = who_ in (EDIT_B, "b_coordinator")
            in_a = who_ in (VIEW_A, EDIT_A, COORD_A, "a_person")
            assessment = ReadinessAssessment(
                user_id=user_id,
                municipality_id=city_b if in_b else (city_a if in_a else None),
                ratings={"m1": 3, "m2": 4, "p1": 2, "p2": 5},
            )
            db.session.add(assessment)
            db.session.add(
                ReflectionNote(
                    user_id=user_id,
                    module_key=MODULE_KEY,
                    prompt_number=1,
                    text=canary(f"note_{who_}") if in_b else f"Notes of {who_}",
                )
            )
            db.session.flush()
            assessments[who_] = assessment.id

        # Worksheets: two saves in each city (revisions and audit rows), a status change,
        # a kept draft, an export record.
        def fill(city, authors, texts):
            strategy = service.strategy_of(city)
            worksheet = service.worksheet_of(strategy, "context")
            for version, (author, (notes, summary, action)) in enumerate(
                zip(authors, texts, strict=True)
            ):
                data = {
                    "notes": notes,
                    "summary": summary,
                    "kind": "city",
                    "levels": ["primary"],
                    "trust": 3 + version,
                    "actions": [{"action": action, "status": "planned"}],
                }
                assert isinstance(
                    service.save_section(worksheet, version, data, author), service.Saved
                )
            service.set_status(strategy, StrategyStatus.IN_REVIEW, authors[-1])
            return worksheet

        fill(
            city_a,
            [ids[EDIT_A], ids[COORD_A]],
            [("Harbour shelters", "First summary", "Meet"), ("Shelters", "Summary", "Call")],
        )
        sheet_b = fill(
            city_b,
            [ids[EDIT_B], b_coordinator],
            [
                (canary("ws_notes_v1"), canary("ws_summary_v1"), canary("ws_action_v1")),
                (canary("ws_notes"), canary("ws_summary"), canary("ws_action")),
            ],
        )
        sheet_a = service.worksheet_of(service.strategy_of(city_a), "context")
        db.session.add(
            WorksheetDraft(
                worksheet_id=sheet_a.id,
                user_id=ids[EDIT_A],
                base_version=1,
                data={"notes": "My conflicting notes"},
            )
        )
        db.session.add(
            WorksheetDraft(
                worksheet_id=sheet_b.id,
                user_id=b_coordinator,
                base_version=1,
                data={"notes": canary("ws_draft_notes")},
            )
        )
        db.session.add(
            AuditEvent(
                municipality_id=city_b,
                actor_id=b_coordinator,
                action="exported",
                detail={"format": canary("audit_detail")},
            )
        )
        db.session.add(
            Invitation(
                token_hash=secrets.token_hex(32),
                email=email_canary("invitation_email"),
                municipality_id=city_b,
                municipal_role=MunicipalRole.EDITOR,
                created_by_id=b_coordinator,
                expires_at=now + timedelta(days=7),
            )
        )

        # Cohorts: X (A's viewer and another A person; A shares with X), X2 (A's coordinator;
        # no share), Y (the participant, no city), Z (B's people; B shares with nobody).
        def cohort(name, description, trainer, members, shared_with=()):
            record = Cohort(
                name=name,
                description=description,
                join_code=secrets.token_hex(4).upper(),
                join_until=now + timedelta(days=30),
                created_by_id=trainer,
            )
            record.trainers.append(CohortTrainer(user_id=trainer))
            record.modules.append(CohortModule(module_key=MODULE_KEY, position=0))
            db.session.add(record)
            db.session.flush()
            for user_id, city in members:
                db.session.add(
                    CohortMember(cohort_id=record.id, user_id=user_id, municipality_id=city)
                )
            for city in shared_with:
                db.session.add(CohortShare(cohort_id=record.id, municipality_id=city))
            return record

        cohort_x = cohort(
            "Colombo workshop", "", ids[TR_X], [(ids[VIEW_A], city_a), (a_person, city_a)], [city_a]
        )
        cohort_x2 = cohort("Regional course", "", ids[TR_X2], [(ids[COORD_A], city_a)])
        cohort_y = cohort("Open course", "", ids[TR_Y], [(ids[PART], None)])
        cohort_z = cohort(
            canary("cohort_name"),
            canary("cohort_description"),
            b_trainer,
            [(ids[EDIT_B], city_b), (b_coordinator, city_b)],
        )
        db.session.commit()

        def membership_of(user_id, city):
            return db.session.execute(
                select(Membership.id).where(
                    Membership.user_id == user_id, Membership.municipality_id == city
                )
            ).scalar_one()

        return SimpleNamespace(
            ids=ids,
            emails=emails,
            totp_secret=totp_secret,
            canaries=canaries,
            attempts=attempts,
            assessments=assessments,
            join_code=cohort_x.join_code,
            token=secrets.token_urlsafe(32),
            variants={
                "A": {
                    "municipality_id": city_a,
                    "cohort_id": cohort_x.id,
                    "user_id": a_person,
                    "membership_id": membership_of(a_person, city_a),
                },
                "B": {
                    "municipality_id": city_b,
                    "cohort_id": cohort_z.id,
                    "user_id": b_coordinator,
                    "membership_id": membership_of(b_coordinator, city_b),
                },
                "X2+A": {"cohort_id": cohort_x2.id, "municipality_id": city_a},
                "X+B": {"cohort_id": cohort_x.id, "municipality_id": city_b},
                "X+outsider": {"cohort_id": cohort_x.id, "user_id": b_coordinator},
            },
            cohort_ids={"X": cohort_x.id, "Z": cohort_z.id, "Y": cohort_y.id},
            city_b=city_b,
            people_of_b={ids[EDIT_B], b_coordinator, b_trainer},
        )


# ------------------------------------------------------------------------------ the cases


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    variant: str
    rule: object
    listed: tuple  # values of any(...) converters, e.g. (("kind", "pdf"),)

    def url(self, world, principal: str, absent=frozenset()) -> str:
        """The case's URL; the arguments named in `absent` get an id that exists nowhere."""
        values = {
            "guide_slug": "demo",
            "module_slug": "intro",
            "step_slug": "first",
            "section_slug": "context",
            "version": 1,
            "token": world.token,
            "code": world.join_code,
            **dict(self.listed),
        }
        if self.variant in ("own", "other"):
            if self.variant == "other":
                owner = "b_coordinator"
            else:  # an anonymous visitor owns nothing: try the viewer's
                owner = VIEW_A if principal == ANON else principal
            values["attempt_id"] = world.attempts[owner]
            values["assessment_id"] = world.assessments[owner]
        else:
            values.update(world.variants.get(self.variant, {}))
        values.update((name, MISSING_ID) for name in absent)
        missing = set(self.rule.arguments) - set(values)
        assert not missing, f"{self.endpoint}: no fixture value for {missing}"
        return self.rule.build(values, append_unknown=False)[1] + QUERIES.get(self.endpoint, "")

    def form(self, world) -> dict:
        """Empty or minimal data: enough to reach the view's own logic; forms come back with
        their errors instead of being saved (see the module docstring for the exceptions)."""
        if self.endpoint == "strategy.share":  # an existing choice, sent again
            cohort = world.cohort_ids["X" if self.variant == "A" else "Z"]
            return {"cohort": cohort, "shared": "y"}
        return {
            "strategy.section": {"row_action": "add:actions:"},  # adds a row, saves nothing
            "learn.save_module_notes": {"note1": "x" * 5001},  # too long: shown again
            "cohorts.join": {"municipality": "not-a-choice"},  # shown again, nobody joins
            "auth.new_recovery_codes": {"password": PASSWORD},
        }.get(self.endpoint, {})

    @property
    def phase(self) -> int:
        if self.method == "GET":
            return 0
        if self.endpoint in LAST:
            return 3
        return 2 if self.endpoint in DESTRUCTIVE else 1

    @property
    def key(self) -> tuple[str, str, str]:
        return self.endpoint, self.method, self.variant


def enumerate_cases(app) -> tuple[list[Case], int, int]:
    cases, rules, methods = [], 0, 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        rules += 1
        listed_names = [
            name
            for name in rule.arguments
            if hasattr(rule._converters.get(name), "items")  # any(a, b): every listed value
        ]
        combinations = [()]
        for name in listed_names:
            items = sorted(rule._converters[name].items)
            combinations = [(*c, (name, item)) for c in combinations for item in items]
        arguments = set(rule.arguments)
        if arguments & OBJECT_ARGUMENTS:
            variants = ("A", "B", *EXTRA_VARIANTS.get(rule.endpoint, ()))
        elif arguments & OWNED_ARGUMENTS:
            variants = ("own", "other")
        else:
            variants = ("-",)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            methods += 1
            for variant in variants:
                for listed in combinations:
                    cases.append(Case(rule.endpoint, method, variant, rule, listed))
    return cases, rules, methods


def declared_policy() -> dict[tuple[str, str, str], frozenset[str]]:
    table = {}
    for endpoint, by_method in POLICY.items():
        for method, allowed in by_method.items():
            per_variant = {"-": allowed} if isinstance(allowed, frozenset) else allowed
            for variant, principals in per_variant.items():
                table[endpoint, method, variant] = principals
    return table


# ------------------------------------------------------------------------------ answers


def judge(response) -> str:
    """'content', 'refused', or a fault of the run."""
    status = response.status_code
    if 200 <= status < 300:
        return "content"
    if 300 <= status < 400:
        target = urlsplit(response.headers.get("Location", "")).path
        return "refused" if target in SIGN_IN_PATHS else "content"
    if status == 429:
        return "fault: rate limited"
    if status == 405 or status >= 500:
        return f"fault: {status}"
    body = response.get_data(as_text=True)
    if status in (400, 409):
        if CSRF_FAILURE in body:
            return "fault: CSRF token refused"
        return "refused" if ERROR_PAGE_TITLE in body else "content"
    if status in (403, 404):
        return "refused"
    return f"fault: {status}"


def readable_text(response) -> str:
    """Headers and body as text; DOCX/XLSX unzipped, PDF text extracted."""
    data = response.get_data()
    parts = [str(response.headers)]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
    elif data.startswith(b"%PDF"):
        text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
        parts.append(re.sub(r"\s+", "", text))  # canaries hold no spaces; lines may break
    else:
        parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


# ------------------------------------------------------------------- database fingerprints
# T-CSRF-2: the database is read before and after every GET and HEAD. These tables are
# written by a safe request by design, and are left out of its comparison:
WRITTEN_ON_GET = {
    "user_session": "a visit opens a session row or renews its last_seen",
    "step_progress": "a signed-in reader opening a step records it",
    "module_progress": "... and the module's progress",
    "quiz_attempt": "opening a quiz page starts an attempt (or shows the open one)",
}


# One route adds one row by design: a strategy export is recorded in the city's audit trail
# (who exported which format). Any other audit row written on a GET is a fault.
AUDITED_ON_GET = "strategy.download"


def only_the_export_recorded(before: dict, after: dict, actor_id: int | None) -> bool:
    old, new = set(before["audit_event"]), set(after["audit_event"])
    added = [as_dict("audit_event", row) for row in new - old]
    return (
        old <= new
        and len(added) == 1
        and added[0]["action"] == "exported"
        and added[0]["actor_id"] == actor_id
    )


TABLES = db.metadata.sorted_tables
SNAPSHOT_STATEMENTS: dict[str, object] = {}  # per dialect
# Columns read as themselves (to tell whose a row is); each whole row is read as JSON text.
OWNER_COLUMNS = ("id", "municipality_id", "user_id", "cohort_id", "worksheet_id", "strategy_id")


def snapshot_statement(dialect: str):
    """One statement that reads every row of every table, ordered by table and key."""
    as_array = func.json_build_array if dialect == "postgresql" else func.json_array
    parts = []
    for number, table in enumerate(TABLES):
        names = {c.name for c in table.columns}
        (key,) = table.primary_key.columns
        parts.append(
            select(
                literal(number).label("tn"),
                cast(column(key.name), String).label("k"),
                *(
                    (column(n) if n in names else cast(null(), Integer)).label(n)
                    for n in OWNER_COLUMNS
                ),
                cast(as_array(*(column(c.name) for c in table.columns)), Text).label("row"),
            ).select_from(sql_table(table.name))
        )
    return union_all(*parts).order_by(literal_column("tn"), literal_column("k"))


def snapshot(engine) -> dict[str, list]:
    statement = SNAPSHOT_STATEMENTS.get(engine.dialect.name)
    if statement is None:
        statement = SNAPSHOT_STATEMENTS[engine.dialect.name] = snapshot_statement(
            engine.dialect.name
        )
    tables = TABLES
    rows: dict[str, list] = {table.name: [] for table in tables}
    with engine.connect() as connection:
        for row in connection.execute(statement):
            rows[tables[row.tn].name].append(row)
    return rows


def as_dict(table_name: str, row) -> dict:
    names = [c.name for c in db.metadata.tables[table_name].columns]
    return dict(zip(names, json.loads(row.row), strict=True))


def rows_of_b(rows: dict[str, list[tuple]], world) -> dict[str, list[tuple]]:
    """The rows that belong to city B: its record, people, workspace, audit trail, cohort Z,
    and everything its people own (sessions, progress, attempts, notes, readiness)."""
    city, people, cohort = world.city_b, world.people_of_b, world.cohort_ids["Z"]
    strategies = {r.id for r in rows["strategy"] if r.municipality_id == city}
    sheets = {r.id for r in rows["worksheet"] if r.strategy_id in strategies}
    own_ids = {"municipality": {city}, "user": people, "cohort": {cohort}, "worksheet": sheets}
    owners = {  # column -> ids of B's objects
        "municipality_id": {city},
        "user_id": people,
        "cohort_id": {cohort},
        "worksheet_id": sheets,
    }
    selected = {}
    for table in TABLES:
        checks = [(c.name, owners[c.name]) for c in table.columns if c.name in owners]
        if table.name in own_ids:
            checks.append(("id", own_ids[table.name]))
        selected[table.name] = [
            row
            for row in rows[table.name]
            if any(getattr(row, name) in ids for name, ids in checks)
        ]
    return selected


def changed_tables(before: dict, after: dict, ignore=()) -> list[str]:
    return sorted(name for name in before if name not in ignore and before[name] != after[name])


def put_back_members(app, rows: list[tuple]) -> None:
    """Re-adds the cohort members removed since `rows` were read (ids and dates as before)."""
    with app.app_context():
        present = set(db.session.execute(select(CohortMember.id)).scalars())
        for row in rows:
            if row.id not in present:
                member = CohortMember(
                    id=row.id,
                    cohort_id=row.cohort_id,
                    user_id=row.user_id,
                    municipality_id=row.municipality_id,
                )
                db.session.add(member)
        db.session.commit()


# --------------------------------------------------------------------------------- signing in


def sign_in(app, world, principal):
    """A test client for the principal, signed in (the participant with its second factor),
    and the CSRF token of its session."""
    client = app.test_client()
    if principal == ANON:
        return client, csrf_token(client, "/login")
    response = login(client, world.emails[principal])
    if principal == PART:
        assert response.headers["Location"] == "/login/two-factor"
        code = pyotp.TOTP(world.totp_secret).now()
        response = post(client, "/login/two-factor", {"code": code}, token_from="/login/two-factor")
    assert response.status_code == 302 and response.headers["Location"] == "/", principal
    assert client.get("/account").status_code == 200, principal
    return client, client.get("/csrf-token").get_json()["token"]


# ------------------------------------------------------------------------------------- test


def test_route_principal_matrix(app):
    """T-AC-1, and from the same run T-AC-2 (city B's objects in city A's hands), T-AC-3 (the
    canary scan, counted) and T-CSRF-2 (the database before and after every GET and HEAD)."""
    started = time.perf_counter()
    world = build_two_cities(app)
    sessions = {principal: sign_in(app, world, principal) for principal in PRINCIPALS}
    with app.app_context():
        engine = db.engine
    built = time.perf_counter()

    cases, rule_count, method_count = enumerate_cases(app)
    policy = declared_policy()
    seen_keys = {case.key for case in cases}
    undeclared = sorted(seen_keys - policy.keys())
    stale = sorted(policy.keys() - seen_keys)

    unexpected, refused, faults, leaks, tolerated = [], [], [], [], []
    canaries_shown_to_readers: set[str] = set()
    pairs = 0
    verdicts: dict[str, int] = {}
    # T-AC-2, T-AC-3, T-CSRF-2
    cross_tenant: list[tuple[Case, str, int]] = []  # city A principals on B's objects
    scanned, export_files = 0, {}
    safe_requests, safe_changes, head_mismatches = 0, [], []
    b_checked, b_changes, audited_exports = 0, [], 0
    get_status: dict[tuple, int] = {}
    b_rows_at_start = rows_of_b(snapshot(engine), world)
    known = None  # the database after the last checked request, if nothing ran since
    members_at_start = snapshot(engine)["cohort_member"]

    def checked_request(client, method, url, data, principal, endpoint, where) -> object:
        """Sends the request; compares the database before and after it when it is a safe
        request (every table but WRITTEN_ON_GET) or comes from outside city B (B's rows)."""
        nonlocal known, safe_requests, b_checked, audited_exports
        safe = method in ("GET", "HEAD")
        outside_b = principal not in B_ACTORS
        if not (safe or outside_b):
            known = None
            return client.open(url, method=method, data=data)
        before = known if known is not None else snapshot(engine)
        response = client.open(url, method=method, data=data)
        after = known = snapshot(engine)
        if safe:
            safe_requests += 1
            changed = changed_tables(before, after, ignore=WRITTEN_ON_GET)
            if changed == ["audit_event"] and endpoint == AUDITED_ON_GET:
                audited_exports += 1
                if only_the_export_recorded(before, after, world.ids.get(principal)):
                    changed = []
            if changed:
                safe_changes.append(f"{where}: {changed}")
        if outside_b:
            b_checked += 1
            changed = changed_tables(rows_of_b(before, world), rows_of_b(after, world))
            if changed:
                b_changes.append(f"{where}: {changed}")
        return response

    def call(case: Case, principal: str) -> None:
        nonlocal pairs, scanned
        client, token = sessions[principal]
        url = case.url(world, principal)
        data = None if case.method == "GET" else {"csrf_token": token, **case.form(world)}
        where = f"{principal} {case.method} {url} ({case.endpoint}/{case.variant})"
        response = checked_request(client, case.method, url, data, principal, case.endpoint, where)
        pairs += 1
        verdict = judge(response)
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
        allowed = principal in policy.get(case.key, NOBODY)
        where += f" -> {response.status_code} {response.headers.get('Location', '')}".rstrip()
        if verdict.startswith("fault"):
            faults.append(f"{where}: {verdict}")
        elif verdict == "content" and not allowed:
            unexpected.append(where)
        elif verdict == "refused" and allowed:
            refused.append(where)
        if principal in CITY_A and case.variant in B_OBJECTS:
            cross_tenant.append((case, principal, response.status_code))
        text = readable_text(response)
        if principal not in CANARY_READERS:
            scanned += 1
            disposition, options = parse_options_header(
                response.headers.get("Content-Disposition", "")
            )
            if disposition == "attachment":
                kind = options.get("filename", "?").rsplit(".", 1)[-1]
                export_files[kind] = export_files.get(kind, 0) + 1
        for field, value in world.canaries.items():
            if value not in text:
                continue
            if principal in CANARY_READERS:
                canaries_shown_to_readers.add(field)
            elif (field, case.endpoint) in CANARY_ALLOWED:
                tolerated.append(f"{where}: canary {field}")
            else:
                leaks.append(f"{where}: canary {field}")
        if case.method == "GET":
            get_status[case.key, case.listed, principal] = response.status_code

    def head(case: Case, principal: str) -> None:
        """T-CSRF-2: the GET's URL again with HEAD: the same status, no changes either."""
        client, _token = sessions[principal]
        url = case.url(world, principal)
        where = f"{principal} HEAD {url} ({case.endpoint}/{case.variant})"
        response = checked_request(client, "HEAD", url, None, principal, case.endpoint, where)
        answered = get_status[case.key, case.listed, principal]
        if response.status_code != answered:
            head_mismatches.append(f"{where}: {response.status_code}, GET answered {answered}")

    # Phases 0 and 1 (GETs, then HEADs, then harmless POSTs): one principal after the other.
    for phase in (0, 0.5, 1):
        for principal in PRINCIPALS:
            limiter.reset()
            for case in cases:
                if phase == 0.5 and case.phase == 0 and principal in HEAD_PRINCIPALS:
                    head(case, principal)
                elif case.phase == phase:
                    call(case, principal)
    # T-AC-2: the same requests with ids that exist nowhere must be answered alike (a 403 or a
    # 404 that depended on the object would tell whether it exists). Sent before phase 2,
    # while everyone is still signed in; nothing exists to be changed.
    oracle = []
    for case, principal, status in cross_tenant:
        client, token = sessions[principal]
        url = case.url(world, principal, absent=B_OBJECTS[case.variant] & set(case.rule.arguments))
        data = None if case.method == "GET" else {"csrf_token": token, **case.form(world)}
        limiter.reset()
        missing_status = client.open(url, method=case.method, data=data).status_code
        if missing_status != status:
            oracle.append(f"{principal} {case.method} {url}: {missing_status}, B's id {status}")
    known = None
    # Phases 2 and 3 (destructive POSTs, then signing out): per case, refusals first.
    for phase in (2, 3):
        for case in (c for c in cases if c.phase == phase):
            limiter.reset()
            allowed = policy.get(case.key, NOBODY)
            for principal in sorted(PRINCIPALS, key=lambda p: p in allowed):
                call(case, principal)
                if case.endpoint == "cohorts.remove_member":  # the next one finds them again
                    put_back_members(app, members_at_start)
                    known = None

    elapsed = time.perf_counter() - started
    unseen = sorted(set(world.canaries) - canaries_shown_to_readers)
    print(
        f"T-AC-1: {rule_count} rules x {method_count} methods x {len(PRINCIPALS)} principals "
        f"= {pairs} pairs ({len(cases)} URLs per principal: city A/B, own/other variants); "
        f"{len(unexpected)} unexpected 2xx/3xx-to-content; "
        f"{len(undeclared)} undeclared endpoints; {len(leaks)} canary leaks"
    )
    print(
        f"T-AC-1 detail: {len(stale)} stale policy entries; {len(refused)} declared-allowed "
        f"refused; {len(faults)} faults; answers {verdicts}; {len(tolerated)} responses "
        f"showing B's name on the join form (allowed); "
        f"{len(canaries_shown_to_readers)}/{len(world.canaries)} canaries shown to B's readers "
        f"(never shown: {unseen}); fixture+sign-in {built - started:.1f} s, "
        f"total {elapsed:.1f} s"
    )

    # T-AC-2 figures: the object routes tried with B's ids by the five principals of city A.
    object_routes = {(case.key, case.listed) for case, _principal, _status in cross_tenant}
    statuses: dict[int, int] = {}
    for _case, _principal, status in cross_tenant:
        statuses[status] = statuses.get(status, 0) + 1
    refusals_403 = sorted(
        {f"{case.endpoint} ({case.method})" for case, _p, s in cross_tenant if s == 403}
    )
    not_refused = [
        f"{principal} {case.method} {case.url(world, principal)}: {status}"
        for case, principal, status in cross_tenant
        if status not in (403, 404)
    ]
    with app.app_context():  # a 403 must come from the route's role rule, before any lookup
        by_role = [
            (case, principal)
            for case, principal, status in cross_tenant
            if status == 403
            and not app.view_functions[case.endpoint].access_check(
                db.session.get(User, world.ids[principal])
            )
        ]
    b_digest = [
        hashlib.sha256(repr(rows).encode()).hexdigest()[:12]
        for rows in (b_rows_at_start, rows_of_b(snapshot(engine), world))
    ]
    print(
        f"T-AC-2: {len(object_routes)} object routes (rule x method x variant holding city B's "
        f"municipality, cohort, person, membership, attempt or profile id) x {len(CITY_A)} "
        f"city-A principals = {len(cross_tenant)} requests: {statuses.get(404, 0)} 404, "
        f"{statuses.get(403, 0)} 403, {len(not_refused)} other; "
        f"B's rows unchanged (row hash) across {b_checked - len(b_changes)}/{b_checked} "
        f"requests of the {len(PRINCIPALS) - len(B_ACTORS)} principals outside B"
    )
    print(
        f"T-AC-2 detail: the 403s are the role rule of {len(refusals_403)} admin- or "
        f"trainer-only routes, answered before any object is looked up "
        f"({len(by_role)}/{statuses.get(403, 0)}), the same for an id that exists nowhere: "
        f"{len(oracle)} answers differ from a non-existent id's; routes: {refusals_403}; "
        f"hash of B's rows at start {b_digest[0]}, at the end {b_digest[1]} (B's editor and "
        "the administrator act on B in the matrix)"
    )
    print(
        f"T-AC-3: {scanned} responses + {sum(export_files.values())} export files "
        f"({', '.join(f'{n} {kind}' for kind, n in sorted(export_files.items()))}) scanned "
        f"for {len(world.canaries)} city-B canaries, by the "
        f"{len(PRINCIPALS) - len(CANARY_READERS)} principals other than B's editor and the "
        f"administrator; "
        f"{len(leaks)} canary hits"
    )
    print(
        f"T-CSRF-2: {safe_requests} safe requests (every GET of the matrix, and the same URL "
        f"with HEAD by {len(HEAD_PRINCIPALS)} principals); {len(safe_changes)} DB changes "
        f"(row counts and content of {len(TABLES) - len(WRITTEN_ON_GET)} tables compared "
        f"before/after each); "
        f"excluded, written on GET by design: {', '.join(sorted(WRITTEN_ON_GET))}; and "
        f"the one 'exported' audit row of each of {audited_exports} strategy downloads; "
        f"{len(head_mismatches)} HEAD answers differing from GET"
    )
    assert pairs == len(cases) * len(PRINCIPALS)
    assert undeclared == [], f"routes without a declared policy: {undeclared}"
    assert stale == [], f"policy entries matching no route: {stale}"
    assert unexpected == [], "unexpected access:\n" + "\n".join(unexpected)
    assert leaks == [], "city B's canaries leaked:\n" + "\n".join(leaks)
    assert refused == [], "declared allowed but refused:\n" + "\n".join(refused)
    assert faults == [], "faults:\n" + "\n".join(faults)
    # The scan can find canaries: B's readers do see B's worksheet, names and city.
    assert {
        "ws_notes",
        "ws_summary",
        "ws_action",
        "municipality_name",
        "editor_b_name",
        "b_coordinator_name",
        "cohort_name",
        "invitation_email",
    } <= canaries_shown_to_readers
    # T-AC-2
    assert not_refused == [], "city B's objects not refused:\n" + "\n".join(not_refused)
    assert len(by_role) == statuses.get(403, 0), "403 for B's object past the role rule"
    assert oracle == [], "answers that tell whether an object exists:\n" + "\n".join(oracle)
    assert b_changes == [], "city B's rows changed:\n" + "\n".join(b_changes)
    assert all(  # the hash covers B's records, workspace, trail, cohort and people
        b_rows_at_start[name]
        for name in ("municipality", "user", "membership", "worksheet_revision", "audit_event")
        + ("cohort", "cohort_member", "reflection_note", "user_session", "invitation")
    )
    assert {key[0] for key, _listed in object_routes} >= {
        "strategy.section",
        "strategy.autosave",
        "strategy.restore",
        "strategy.download",
        "cohorts.show",
        "cohorts.shared_strategy",
        "learn.quiz_result",
    }
    # T-AC-3: exports of every kind were among the scanned responses
    assert {"pdf", "csv", "json"} <= export_files.keys()
    # T-CSRF-2
    assert safe_changes == [], "a GET or HEAD changed the database:\n" + "\n".join(safe_changes)
    assert head_mismatches == [], "\n".join(head_mismatches)
