"""Every public page renders for an anonymous visitor."""

from tests.helpers import soup


def test_home_lists_the_guides(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Demo" in response.get_data(as_text=True)


def test_guide_module_and_step_pages_render_with_navigation(client):
    assert client.get("/guides/demo").status_code == 200
    module = client.get("/guides/demo/intro")
    assert module.status_code == 200
    assert "Do a thing" in module.get_data(as_text=True)
    first = client.get("/guides/demo/intro/first")
    page = soup(first)
    assert page.find("a", rel="next")["href"] == "/guides/demo/intro/second"
    assert page.find("a", rel="prev") is None
    assert "<strong>world</strong>" in first.get_data(as_text=True)
    second = soup(client.get("/guides/demo/intro/second"))
    assert second.find("a", rel="prev")["href"] == "/guides/demo/intro/first"


def test_unknown_guide_module_or_step_is_404(client):
    for url in ("/guides/nope", "/guides/demo/nope", "/guides/demo/intro/nope"):
        assert client.get(url).status_code == 404


def test_glossary_lists_terms_with_links_to_modules(client):
    page = soup(client.get("/glossary"))
    assert page.find("dt", id="prevention").get_text(strip=True) == "Prevention"
    assert page.select_one("dd a")["href"] == "/guides/demo/intro"
