"""Downloader middlewares of the Tidings Scrapy project."""

from __future__ import annotations

from scrapy import Request


class RobotsTxtSlotMiddleware:
    """Fetch robots.txt in a download slot of its own.

    Scrapy fetches robots.txt through the host's slot, so the per-host delay
    falls between robots.txt and the first page: a one-page run would wait a
    whole `delay` for nothing.  The page still waits for robots.txt to be
    parsed, and every later page of the host keeps the delay.
    """

    def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            request.meta.setdefault("download_slot", f"{request.url}#robots")
        return None
