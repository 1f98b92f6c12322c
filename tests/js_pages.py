"""The script-built listings of tests/js_site/, served by the tests' local `Site`.

Each page is a shell that its script fills with news cards (`article.card`,
a headline link and a date) from the JSON API below: the whole list at once,
or four at a time for "load more" and infinite scroll.  What a test expects
is what `listed` says is in the API at the time.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from tests.helpers import Page, Site
from tests.pages import Item, seed_items

JS_SITE = Path(__file__).parent / "js_site"
PER_PAGE = 4
SHELLS = ("json", "slow", "timer", "more", "scroll", "consent", "broken", "partial", "busy", "spin", "stuck")


class JsSite:
    """The pages of tests/js_site/ and their JSON API over `site`; `items` may change between crawls."""

    def __init__(self, site: Site, items: list[Item] | None = None, slow: float = 1.5) -> None:
        self.site = site
        self.items = list(seed_items() if items is None else items)
        self.slow = slow  # seconds /api/slow-news.json takes to answer
        self.hold = threading.Event()  # /api/stuck.js answers only once set (never, in a test)
        site.pages["/cards.js"] = Page((JS_SITE / "cards.js").read_text(encoding="utf-8"),
                                       headers={"Content-Type": "text/javascript"})
        for name in SHELLS:
            site.pages[f"/{name}.html"] = Page((JS_SITE / f"{name}.html").read_text(encoding="utf-8"))
        site.pages["/api/news.json"] = self._all
        site.pages["/api/slow-news.json"] = self._slow
        for n in range(1, 10):
            site.pages[f"/api/news?page={n}"] = self._paged(n)
        site.pages["/api/ping"] = Page("pong", headers={"Content-Type": "text/plain"})
        site.pages["/api/stuck.js"] = self._stuck

    def url(self, shell: str) -> str:
        return self.site.url(f"/{shell}.html")

    def listed(self, count: int | None = None) -> list[tuple[str, str]]:
        """(headline, absolute link) of the first `count` items, as the page lists them."""
        return [(i.headline, self.site.url(i.path)) for i in self.items[:count]]

    def _records(self, items: list[Item]) -> list[dict]:
        return [{"headline": i.headline, "path": i.path, "date": i.date} for i in items]

    def _answer(self, handler, payload) -> None:
        body = json.dumps(payload).encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _all(self, handler) -> None:
        self._answer(handler, self._records(self.items))

    def _slow(self, handler) -> None:
        time.sleep(self.slow)
        self._all(handler)

    def _paged(self, n: int):
        def answer(handler) -> None:
            start = (n - 1) * PER_PAGE
            chunk = self.items[start:start + PER_PAGE]
            self._answer(handler, {"items": self._records(chunk), "more": start + PER_PAGE < len(self.items)})

        return answer

    def _stuck(self, handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/javascript")
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        handler.wfile.write(b"// ")
        handler.wfile.flush()
        self.hold.wait(120)
