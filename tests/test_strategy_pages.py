"""The workspace pages: who sees what, saving by form, conflicts, rows without JavaScript."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import MunicipalRole, SiteRole, Worksheet, WorksheetRevision
from tests.helpers import csrf_token, login, make_municipality, make_user, soup, text_of


@pytest.fixture
def city(app):
    return make_municipality(app, "Mardan", "PK")


def member(app, city, email, role):
    make_user(app, email, municipality_id=city, municipal_role=role)
    client = app.test_client()
    login(client, email)
    return client


def form_of(client, url, response=None):
    """The worksheet form's values as a browser would send them (from a page already shown)."""
    page = soup(response if response is not None else client.get(url))
    form = page.find("form", class_="worksheet")
    data = {}
    for element in form.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not name or element.get("type") in ("submit", "radio", "checkbox"):
            continue
        if element.name == "textarea":
            data[name] = element.get_text()
        elif element.name == "select":
            chosen = element.find("option", selected=True)
            data[name] = chosen["value"] if chosen else ""
        else:
            data[name] = element.get("value", "")
    return data


def test_workspace_routes_answer_404_to_other_cities_members_and_outsiders(app, city):
    other_city = make_municipality(app, "Peshawar", "PK")
    outsider = member(app, other_city, "outsider@example.org", MunicipalRole.COORDINATOR)
    trainer = app.test_client()
    make_user(app, "trainer@example.org", role=SiteRole.TRAINER)
    login(trainer, "trainer@example.org")
    base = f"/cities/{city}/strategy"
    for client in (outsider, trainer):
        for url in (
            base,
            f"{base}/context",
            f"{base}/context/history",
            f"{base}/audit",
            f"{base}/context/resolve",
        ):
            assert client.get(url).status_code == 404, url
        token = csrf_token(client)
        for url in (
            f"{base}/context",
            f"{base}/context/autosave",
            f"{base}/status",
            f"{base}/context/restore/1",
        ):
            assert client.post(url, data={"csrf_token": token}).status_code == 404, url


def test_editor_saves_a_section_and_a_viewer_reads_it(app, city):
    editor = member(app, city, "editor@example.org", MunicipalRole.EDITOR)
    url = f"/cities/{city}/strategy/context"
    data = form_of(editor, url)
    data.update(
        {
            "notes": "Flooding displaced 300 families",
            "kind": "city",
            "trust": "4",
            "levels": ["primary"],
        }
    )
    response = editor.post(url, data=data)
    assert response.status_code == 302
    viewer = member(app, city, "viewer@example.org", MunicipalRole.VIEWER)
    page = viewer.get(url)
    assert "Flooding displaced 300 families" in text_of(page)
    assert soup(page).find("form", class_="worksheet") is None
    assert viewer.post(url, data={"csrf_token": csrf_token(viewer)}).status_code == 403
    overview = text_of(viewer.get(f"/cities/{city}/strategy"))
    assert "4 of 6 fields filled" in overview


def test_stale_form_submit_shows_both_texts_and_nothing_is_lost(app, city):
    first = member(app, city, "first@example.org", MunicipalRole.EDITOR)
    second = member(app, city, "second@example.org", MunicipalRole.EDITOR)
    url = f"/cities/{city}/strategy/context"
    mine, theirs = form_of(first, url), form_of(second, url)
    first.post(url, data={**mine, "notes": "First editor's words"})
    response = second.post(
        url, data={**theirs, "notes": "Second editor's words", "summary": "kept"}
    )
    assert response.headers["Location"].endswith("/context/resolve")
    page = second.get(response.headers["Location"])
    assert "First editor's words" in text_of(page) and "Second editor's words" in text_of(page)
    form = soup(page).select_one("main form")
    choice = {
        "csrf_token": form.find("input", attrs={"name": "csrf_token"})["value"],
        "base_version": form.find("input", attrs={"name": "base_version"})["value"],
        "keep_notes": "mine",
    }
    second.post(response.headers["Location"], data=choice)
    with app.app_context():
        sheet = db.session.execute(select(Worksheet)).scalar_one()
        assert sheet.data["notes"] == "Second editor's words" and sheet.data["summary"] == "kept"
        assert sheet.version == 2


