"""Markdown to safe HTML, translated one block at a time.

Each inline run of a block (a paragraph, a heading, a list item, a table cell) is one gettext
message, so a partly translated step still reads: untranslated blocks stay in English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import nh3
from markdown_it import MarkdownIt

# js-default disables raw HTML and unsafe link schemes; nh3 is the second line of defence.
_markdown = MarkdownIt("js-default")

ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "code", "pre",
    "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_BLOCK = {"dir", "lang"}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    **{tag: _BLOCK for tag in ("p", "h2", "h3", "h4", "li", "th", "td")},
}


def blocks(markdown: str) -> Iterator[tuple[str, int]]:
    """Each translatable block's source text and its line (0-based) in the Markdown."""
    for token in _markdown.parse(markdown):
        if token.type == "inline" and token.content.strip():
            yield token.content, token.map[0] if token.map else 0


def render_markdown(
    markdown: str, translate: Callable[[str], str] = str, fallback_lang: str | None = None
) -> str:
    """Render Markdown, translating block by block.

    Every block gets dir="auto" so that a block left in English reads left to right inside a
    right-to-left page; with `fallback_lang`, such a block is also marked lang="en" so that
    screen readers switch voice.
    """
    tokens = _markdown.parse(markdown)
    for index, token in enumerate(tokens):
        if token.type != "inline" or not token.content.strip():
            continue
        translated = translate(token.content)
        opener = _block_opener(tokens, index)
        opener.attrSet("dir", "auto")
        if translated and translated != token.content:
            token.content = translated
            token.children = _markdown.parseInline(translated)[0].children
        elif fallback_lang:
            opener.attrSet("lang", fallback_lang)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def _block_opener(tokens, index):
    """The token that opens the block an inline run belongs to (the list item when the
    paragraph inside a tight list is not rendered)."""
    opener = tokens[index - 1]
    if opener.hidden and index >= 2:
        opener = tokens[index - 2]
    return opener
