"""The download handler of a crawl with sources rendered in a browser: scrapy-playwright's, shared.

Scrapy builds one download handler per URL scheme.  scrapy-playwright's
handler starts a Playwright driver as the engine starts and launches its own
browser on its first page, so naming it for http and https (as its README
does) gave a run two drivers and, with an http and an https browser source,
two Chromiums.  This subclass is built once per crawler and serves both
schemes: one driver and one browser per run, closed once.

scrapy-playwright also makes the engine wait for its driver to start before
the first request of the crawl goes out: seconds on a busy machine
(bench/browser_handler.py) that every HTTP source of the run waited too.
Here the driver starts in the background and only requests rendered in the
browser wait for it; if it cannot start, those requests fail and the rest
of the crawl goes on.  That overrides two private methods (there is no
public hook, scrapy-playwright 0.0.48); without them this handler falls
back to scrapy-playwright's own behaviour.

Imported only through the setting `scraper.browser.browser_settings` names:
importing it imports Playwright.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from weakref import WeakKeyDictionary

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from scraper.browser import INSTALL_HINT
from scraper.browser_steps import BrowserStepError, first_line

_BACKGROUND_START = all(
    hasattr(ScrapyPlaywrightDownloadHandler, name) for name in ("_maybe_launch_in_thread", "_download_request")
)


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, one per crawler whatever the number of schemes it serves."""

    _per_crawler: "WeakKeyDictionary[Crawler, BrowserDownloadHandler]" = WeakKeyDictionary()

    def __init__(self, crawler: Crawler) -> None:
        self._started: asyncio.Future | None = None
        self._closing: asyncio.Future | None = None
        super().__init__(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BrowserDownloadHandler":
        handler = cls._per_crawler.get(crawler)
        if handler is None:
            handler = cls._per_crawler[crawler] = cls(crawler)
        return handler

    if _BACKGROUND_START:

        async def _maybe_launch_in_thread(self) -> None:
            """On engine start: start the driver, without holding up the crawl's first requests."""
            self._started = asyncio.ensure_future(super()._maybe_launch_in_thread())

        async def _download_request(self, request: Request, spider: Spider | None = None) -> Response:
            if self._started is not None:
                await asyncio.shield(self._started)
            return await super()._download_request(request, spider)

    if hasattr(ScrapyPlaywrightDownloadHandler, "_maybe_launch_browser"):

        async def _maybe_launch_browser(self) -> None:
            """Launch the browser; one that cannot start fails its requests with one clear line.

            Playwright says only "BrowserType.launch: Target page, context or
            browser has been closed" (with a call log) for an executable that
            is not Chromium or dies at once.
            """
            try:
                await super()._maybe_launch_browser()
            except Exception as exc:  # noqa: BLE001 - any launch failure, said in one line
                executable = self.config.launch_options.get("executable_path") or "Playwright's Chromium"
                reason = first_line(exc).removeprefix("BrowserType.launch: ")
                raise BrowserStepError(f"browser: {executable} could not be started ({reason}): {INSTALL_HINT}") from None

    async def close(self) -> None:
        """Close the browser and the driver once, however many schemes this handler served."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close_once())
        await asyncio.shield(self._closing)

    async def _close_once(self) -> None:
        if self._started is not None:
            with suppress(Exception):  # a driver that failed to start failed its requests already
                await self._started
        await super().close()