def test_rows_are_added_moved_and_removed_without_javascript(app, city):
    editor = member(app, city, "editor@example.org", MunicipalRole.EDITOR)
    url = f"/cities/{city}/strategy/context"
    data = form_of(editor, url)
    page = editor.post(url, data={**data, "row_action": "add:actions"})
    data = {**data, "actions-0-action": "Meet youth groups", "actions-0-status": "planned"}
    page = editor.post(url, data={**data, "row_action": "add:actions"})
    assert soup(page).find("input", attrs={"name": "actions-1-action"}) is not None
    data["actions-1-action"] = "Open a dialogue"
    data["actions-1-status"] = "done"
    page = editor.post(url, data={**data, "row_action": "up:actions:1"})
    assert (
        soup(page).find("input", attrs={"name": "actions-0-action"})["value"] == "Open a dialogue"
    )
    with app.app_context():
        assert db.session.execute(select(WorksheetRevision)).first() is None  # not saved yet
    moved = {
        **data,
        "actions-0-action": "Open a dialogue",
        "actions-0-status": "done",
        "actions-1-action": "Meet youth groups",
        "actions-1-status": "planned",
    }
    editor.post(url, data=moved)
    with app.app_context():
        rows = db.session.execute(select(Worksheet)).scalar_one().data["actions"]
    assert [row["action"] for row in rows] == ["Open a dialogue", "Meet youth groups"]


def test_over_long_text_is_refused_with_a_message_and_kept(app, city):
    editor = member(app, city, "editor@example.org", MunicipalRole.EDITOR)
    url = f"/cities/{city}/strategy/context"
    data = {**form_of(editor, url), "summary": "x" * 60, "notes": "keep me"}
    response = editor.post(url, data=data)
    assert response.status_code == 400
    assert "at most 50 characters" in text_of(response)
    assert soup(response).find("textarea", attrs={"name": "notes"}).get_text().strip() == "keep me"


def test_script_in_a_field_is_inert_on_the_page(app, city):
    editor = member(app, city, "editor@example.org", MunicipalRole.EDITOR)
    url = f"/cities/{city}/strategy/context"
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    editor.post(url, data={**form_of(editor, url), "notes": payload})
    viewer = member(app, city, "viewer@example.org", MunicipalRole.VIEWER)
    html = viewer.get(url).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_autosave_answers_in_json_and_retries_are_idempotent(app, city):
    editor = member(app, city, "editor@example.org", MunicipalRole.EDITOR)
    url = f"/cities/{city}/strategy/context"
    data = {**form_of(editor, url), "notes": "typed"}
    token = data["csrf_token"]
    first = editor.post(url + "/autosave", data=data, headers={"X-CSRFToken": token})
    again = editor.post(url + "/autosave", data=data, headers={"X-CSRFToken": token})
    assert first.json["status"] == again.json["status"] == "saved"
    assert first.json["version"] == again.json["version"] == 1
    following = editor.post(
        url + "/autosave",
        headers={"X-CSRFToken": token},
        data={**data, "notes": "more", "save_id": "x2", "base_version": "1"},
    )
    assert (following.json["status"], following.json["version"]) == ("saved", 2)
    stale = editor.post(
        url + "/autosave",
        headers={"X-CSRFToken": token},
        data={**data, "notes": "other", "save_id": "x3", "base_version": "1"},
    )
    assert stale.status_code == 409 and stale.json["status"] == "conflict"
    with app.app_context():
        assert len(db.session.execute(select(WorksheetRevision)).all()) == 2


def test_a_stale_autosave_is_refused_not_merged_so_the_page_cannot_undo_others_work(app, city):
    """Merging a stale autosave on the server left the page holding old copies of the other
    fields; its next autosave, on the new version, silently put them back (found by the
    mixed-load bench). A stale autosave is answered 409 and the person's Save merges instead."""
    first = member(app, city, "first@example.org", MunicipalRole.EDITOR)
    second = member(app, city, "second@example.org", MunicipalRole.EDITOR)
    url = f"/cities/{city}/strategy/context"
    mine, theirs = form_of(first, url), form_of(second, url)
    saved = first.post(
        url + "/autosave",
        data={**mine, "notes": "A first"},
        headers={"X-CSRFToken": mine["csrf_token"]},
    )
    assert saved.json["status"] == "saved"
    stale = second.post(
        url + "/autosave",
        data={**theirs, "summary": "B second"},
        headers={"X-CSRFToken": theirs["csrf_token"]},
    )
    assert stale.status_code == 409
    with app.app_context():
        assert db.session.execute(select(Worksheet)).scalar_one().data["notes"] == "A first"
    # The page's Save (the same form, posted) merges the two edits field by field.
    merged = second.post(url, data={**theirs, "summary": "B second"}, follow_redirects=True)
    assert merged.status_code == 200
    with app.app_context():
        data = db.session.execute(select(Worksheet)).scalar_one().data
    assert (data["notes"], data["summary"]) == ("A first", "B second")


