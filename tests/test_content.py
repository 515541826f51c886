"""The content engine: validation with file:line messages, rendering, per-block translation."""

import shutil
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as MessageCatalog
from babel.messages.mofile import write_mo
from bs4 import BeautifulSoup

from app.content.loader import ContentError, load_catalog
from app.content.render import render_markdown
from app.content.translations import ContentTranslations, content_messages
from tests.conftest import FIXTURE_GUIDES, make_app

PROJECT_GUIDES = Path(__file__).parent.parent / "guides"


@pytest.fixture
def guides(tmp_path):
    target = tmp_path / "guides"
    shutil.copytree(FIXTURE_GUIDES, target)
    return target


def problems_of(folder) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_catalog(folder)
    return caught.value.problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_shipped_guides_are_valid(runner):
    result = runner.invoke(args=["guides", "check", str(PROJECT_GUIDES)])
    assert result.exit_code == 0, result.output
    assert "The guide content is valid." in result.output
    assert "quiz questions:" in result.output and "ar:" in result.output


def test_fixture_catalog_loads_into_immutable_objects(guides):
    catalog = load_catalog(guides)
    module = catalog.guide("demo").module("intro")
    assert [step.key for step in module.steps] == ["demo/intro/first", "demo/intro/second"]
    with pytest.raises(AttributeError):
        module.title = "changed"


def test_bad_yaml_is_reported_with_its_line(guides):
    edit(guides / "demo/intro/module.yaml", "minutes: 5", "minutes: [5")
    assert any(
        p.startswith("guides/demo/intro/module.yaml:") and "invalid YAML" in p
        for p in problems_of(guides)
    )


def test_missing_field_is_reported(guides):
    edit(guides / "demo/guide.yaml", "audience: Testers\n", "")
    assert "guides/demo/guide.yaml:1: audience: Field required" in problems_of(guides)


def test_wrong_type_points_at_the_line_of_the_value(guides):
    edit(guides / "demo/intro/module.yaml", "minutes: 5", "minutes: soon")
    assert any(
        p.startswith("guides/demo/intro/module.yaml:3: minutes:") for p in problems_of(guides)
    )


def test_unknown_step_and_worksheet_references_are_reported(guides):
    edit(guides / "demo/intro/module.yaml", "steps: [first, second]", "steps: [first, third]")
    edit(guides / "demo/intro/module.yaml", "[context]", "[nowhere]")
    found = problems_of(guides)
    assert any("steps: 'third' does not exist" in p for p in found)
    assert any(":6: worksheet_sections: no worksheet section 'nowhere'" in p for p in found)


def test_duplicate_slugs_are_reported(guides):
    edit(guides / "demo/intro/module.yaml", "steps: [first, second]", "steps: [first, first]")
    assert any("steps: 'first' is listed twice" in p for p in problems_of(guides))


def test_quiz_without_a_correct_answer_is_reported(guides):
    edit(guides / "demo/intro/quiz.yaml", "correct: true", "correct: false")
    found = problems_of(guides)
    assert any(
        p.startswith("guides/demo/intro/quiz.yaml:3: questions.0:") and "no correct option" in p
        for p in found
    )


def test_raw_html_in_a_step_is_reported(guides):
    step = guides / "demo/intro/second.md"
    step.write_text(step.read_text() + "\n<script>alert(1)</script>\n")
    assert any("second.md:" in p and "raw HTML" in p for p in problems_of(guides))


def test_worksheet_field_settings_must_fit_the_type(guides):
    edit(guides / "worksheets/context.yaml", "max_length: 100", "options: []")
    assert any("context.yaml" in p and "needs max_length" in p for p in problems_of(guides))


def test_guides_check_exits_non_zero_with_file_line_messages(guides, runner):
    edit(guides / "demo/intro/quiz.yaml", "pass_mark: 60", "pass_mark: 500")
    result = runner.invoke(args=["guides", "check", str(guides)])
    assert result.exit_code == 1
    assert "guides/demo/intro/quiz.yaml:1: pass_mark:" in result.output
    assert "Traceback" not in result.output


