"""Downloader middlewares of the Tidings Scrapy project."""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


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


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's, with every request that waits for robots.txt checked against it.

    In Scrapy 2.19 the requests waiting for a host's robots.txt all await
    one Deferred through `asFuture()`, whose callback swallows the result:
    the first waiter gets the parsed robots.txt, every later one gets None
    and goes through unchecked.  With several sources on one site (a news
    and a press-release listing, say) all but two would ignore robots.txt.
    Each waiter here awaits its own copy of the result instead.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        _ROBOTS_LOG.addFilter(_one_line)  # idempotent: a filter object is added once

    async def robot_parser(self, request):
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            return await maybe_deferred_to_future(_relay(pending))
        return await super().robot_parser(request)


def _relay(deferred: Deferred) -> Deferred:
    """A new Deferred with `deferred`'s result, which stays on `deferred`."""
    copy: Deferred = Deferred()

    def forward(result):
        copy.callback(result)
        return result

    deferred.addBoth(forward)
    return copy


_ROBOTS_LOG = logging.getLogger(ScrapyRobotsTxtMiddleware.__module__)


def _one_line(record: logging.LogRecord) -> bool:
    """An unreachable host's robots.txt is an expected failure: its message
    ("Error downloading <GET ...>: DNS lookup failed ...") says all, so
    `scrapy crawl` prints it as one line, not with two chained tracebacks."""
    record.exc_info = None
    record.exc_text = None
    return True
