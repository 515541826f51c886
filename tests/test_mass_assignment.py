"""T-AC-5: no form lets a request set a column it does not show.

Every form of the application is fetched as its page renders it (hidden fields included), filled
with valid values, and posted with extra fields that name protected columns (`municipality_id`,
`version`, `role`, `site_role`, `user_id`, `status`, `active`, `author_id`, `id`, ...), each
pointing at something the person must not reach: city B, a person of city B ("the victim"),
version 99, the administrator role. Hidden fields are tampered with too (a worksheet's base
version and save id). The database is compared before and after each post (every table except
`user_session`, whose last-seen time changes on every request): only the columns the form is
for may change, only the tables it is for may gain rows, and no changed or new row holds an
injected value or touches city B or the victim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import select

from app.cohorts import service as cohorts
from app.content import catalog
from app.extensions import db
from app.models import CohortMember, MunicipalRole, SiteRole, User
from tests.helpers import PASSWORD, login, make_municipality, make_user, soup

IGNORED_TABLES = {"user_session"}  # touched by every signed-in request (last seen)


def build_world(app) -> SimpleNamespace:
    """City A with a coordinator, an editor-less member and a trainer's cohort; city B with
    the victim; an administrator."""
    city_a = make_municipality(app, "Colombo")
    city_b = make_municipality(app, "Jaffna")
    world = SimpleNamespace(
        city_a=city_a,
        city_b=city_b,
        admin=make_user(app, "admin@example.org", role=SiteRole.ADMIN),
        coordinator=make_user(
            app,
            "coordinator@example.org",
            municipality_id=city_a,
            municipal_role=MunicipalRole.COORDINATOR,
        ),
        member=make_user(
            app, "member@example.org", municipality_id=city_a, municipal_role=MunicipalRole.VIEWER
        ),
        trainer=make_user(app, "trainer@example.org", role=SiteRole.TRAINER),
        victim=make_user(
            app, "victim@example.org", municipality_id=city_b, municipal_role=MunicipalRole.EDITOR
        ),
    )
    with app.app_context():
        module = next(m for m in catalog().modules() if m.quiz and m.reflection)
        trainer = db.session.get(User, world.trainer)
        cohort = cohorts.create_cohort(trainer, name="Cohort X", module_keys=[module.key])
        db.session.add(
            CohortMember(cohort_id=cohort.id, user_id=world.coordinator, municipality_id=city_a)
        )
        db.session.commit()
        world.cohort, world.join_code = cohort.id, cohort.join_code
        world.guide, world.module = module.guide_slug, module.slug
        world.sections = [section.slug for section in catalog().worksheets]
    return world


def snapshot() -> dict[str, dict[tuple, dict]]:
    """table -> primary key -> row, for every table but the ignored ones."""
    tables = {}
    for table in db.metadata.sorted_tables:
        if table.name in IGNORED_TABLES:
            continue
        keys = [column.name for column in table.primary_key.columns]
        rows = db.session.execute(select(table)).mappings()
        tables[table.name] = {tuple(row[k] for k in keys): dict(row) for row in rows}
    db.session.rollback()
    return tables


def targets(form, page_url: str) -> set[str]:
    """Where a form posts: its action (the page itself if none) and its autosave address."""
    return {form.get("action") or page_url, form.get("data-autosave") or ""}


def form_fields(page, page_url: str, action: str, wanted=()) -> dict[str, str]:
    """The values a browser would send for the form posting to `action`, hidden ones included."""
    forms = [
        f
        for f in soup(page).find_all("form")
        if action in targets(f, page_url)
        or (action.endswith("/attempt") and (f.get("action") or "").startswith(action[:-7]))
    ]
    # Two forms may post to one address (a person's role, their membership): take the one
    # that has the fields the case fills.
    forms = [f for f in forms if all(f.find(attrs={"name": n}) for n in wanted)]
    assert forms, f"no form posts to {action}"
    form = forms[0]
    data: dict[str, str] = {}
    for element in form.find_all(["input", "select", "textarea", "button"]):
        name = element.get("name")
        if not name or name in data:
            continue
        kind = element.get("type", "text")
        if element.name == "select":
            options = element.find_all("option")
            chosen = next((o for o in options if o.has_attr("selected")), None)
            chosen = chosen or next((o for o in options if o.get("value")), None)
            if chosen is not None:
                data[name] = chosen.get("value", "")
        elif element.name == "textarea":
            data[name] = element.get_text()
        elif (
            kind in ("radio", "checkbox") and len(form.find_all("input", attrs={"name": name})) > 1
        ):
            # a choice among options: the checked one, or the first as a person would pick
            checked = form.find("input", attrs={"name": name, "checked": True})
            data[name] = (checked or element).get("value", "")
        elif kind == "radio":
            checked = form.find("input", attrs={"name": name, "checked": True})
            data[name] = (checked or element).get("value", "")
        elif kind == "checkbox":
            if element.has_attr("checked"):
                data[name] = element.get("value", "y")
        elif kind in ("submit", "button") or element.name == "button":
            if name == "submit" or name.endswith("-submit"):  # not the row buttons
                data[name] = element.get("value", "")
        elif kind != "file":
            data[name] = element.get("value", "")
    return data


@dataclass
class Case:
    name: str
    principal: str
    page: str
    action: str
    data: dict = field(default_factory=dict)
    may_update: set = field(default_factory=set)  # "table.column"
    may_insert: set = field(default_factory=set)  # table names
    may_delete: set = field(default_factory=set)


def cases(world) -> list[Case]:
    a, cohort = world.city_a, world.cohort
    section, other_section = world.sections[0], world.sections[-1]
    module = f"/guides/{world.guide}/{world.module}"
    worksheet = f"/cities/{a}/strategy/{section}"
    audit = {"audit_event"}
    saved = {"worksheet.data", "worksheet.version", "worksheet.updated_at"}
    saved |= {"worksheet.updated_by_id"}
    return [
        Case("profile", "member", "/account", "/account", {"name": "Asha P."}, {"user.name"}),
        Case(
            "email change",
            "member",
            "/account/email",
            "/account/email",
            {"email": "asha.new@example.org", "password": PASSWORD},
            {"user.email"},
        ),
        Case(
            "password",
            "member",
            "/account/password",
            "/account/password",
            {
                "current": PASSWORD,
                "password": "a much longer passphrase for asha",
                "confirm": "a much longer passphrase for asha",
            },
            {"user.password_hash", "user.password_changed_at"},
        ),
        Case(
            "language",
            "member",
            "/account",
            "/language",
            {"lang": "ar"},
            {"user.locale"},
        ),
        Case(
            "admin person",
            "admin",
            f"/admin/people/{world.member}",
            f"/admin/people/{world.member}",
            {"user-site_role": "trainer", "user-active": "y"},
            {"user.site_role"},
        ),
        Case(
            "admin membership",
            "admin",
            f"/admin/people/{world.member}",
            f"/admin/people/{world.member}",
            {"membership-municipality": str(a), "membership-role": "editor"},
            {"membership.role"},
        ),
        Case(
            "new municipality",
            "admin",
            "/admin/municipalities/new",
            "/admin/municipalities/new",
            {"name": "Galle", "country": "LK", "region": "South Asia"},
            may_insert={"municipality"},
        ),
        Case(
            "edit municipality",
            "admin",
            f"/admin/municipalities/{a}/edit",
            f"/admin/municipalities/{a}/edit",
            {"name": "Colombo 2"},
            {"municipality.name"},
        ),
        Case(
            "admin invitation",
            "admin",
            "/admin/invitations",
            "/admin/invitations",
            {"email": "new@example.org", "municipality": str(a), "municipal_role": "viewer"},
            may_insert={"invitation"},
        ),
        Case(
            "team invitation",
            "coordinator",
            f"/cities/{a}",
            f"/cities/{a}",
            {"email": "newer@example.org", "role": "viewer"},
            may_insert={"invitation"},
        ),
        Case(
            "cohort create",
            "trainer",
            "/cohorts/new",
            "/cohorts/new",
            {"name": "Cohort N", "module_keys": f"{world.guide}/{world.module}"},
            may_insert={"cohort", "cohort_trainer", "cohort_module"},
        ),
        Case(
            "cohort edit",
            "trainer",
            f"/cohorts/{cohort}/edit",
            f"/cohorts/{cohort}/edit",
            {"name": "Cohort X2", "description": "Renamed"},
            {"cohort.name", "cohort.description"},
        ),
        Case("cohort code", "member", "/join", "/join", {"code": world.join_code}),
        Case(
            "cohort join",
            "member",
            f"/join/{world.join_code}",
            f"/join/{world.join_code}",
            {"municipality": str(a)},
            may_insert={"cohort_member"},
        ),
        Case(
            "worksheet save",
            "coordinator",
            worksheet,
            worksheet,
            {},
            saved,
            {"worksheet_revision"} | audit,
        ),
        Case(
            "worksheet save, base version 99",
            "coordinator",
            worksheet,
            worksheet,
            # An unknown base counts as empty: fields differing from the stored text conflict;
            # the re-sent unchanged text merges into an ordinary save at the next version.
            {"base_version": "99"},
            saved,
            {"worksheet_revision", "worksheet_draft"} | audit,
        ),
        Case(
            "worksheet autosave",
            "coordinator",
            f"/cities/{a}/strategy/{other_section}",
            f"/cities/{a}/strategy/{other_section}/autosave",
            {},
            saved,
            {"worksheet_revision"} | audit,
        ),
        Case(
            "strategy status",
            "coordinator",
            f"/cities/{a}/strategy",
            f"/cities/{a}/strategy/status",
            {"status": "in_review"},
            {"strategy.status", "strategy.status_changed_at"},
            audit,
        ),
        Case(
            "strategy share",
            "coordinator",
            f"/cities/{a}/strategy",
            f"/cities/{a}/strategy/share",
            {"cohort": str(cohort), "shared": "y"},
            may_insert={"cohort_share"} | audit,
        ),
        Case(
            "notes",
            "member",
            module,
            f"{module}/notes",
            {"note1": "My note"},
            may_insert={"reflection_note"},
        ),
        Case(
            "readiness",
            "member",
            "/readiness",
            "/readiness",
            {},
            may_insert={"readiness_assessment"},
        ),
        Case(
            "quiz submit",
            "member",
            f"{module}/quiz",
            f"{module}/quiz/attempt",
            {},
            {f"quiz_attempt.{c}" for c in ("submitted_at", "score", "answers", "correct_count")}
            | {"quiz_attempt.passed"},
            {"module_progress"},
        ),
    ]


def extras(world) -> dict[str, str]:
    """Protected column names, each pointing at something the person must not reach."""
    return {
        "municipality_id": str(world.city_b),
        "version": "99",
        "role": "admin",
        "site_role": "admin",
        "user_id": str(world.victim),
        "status": "adopted",
        "active": "",
        "author_id": str(world.victim),
        "id": "9999",
        "created_by_id": str(world.victim),
        "updated_by_id": str(world.victim),
        "strategy_id": "9999",
        "worksheet_id": "9999",
        "cohort_id": "9999",
    }


def forbidden_values(world) -> dict[str, set]:
    """Column -> values that no changed or new row may hold after a tampered post."""
    victim, city_b = world.victim, world.city_b
    people = {"user_id", "author_id", "actor_id", "created_by_id", "updated_by_id"}
    return {
        **{column: {victim} for column in people | {"shared_by_id"}},
        "municipality_id": {city_b},
        "version": {99},
        "site_role": {"admin"},
        "role": {"admin"},
        "status": {"adopted"},
        "id": {9999},
        "strategy_id": {9999},
        "worksheet_id": {9999},
        "cohort_id": {9999},
    }


def judge(case: Case, before, after, forbidden) -> list[str]:
    faults = []
    for table, rows in after.items():
        old_rows = before.get(table, {})
        for key, row in rows.items():
            old = old_rows.get(key)
            if old is None:
                if table not in case.may_insert:
                    faults.append(f"new {table} row {row}")
                changed = set(row)
            else:
                changed = {c for c in row if row[c] != old[c]}
                for column in changed - case.may_update:
                    if f"{table}.{column}" not in case.may_update:
                        faults.append(
                            f"{table}.{column} changed: {old[column]!r} -> {row[column]!r}"
                        )
            for column in changed:
                if row[column] in forbidden.get(column, ()):
                    faults.append(f"{table}.{column} = injected {row[column]!r}")
        for key in set(old_rows) - set(rows):
            if table not in case.may_delete:
                faults.append(f"{table} row {key} deleted")
    return faults


def test_no_form_accepts_extra_or_tampered_fields(app):
    """T-AC-5: every form posted with extra protected-column fields and tampered hidden ones."""
    world = build_world(app)
    injected = extras(world)
    forbidden = forbidden_values(world)
    clients = {}
    for principal in ("admin", "coordinator", "member", "trainer"):
        clients[principal] = app.test_client()
        login(clients[principal], f"{principal}@example.org")
    all_cases = cases(world)
    accepted, idle, sent, took_effect = [], [], 0, 0
    for case in all_cases:
        client = clients[case.principal]
        page = client.get(case.page)
        assert page.status_code == 200, (case.name, page.status_code)
        data = form_fields(page, case.page, case.action, case.data)
        data.update(case.data)
        action = case.action
        if action.endswith("/attempt"):
            action = next(
                f.get("action")
                for f in soup(page).find_all("form")
                if (f.get("action") or "").startswith(action[:-7])
            )
        added = {k: v for k, v in injected.items() if k not in data}
        sent += len(added)
        with app.app_context():
            before = snapshot()
        response = client.post(action, data={**data, **added})
        assert response.status_code in (200, 302, 409), (case.name, response.status_code)
        with app.app_context():
            after = snapshot()
            faults = judge(case, before, after, forbidden)
        took_effect += before != after
        if before == after:
            idle.append(f"{case.name} ({response.status_code})")
        accepted += [f"{case.name}: {fault}" for fault in faults]
    print(
        f"\nT-AC-5: {len(all_cases)} forms x {len(injected)} extra fields ({sent} sent), "
        f"{took_effect} forms saved their own fields; {len(accepted)} accepted"
    )
    assert accepted == [], "\n".join(accepted)
    # Every form but the cohort code lookup (it only redirects) must have stored its own
    # fields, else nothing was tested.
    assert took_effect >= len(all_cases) - 1, idle


def test_the_judge_sees_a_protected_column_change():
    world = SimpleNamespace(victim=7, city_b=2)
    case = Case("profile", "member", "/account", "/account", may_update={"user.name"})
    before = {"user": {(1,): {"id": 1, "name": "A", "site_role": "member"}}}
    after = {"user": {(1,): {"id": 1, "name": "B", "site_role": "admin"}}}
    faults = judge(case, before, after, forbidden_values(world))
    assert faults == [
        "user.site_role changed: 'member' -> 'admin'",
        "user.site_role = injected 'admin'",
    ]
    after = {"user": {**before["user"], (2,): {"id": 2, "user_id": 7}}}
    assert len(judge(case, before, after, forbidden_values(world))) == 2
