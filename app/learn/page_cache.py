"""Rendered guide pages for visitors who are not signed in, kept per language and address.

Most readers open steps without an account, often on slow connections; for them a step page
is the same for everyone who reads it in the same language, so it is rendered once per
process. Guide content is loaded at start-up, so a page never goes stale while the process
lives. Signed-in pages (with their form tokens and progress) are always rendered afresh, and
so is any page with a message to show or a query string (which would make the keys unbounded).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app, render_template, request, session
from flask_login import current_user

from app.i18n import select_locale


class PageCache:
    """A small least-recently-used store of rendered pages (or documents), safe across
    threads."""

    def __init__(self, size: int):
        self.size = size
        self._pages: OrderedDict[tuple[str, str], str | bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> str | bytes | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[str, str], page: str | bytes) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def init_app(app) -> None:
    app.extensions["page_cache"] = PageCache(app.config["PUBLIC_PAGE_CACHE_SIZE"])
    app.extensions["pdf_cache"] = PageCache(app.config["PDF_CACHE_SIZE"])


def _cacheable() -> bool:
    return (
        current_app.extensions["page_cache"].size > 0
        and not current_user.is_authenticated
        and not request.query_string
        and "_flashes" not in session
    )


def render_public(template: str, **context) -> str:
    """render_template, served from the cache where the page is the same for every visitor."""
    if not _cacheable():
        return render_template(template, **context)
    cache: PageCache = current_app.extensions["page_cache"]
    key = (select_locale(), request.path)
    page = cache.get(key)
    if page is None:
        page = render_template(template, **context)
        cache.put(key, page)
    return page
