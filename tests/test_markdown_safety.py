"""T-XSS-3: whatever Markdown the guides (or a translation of them) hold, the rendered HTML
has no script, no event handler attribute and no javascript:/vbscript:/file: link.

Random Markdown is built from block and inline syntax, hostile link targets and the T-XSS-1
payloads; a translation may itself be hostile. The fixed examples (raw HTML, a javascript:
link) and the guide check that refuses raw HTML blocks are in tests/test_content.py.
"""

from __future__ import annotations

import re
from importlib.util import find_spec

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.content.render import ALLOWED_TAGS, render_markdown
from tests.test_xss_corpus import PAYLOADS

PARSER = "html5lib" if find_spec("html5lib") else "html.parser"
EXAMPLES = 500

TARGETS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "%6Aavascript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "file:///etc/passwd",
    "FILE://c:/windows/win.ini",
    "data:text/html,<script>alert(1)</script>",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "//evil.example/x",
    "https://example.org/a?b=c&d=e",
    "mailto:someone@example.org",
    "#anchor",
    "relative/page",
    'x" onmouseover="alert(1)',
    "x' onerror='alert(1)",
    "<javascript:alert(1)>",
]

fragments = st.sampled_from([p.text for p in PAYLOADS])
targets = st.sampled_from(TARGETS)
words = st.text(min_size=0, max_size=12)


@st.composite
def inline(draw):
    kind = draw(st.integers(0, 9))
    text = draw(words | fragments)
    target = draw(targets | fragments)
    title = draw(st.sampled_from(["", ' "t"', " 'x\" onclick=\"a()'", ' "<script>"']))
    return [
        text,
        f"[{text}]({target}{title})",
        f"![{text}]({target}{title})",
        f"<{target}>",
        f"*{text}* **{draw(fragments)}**",
        f"`{text}`",
        f"[{text}][ref]",
        f"{text}\\\n{draw(fragments)}",
        draw(fragments),
        f"<{draw(words)} on{draw(words)}={target}>",
    ][kind]


@st.composite
def block(draw):
    body = " ".join(draw(st.lists(inline(), min_size=1, max_size=4)))
    kind = draw(st.integers(0, 10))
    return [
        body,
        f"## {body}",
        f"- {body}\n- {draw(inline())}",
        f"3. {body}",
        f"> {body}",
        f"```{draw(words)}\n{body}\n```",
        f"    {body}",
        f"| {body} | b |\n|---|---|\n| {draw(inline())} | c |",
        f'[ref]: {draw(targets)} "{draw(words)}"',
        f"<div>\n{body}\n</div>",
        f"<script>{body}</script>\n\n{body}",
    ][kind]


markdown_documents = st.lists(block(), min_size=1, max_size=5).map("\n\n".join)

SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
UNSAFE_SCHEMES = {"javascript", "vbscript", "file", "data"}


def problems_in(html: str) -> list[str]:
    found = []
    if "<script" in html.lower():
        found.append("<script")
    page = BeautifulSoup(html, PARSER)
    for element in page.find_all(True):
        if element.name not in ALLOWED_TAGS | {"html", "head", "body"}:
            found.append(f"<{element.name}>")
        for name, value in element.attrs.items():
            if name.lower().startswith("on"):
                found.append(f"{name}= on <{element.name}>")
            if name in ("href", "src"):
                # What a browser would see: control characters and whitespace dropped.
                squeezed = re.sub(r"[\x00-\x20]", "", str(value))
                scheme = SCHEME.match(squeezed)
                if scheme and scheme.group(1).lower() in UNSAFE_SCHEMES:
                    found.append(f"{name}={value!r}")
    return found


def test_rendered_markdown_is_never_unsafe():
    examples, unsafe = [], []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        markdown=markdown_documents,
        translation=st.none() | markdown_documents,
        fallback=st.sampled_from([None, "en"]),
    )
    def render(markdown, translation, fallback):
        # A hostile translation replaces some blocks; the others fall back to the source.
        def translate(text):
            return translation if translation and len(text) % 2 else text

        html = render_markdown(markdown, translate, fallback)
        examples.append(markdown)
        found = problems_in(html)
        if found:
            unsafe.append((markdown, found))

    render()
    print(f"\nT-XSS-3: {len(examples)} hypothesis examples; {len(unsafe)} unsafe outputs")
    assert len(examples) >= EXAMPLES
    assert unsafe == [], unsafe[:3]


def test_the_check_finds_unsafe_html():
    """The property can fail: unsafe HTML is reported, safe HTML is not."""
    assert problems_in('<p><a href="https://example.org">ok</a></p>') == []
    assert problems_in("<SCRIPT>x</SCRIPT>")
    assert problems_in('<p onclick="x()">a</p>')
    assert problems_in('<a href=" java\tscript:alert(1)">a</a>')
    assert problems_in('<a href="&#106;avascript:x()">a</a>')
    assert problems_in('<a href="FILE:///etc/passwd">a</a>')
    assert problems_in('<img src="x">')