def test_coordinator_changes_status_and_sees_the_audit_trail(app, city):
    coordinator = member(app, city, "coord@example.org", MunicipalRole.COORDINATOR)
    editor = member(app, city, "editor@example.org", MunicipalRole.EDITOR)
    base = f"/cities/{city}/strategy"
    token = csrf_token(editor, base)
    assert (
        editor.post(base + "/status", data={"csrf_token": token, "status": "adopted"}).status_code
        == 403
    )
    assert editor.get(base + "/audit").status_code == 404
    coordinator.post(
        base + "/status", data={"csrf_token": csrf_token(coordinator, base), "status": "in_review"}
    )
    assert "Status: In review" in text_of(coordinator.get(base))
    assert "changed the status" in text_of(coordinator.get(base + "/audit"))


def test_history_compares_and_restores(app, city):
    editor = member(app, city, "editor@example.org", MunicipalRole.EDITOR)
    url = f"/cities/{city}/strategy/context"
    editor.post(url, data={**form_of(editor, url), "notes": "one"})
    editor.post(url, data={**form_of(editor, url), "notes": "two"})
    compare = text_of(editor.get(url + "/history?a=1&b=2"))
    assert "one" in compare and "two" in compare
    editor.post(url + "/restore/1", data={"csrf_token": csrf_token(editor, url)})
    with app.app_context():
        assert db.session.execute(select(Worksheet)).scalar_one().data["notes"] == "one"


def test_module_links_each_section_it_feeds_to_the_members_workspace(app, city):
    editor = member(app, city, "editor@example.org", MunicipalRole.EDITOR)
    page = soup(editor.get("/guides/demo/intro"))
    assert f"/cities/{city}/strategy/context" in [a["href"] for a in page.find_all("a")]
    section = soup(editor.get(f"/cities/{city}/strategy/context"))
    assert "/guides/demo/intro" in [a["href"] for a in section.find_all("a")]


def test_text_typed_when_the_session_ended_comes_back_after_signing_in(app, city):
    from datetime import timedelta

    import time_machine

    from app.models.base import utcnow

    make_user(app, "editor@example.org", municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    editor = app.test_client()
    url = f"/cities/{city}/strategy/context"
    start = utcnow()
    with time_machine.travel(start, tick=False):
        login(editor, "editor@example.org")
        data = form_of(editor, url)
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        response = editor.post(url, data={**data, "notes": "Typed during a long meeting"})
        assert response.headers["Location"].startswith("/login"), response.headers["Location"]
        assert "nothing was saved yet" in text_of(editor.get(response.headers["Location"]))
        signed_in = login(editor, "editor@example.org")
        assert signed_in.status_code == 302, text_of(signed_in)
        page = editor.get(url)
        assert (
            soup(page).find("textarea", attrs={"name": "notes"}).get_text().strip()
            == "Typed during a long meeting"
        )
        with app.app_context():
            assert db.session.execute(select(WorksheetRevision)).first() is None
        editor.post(url, data=form_of(editor, url, page))
    with app.app_context():
        assert (
            db.session.execute(select(Worksheet)).scalar_one().data["notes"]
            == "Typed during a long meeting"
        )


def test_a_cross_site_post_cannot_plant_text_in_a_form(app, city):
    make_user(app, "editor@example.org", municipality_id=city, municipal_role=MunicipalRole.EDITOR)
    editor = app.test_client()
    login(editor, "editor@example.org")
    url = f"/cities/{city}/strategy/context"
    response = editor.post(
        url, data={"notes": "planted"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 400
    assert "planted" not in editor.get(url).get_data(as_text=True)