def test_app_refuses_to_start_on_invalid_content_without_a_traceback(guides, tmp_path, capsys):
    edit(guides / "demo/intro/quiz.yaml", "pass_mark: 60", "pass_mark: 500")
    with pytest.raises(SystemExit) as stopped:
        make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", GUIDES_DIR=str(guides))
    assert stopped.value.code == 1
    error = capsys.readouterr().err
    assert "guides/demo/intro/quiz.yaml:1: pass_mark:" in error
    assert "Traceback" not in error


def test_markdown_raw_html_and_script_links_are_inert():
    html = render_markdown("<img src=x onerror=alert(1)>\n\n[click](javascript:alert(1)) **ok**")
    page = BeautifulSoup(html, "html.parser")
    assert page.find("img") is None and page.find(attrs={"onerror": True}) is None
    assert not [a for a in page.find_all("a") if "javascript" in a.get("href", "")]
    assert page.find("strong").get_text() == "ok"


def test_untranslated_blocks_fall_back_to_english_one_by_one(tmp_path):
    markdown = "First paragraph.\n\nSecond **paragraph**.\n\n- an item\n- another item\n"
    folder = tmp_path / "ar" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = MessageCatalog(locale="ar", domain="guides")
    catalog.add("Second **paragraph**.", "الفقرة **الثانية**.")
    catalog.add("an item", "عنصر")
    with (folder / "guides.mo").open("wb") as handle:
        write_mo(handle, catalog)
    translations = ContentTranslations(tmp_path)
    html = render_markdown(markdown, lambda text: translations.gettext("ar", text), "en")
    page = BeautifulSoup(html, "html.parser")
    first, second = page.find_all("p")
    assert (first.get_text(), first.get("lang")) == ("First paragraph.", "en")
    assert (str(second.strong), second.get("lang")) == ("<strong>الثانية</strong>", None)
    items = [(li.get_text(), li.get("lang")) for li in page.find_all("li")]
    assert items == [("عنصر", None), ("another item", "en")]


def test_a_changed_english_block_is_untranslated_not_stale(tmp_path):
    folder = tmp_path / "bn" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = MessageCatalog(locale="bn", domain="guides")
    catalog.add("The old sentence.", "পুরোনো বাক্য।")
    with (folder / "guides.mo").open("wb") as handle:
        write_mo(handle, catalog)
    translations = ContentTranslations(tmp_path)
    html = render_markdown("The new sentence.", lambda t: translations.gettext("bn", t))
    assert BeautifulSoup(html, "html.parser").p.get_text() == "The new sentence."


def test_extraction_covers_blocks_titles_quiz_and_worksheet_labels(guides):
    ids = {message.id for message in content_messages(load_catalog(guides)) if message.id}
    assert {
        "Hello **world**.",
        "item one",
        "First",
        "one",
        "Is it?",
        "Yes.",
        "Notes",
        "Context",
        "Intro",
        "Do a thing",
    } <= ids


def test_extract_command_writes_the_template(app, runner, tmp_path):
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(tmp_path)
    result = runner.invoke(args=["guides", "extract"])
    assert result.exit_code == 0
    assert 'msgid "Hello **world**."' in (tmp_path / "guides.pot").read_text()


def test_content_left_in_english_is_marked_in_another_language(client):
    from tests.helpers import soup

    page = soup(client.get("/guides/demo/intro/first", headers={"Accept-Language": "ur"}))
    assert page.html["dir"] == "rtl"
    heading = page.find("h1")
    assert (heading["lang"], heading["dir"]) == ("en", "auto")
    paragraph = page.select_one(".prose p")
    assert (paragraph["lang"], paragraph["dir"]) == ("en", "auto")
    assert page.select_one(".prose li")["lang"] == "en"


def test_english_pages_carry_no_fallback_marks(client):
    from tests.helpers import soup

    page = soup(client.get("/guides/demo/intro/first"))
    assert not page.select(".prose [lang]") and not page.find("h1").get("lang")
