"""Downloader middlewares of the Tidings Scrapy project."""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.http import Response
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


class RedirectCookiesMiddleware:
    """The cookies a redirect sets, sent on along that redirect, and nowhere else.

    Cookies are off (scraper.settings): a monitor keeps no sessions.  But some
    sites answer a first visit with a cookie and a redirect to the same page,
    and answer a visit without the cookie with the same redirect again: with
    no cookies at all that is a redirect loop, and the source fails where a
    browser passes.  Here a 3xx response's cookies go with the redirected
    request (Scrapy's redirect middleware drops them when the redirect leaves
    the host or goes from https to http); no jar outlives the redirect chain.
    Runs just before that middleware sees the response.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if 300 <= response.status < 400 and b"Set-Cookie" in response.headers:
            cookies = dict(_cookie_pairs(request.headers.get(b"Cookie", b"").decode("latin-1"), sep=";"))
            for line in response.headers.getlist(b"Set-Cookie"):
                _set_cookie(cookies, line.decode("latin-1"), secure_ok=request.url.startswith("https:"))
            if cookies:
                request.headers[b"Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
            else:
                request.headers.pop(b"Cookie", None)
        return response


def _cookie_pairs(text: str, sep: str):
    for part in text.split(sep):
        name, eq, value = part.strip().partition("=")
        if name and eq:
            yield name.strip(), value.strip()


def _set_cookie(cookies: dict, line: str, *, secure_ok: bool) -> None:
    """Apply one Set-Cookie header line to `cookies` (name -> value)."""
    pair, _, attributes = line.partition(";")
    found = list(_cookie_pairs(pair, sep=";"))
    if not found:
        return
    name, value = found[0]
    attrs = {k.strip().lower(): v.strip() for k, _, v in (a.partition("=") for a in attributes.split(";"))}
    max_age = attrs.get("max-age", "")
    expired = max_age.lstrip("-").isdigit() and int(max_age) <= 0
    if expired or ("secure" in attrs and not secure_ok):
        cookies.pop(name, None)
        return
    cookies[name] = value


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
