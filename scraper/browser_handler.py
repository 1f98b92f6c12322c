"""The download handler of a crawl with sources rendered in a browser: scrapy-playwright's, shared.

Scrapy builds one download handler per URL scheme.  scrapy-playwright's
handler starts a Playwright driver as the engine starts and launches its own
browser on its first page, so naming it for http and https (as its README
does) gave a run two drivers and, with an http and an https browser source,
two Chromiums.  This subclass is built once per crawler and serves both
schemes: one driver and one browser per run, closed once.

Imported only through the setting `scraper.browser.browser_settings` names:
importing it imports Playwright.
"""

from __future__ import annotations

import asyncio
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, one per crawler whatever the number of schemes it serves."""

    _per_crawler: "WeakKeyDictionary[Crawler, BrowserDownloadHandler]" = WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._closing: asyncio.Future | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BrowserDownloadHandler":
        handler = cls._per_crawler.get(crawler)
        if handler is None:
            handler = cls._per_crawler[crawler] = cls(crawler)
        return handler

    async def close(self) -> None:
        """Close the browser and the driver once, however many schemes this handler served."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(super().close())
        await asyncio.shield(self._closing)
