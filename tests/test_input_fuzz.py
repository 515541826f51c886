"""T-IN-1: worksheet saves fuzzed from the section definitions (form post and JSON autosave).

Bodies are built from the real guides' worksheet definitions, with out-of-range choices,
over-length text, too many table rows, wrong types, repeated keys, invalid UTF-8, huge numbers
and missing fields. Nothing may answer 500, nothing invalid may be stored, and every refusal
carries a message in the person's language. The validator below reads the definitions only:
it shares no code with the application's forms.
"""

from collections import Counter
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.config import PROJECT_ROOT
from app.content import catalog
from app.extensions import db, limiter
from app.models import MunicipalRole, User, Worksheet, WorksheetDraft, WorksheetRevision
from app.strategy import service
from tests.helpers import csrf_token, login, make_municipality, make_user, soup

EXAMPLES = 300  # per route
LOCALES = ("en", "ar", "bn")
SCRIPTS = {"ar": ("\u0600", "\u06ff"), "bn": ("\u0980", "\u09ff")}
INVALID_UTF8 = (b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe2\x82", b"\xf8\x88\x80\x80\x80", b"\x80")
HUGE_NUMBERS = ("9" * 30, "-" + "9" * 25, "1e999", "NaN", "Infinity", "-0", "1" * 5000)


# -- The validator: what the definition allows, written from the definition alone ----------


def valid_value(field, value) -> bool:
    kind = field.type
    if kind in ("short_text", "long_text"):
        return isinstance(value, str) and len(value) <= field.max_length and _encodable(value)
    if kind == "choice":
        return value == "" or value in {option.id for option in field.options}
    if kind == "multi_choice":
        ids = {option.id for option in field.options}
        return (
            isinstance(value, list)
            and all(isinstance(item, str) and item in ids for item in value)
            and len(set(value)) == len(value)
        )
    if kind == "rating":
        return value is None or (type(value) is int and 1 <= value <= 5)
    columns = {column.id: column for column in field.columns}
    return (
        isinstance(value, list)
        and len(value) <= field.max_rows
        and all(
            isinstance(row, dict)
            and set(row) <= set(columns)
            and all(valid_value(columns[key], cell) for key, cell in row.items())
            for row in value
        )
    )


def valid_section(spec, data) -> bool:
    fields = {field.id: field for field in spec.fields}
    return (
        isinstance(data, dict)
        and set(data) <= set(fields)
        and all(valid_value(fields[key], value) for key, value in data.items())
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- Strategies generated from the definitions ---------------------------------------------

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


def _utf8(strategy):
    return strategy.map(lambda text: text.encode("utf-8"))


def broken_utf8():
    return st.tuples(any_text, st.sampled_from(INVALID_UTF8), any_text).map(
        lambda parts: parts[0].encode() + parts[1] + parts[2].encode()
    )


def wrong_scalars():
    """Values no field of any type accepts as they are (or accepts only by luck)."""
    return st.one_of(
        broken_utf8(),
        _utf8(st.sampled_from(HUGE_NUMBERS)),
        _utf8(st.integers(min_value=10**15, max_value=10**60).map(str)),
        _utf8(any_text),
    )


def text_values(field):
    limit = field.max_length
    over = st.tuples(
        st.sampled_from(["x", "é", "ب", "ক", "😀", " ", "\r\n"]),
        st.integers(min_value=limit + 1, max_value=limit + 40),
    ).map(lambda pair: (pair[0] * (pair[1] // len(pair[0]) + 1)).encode())
    valid = _utf8(st.text(st.characters(exclude_categories=("Cs",)), max_size=min(limit, 60)))
    return st.one_of(valid, over, wrong_scalars())


def choice_values(field):
    ids = [option.id for option in field.options]
    near_misses = [f" {ids[0]}", ids[0].upper(), ids[0] + "\n", ids[0] + "x", "0", "-1"]
    return st.one_of(
        _utf8(st.sampled_from(["", *ids])),
        _utf8(st.sampled_from(near_misses)),
        wrong_scalars(),
    )


def rating_values(field):
    near_misses = ["0", "6", "-1", "3.0", " 3", "٣", "³", "1_0", "+5"]
    return st.one_of(
        _utf8(st.sampled_from(["", "1", "2", "3", "4", "5"])),
        _utf8(st.sampled_from(near_misses)),
        wrong_scalars(),
    )


def scalar_values(field):
    return {
        "short_text": text_values,
        "long_text": text_values,
        "choice": choice_values,
        "multi_choice": choice_values,
        "rating": rating_values,
    }[field.type](field)


def valid_values(field):
    """The values a person can send with the page as it is: a list, since a multiple choice
    sends one value per ticked box."""
    if field.type in ("short_text", "long_text"):
        text = st.text(
            st.characters(exclude_categories=("Cs",)), max_size=min(field.max_length, 60)
        )
        return text.map(lambda value: [value.encode()])
    if field.type == "multi_choice":
        ids = [option.id for option in field.options]
        return st.lists(st.sampled_from(ids), unique=True).map(lambda v: [i.encode() for i in v])
    if field.type == "choice":
        choices = ["", *(option.id for option in field.options)]
    else:
        choices = ["", "1", "2", "3", "4", "5"]
    return st.sampled_from(choices).map(lambda value: [value.encode()])


@st.composite
def field_pairs(draw, field, name, bad):
    """(key, raw value) pairs for one field: valid or missing, or (if bad) invalid, repeated."""
    if field.type == "table":
        return draw(table_pairs(field, name, bad))
    if not bad:
        if draw(st.integers(0, 9)) == 0:
            return []  # a missing field
        return [(name, value) for value in draw(valid_values(field))]
    if field.type == "multi_choice" and draw(st.booleans()):
        # Ticked boxes sent twice: every value is an option, but the choice repeats.
        ticked = [option.id.encode() for option in field.options[:2]]
        return [(name, value) for value in ticked + ticked]
    # A list where a scalar belongs, a multiple choice with strangers, or one value.
    values = draw(st.lists(scalar_values(field), min_size=1, max_size=3))
    return [(name, value) for value in values]


@st.composite
def table_pairs(draw, field, name, bad):
    shape = "rows"
    if bad:
        shape = draw(st.sampled_from(["bad cells", "bad cells", "too many rows", "odd keys"]))
    if shape == "too many rows":
        column = field.columns[0]
        return [
            (f"{name}-{index}-{column.id}", f"row {index}".encode())
            for index in range(field.max_rows + draw(st.integers(1, 3)))
        ]
    if shape == "odd keys":
        index = draw(st.sampled_from(["x", "-1", "9" * 30, "٣", ""]))
        column = draw(st.sampled_from([c.id for c in field.columns] + ["not_a_column"]))
        return [(f"{name}-{index}-{column}", draw(wrong_scalars())), (name, b"scalar")]
    rows = draw(st.integers(1 if bad else 0, 3))
    spoilt = draw(st.sampled_from(field.columns)).id if bad else None
    pairs = []
    for index in range(rows):
        for column in field.columns:
            key = f"{name}-{index}-{column.id}"
            pairs += draw(field_pairs(column, key, column.id == spoilt and index == rows - 1))
    return pairs


@st.composite
def submissions(draw, spec, table_ids, autosave):
    """The whole body: fields (none, one or two of them bad), the hidden version and save id,
    maybe a row button, extra fields no form has."""
    bad = set()
    if draw(st.integers(0, 2)):
        bad = draw(st.sets(st.sampled_from([field.id for field in spec.fields]), max_size=2))
    pairs = []
    for field in spec.fields:
        pairs += draw(field_pairs(field, field.id, field.id in bad))
    # The hidden fields are mostly what the page sends, so that saves go through too.
    version, save_id = "current", "fresh"
    if draw(st.integers(0, 4)) == 0:
        version = draw(
            st.sampled_from(["stale", "missing", "abc", "-1", "1.5", "٣", " ", *HUGE_NUMBERS])
        )
    if draw(st.integers(0, 4)) == 0:
        save_id = draw(
            st.sampled_from(["missing", "repeat", "a\x00b", "x" * 200])
            | st.text(min_size=65, max_size=120)
        )
    if not autosave and table_ids and draw(st.integers(0, 5)) == 0:
        table = draw(st.sampled_from(table_ids))
        action = draw(
            st.sampled_from(
                [
                    f"add:{table}",
                    f"remove:{table}:0",
                    f"down:{table}:0",
                    f"up:{table}:²",
                    f"remove:{table}:" + "9" * 5000,
                    "add:not_a_table",
                    "remove",
                ]
            )
        )
        pairs.append(("row_action", action.encode()))
    if draw(st.booleans()):
        pairs.append(("municipality_id", b"999"))
        pairs.append(("version", b"12345"))
    return pairs, version, save_id


def encode(pairs) -> bytes:
    return b"&".join(
        quote_from_bytes(key.encode()).encode() + b"=" + quote_from_bytes(value).encode()
        for key, value in pairs
    )


# -- The test -------------------------------------------------------------------------------


@pytest.fixture
def workspace(app_factory):
    """The real guides' sections, one city and one signed-in editor, built once per test."""
    app = app_factory(GUIDES_DIR=str(PROJECT_ROOT / "guides"), PROPAGATE_EXCEPTIONS=False)
    city = make_municipality(app)
    editor_id = make_user(
        app, "editor@example.org", municipality_id=city, municipal_role=MunicipalRole.EDITOR
    )
    client = app.test_client()
    assert login(client, "editor@example.org").status_code == 302
    with app.app_context():
        sections = [(sheet.slug, sheet.spec) for sheet in catalog().worksheets]
        strategy = service.strategy_of(city)
        worksheet_ids = {slug: service.worksheet_of(strategy, slug).id for slug, _spec in sections}
        db.session.commit()
    token = csrf_token(client, f"/cities/{city}/strategy/{sections[0][0]}")
    return app, client, city, editor_id, sections, worksheet_ids, token


def stored(app, worksheet_id):
    with app.app_context():
        sheet = db.session.get(Worksheet, worksheet_id)
        revisions = db.session.scalar(
            select(func.count()).where(WorksheetRevision.worksheet_id == worksheet_id)
        )
        newest = db.session.execute(
            select(WorksheetRevision.data)
            .where(WorksheetRevision.worksheet_id == worksheet_id)
            .order_by(WorksheetRevision.version.desc())
            .limit(1)
        ).scalar_one_or_none()
        drafts = list(
            db.session.execute(
                select(WorksheetDraft.data).where(WorksheetDraft.worksheet_id == worksheet_id)
            ).scalars()
        )
        db.session.remove()
        return sheet.version, sheet.data, revisions, newest, drafts


def set_locale(app, user_id, locale):
    with app.app_context():
        db.session.get(User, user_id).locale = locale
        db.session.commit()
        db.session.remove()


def messages_of(response, autosave) -> list[str]:
    """The texts that tell the person why nothing was saved. (Notices flashed by an earlier
    example's save, never shown since the redirect is not followed, are left out.)"""
    if autosave and response.is_json:
        return [response.json.get("message", "")]
    page = soup(response)
    form = page.select_one("form.worksheet")
    if form is None:
        heading = page.find("h1")  # the error page
        return [heading.get_text(" ", strip=True)] if heading else []
    summary = form.find_previous_sibling()
    texts = [summary.get_text(" ", strip=True)] if summary.get("role") == "alert" else []
    texts += [element.get_text(" ", strip=True) for element in page.select(".errors li")]
    return [text for text in texts if text]


def in_locale(text: str, locale: str) -> bool:
    if locale == "en":
        return bool(text)
    low, high = SCRIPTS[locale]
    return any(low <= character <= high for character in text)


@pytest.mark.parametrize("route", ["form", "autosave"])
def test_worksheet_saves_survive_fuzzed_input(workspace, route):
    """T-IN-1."""
    app, client, city, editor_id, sections, worksheet_ids, token = workspace
    autosave = route == "autosave"
    allowed = {200, 400, 409, 413} if autosave else {200, 302, 400, 413}
    figures = Counter()
    state = {"locale": None, "saves": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def example(data):
        slug, spec = data.draw(st.sampled_from(sections), label="section")
        locale = data.draw(st.sampled_from(LOCALES), label="locale")
        tables = [field.id for field in spec.fields if field.type == "table"]
        pairs, version, save_id = data.draw(submissions(spec, tables, autosave), label="body")
        if locale != state["locale"]:
            set_locale(app, editor_id, locale)
            state["locale"] = locale
        limiter.reset()
        worksheet_id = worksheet_ids[slug]
        before = stored(app, worksheet_id)
        current = before[0]
        hidden = {
            "current": str(current),
            "stale": str(max(current - 1, 0)),
            "missing": None,
        }.get(version, version)
        if hidden is not None:
            pairs = [*pairs, ("base_version", hidden.encode())]
        state["saves"] += 1
        ids = {"fresh": f"fuzz-{route}-{state['saves']}", "missing": None, "repeat": "fuzz-1"}
        chosen_id = ids.get(save_id, save_id)
        if chosen_id is not None:
            pairs = [*pairs, ("save_id", chosen_id.encode("utf-8", "surrogatepass"))]
        url = f"/cities/{city}/strategy/{slug}" + ("/autosave" if autosave else "")
        response = client.post(
            url,
            data=encode([("csrf_token", token.encode()), *pairs]),
            content_type="application/x-www-form-urlencoded",
        )
        figures["examples"] += 1
        figures[f"status {response.status_code}"] += 1
        assert response.status_code != 500, "a 500"
        assert response.status_code in allowed, response.status_code
        after = stored(app, worksheet_id)
        version_after, data_after, revisions_after, newest, drafts = after
        assert valid_section(spec, data_after), ("invalid value stored", data_after)
        assert newest is None or valid_section(spec, newest), ("invalid revision", newest)
        assert all(valid_section(spec, draft) for draft in drafts), ("invalid draft", drafts)
        if response.status_code in (400, 413):
            figures["rejections"] += 1
            assert after[:3] == before[:3], "a refused save changed the worksheet"
            messages = messages_of(response, autosave)
            assert messages, "a refusal without a message"
            wrong = [text for text in messages if not in_locale(text, locale)]
            assert wrong == [], (locale, wrong)
            figures[f"rejections in {locale}"] += 1

    example()
    assert figures["examples"] >= EXAMPLES * 0.9
    assert figures["rejections"] > 0 and figures["status 400"] > 0
    assert figures[f"status {302 if not autosave else 200}"] > 0  # some saves went through
    print(
        f"\nT-IN-1 ({route}): {figures['examples']} examples; 0 500s; 0 invalid values "
        f"persisted; {figures['rejections']} rejections, all with a message "
        f"(ar {figures['rejections in ar']}, bn {figures['rejections in bn']}, "
        f"en {figures['rejections in en']}); statuses "
        + ", ".join(f"{k[7:]}: {v}" for k, v in sorted(figures.items()) if k.startswith("status"))
    )


def test_a_save_id_already_used_in_another_section_is_saved_not_refused(workspace):
    """Found by T-IN-1 on PostgreSQL: the unique save id made the second section's save a 500."""
    app, client, city, _editor, sections, _ids, token = workspace
    for slug, _spec in sections[:2]:
        response = client.post(
            f"/cities/{city}/strategy/{slug}/autosave",
            data={"csrf_token": token, "base_version": "0", "save_id": "same-id"},
        )
        assert (response.status_code, response.json["status"]) == (200, "saved"), slug
