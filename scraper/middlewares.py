"""Downloader middlewares of the Tidings Scrapy project."""

from __future__ import annotations

import logging
import time
from email.utils import mktime_tz, parsedate_tz
from http.cookies import CookieError, Morsel, SimpleCookie

from scrapy import Request, signals
from scrapy.http import Response
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.utils.httpobj import urlparse_cached


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

    Set-Cookie lines are read by the standard library's `http.cookies`, which
    keeps a quoted value whole (`pref="a;b"`), and a cookie expired by
    `Max-Age` or by an `Expires` in the past is deleted, not sent on.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if 300 <= response.status < 400 and b"Set-Cookie" in response.headers:
            jar = _cookies_carried(request)
            secure_ok = request.url.startswith("https:")
            now = time.time()
            for line in response.headers.getlist(b"Set-Cookie"):
                _set_cookie(jar, line.decode("latin-1"), secure_ok=secure_ok, now=now)
            request.meta[_REDIRECT_COOKIES] = jar
            if jar:
                request.headers[b"Cookie"] = "; ".join(f"{m.key}={m.coded_value}" for m in jar.values())
            else:
                request.headers.pop(b"Cookie", None)
        return response


_REDIRECT_COOKIES = "tidings_redirect_cookies"  # request.meta key: the chain's cookies, copied along with meta


def _cookies_carried(request: Request) -> SimpleCookie:
    """A copy of the cookies `request` carries from earlier redirects of its chain.

    Only while it still has the Cookie header they were sent in: where Scrapy's
    redirect middleware dropped that header (another host, https to http),
    the cookies stay behind with it.
    """
    jar = SimpleCookie()
    if b"Cookie" in request.headers:
        jar.update(request.meta.get(_REDIRECT_COOKIES) or {})
    return jar


def _set_cookie(jar: SimpleCookie, line: str, *, secure_ok: bool, now: float) -> None:
    """Apply one Set-Cookie header line to `jar`; a line `http.cookies` cannot read is ignored."""
    parsed = SimpleCookie()
    try:
        parsed.load(line)
    except CookieError:
        return
    morsel = next(iter(parsed.values()), None)  # one line sets one cookie
    if morsel is None:
        return
    if _expired(morsel, now) or (morsel["secure"] and not secure_ok):
        jar.pop(morsel.key, None)
    else:
        jar[morsel.key] = morsel


def _expired(morsel: Morsel, now: float) -> bool:
    """Whether the cookie is deleted: Max-Age wins over Expires (RFC 6265 5.3)."""
    max_age = str(morsel["max-age"]).strip()
    if max_age:
        try:
            return int(max_age) <= 0
        except ValueError:
            pass  # an unreadable Max-Age is ignored
    expires = parsedate_tz(morsel["expires"]) if morsel["expires"] else None
    return expires is not None and mktime_tz(expires) <= now


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's, with every request that waits for robots.txt checked against it.

    In Scrapy 2.15 to 2.19 the requests waiting for a host's robots.txt all
    await one Deferred through `asFuture()`, whose callback swallows the
    result: the first waiter gets the parsed robots.txt, every later one gets
    None and goes through unchecked.  With several sources on one site (a
    news and a press-release listing, say) all but two would ignore
    robots.txt.  (The change that brought it: scrapy/scrapy#6802, whose
    author noted the waiting path is not covered by Scrapy's tests.)

    Public hooks only: the `robots_parsed` signal (Scrapy 2.18) says which
    parser a host got, and a waiter handed None by Scrapy gets that parser.
    A host whose robots.txt failed never sends the signal, so its waiters
    still get None (allowed), as in Scrapy.  Once Scrapy hands every waiter
    the parser, the fallback is simply never taken.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self._parsed: dict[str, object] = {}  # netloc -> the robots.txt parser Scrapy built for it
        crawler.signals.connect(self._remember_parser, signal=signals.robots_parsed)
        _ROBOTS_LOG.addFilter(_one_line)  # idempotent: a filter object is added once
        # Host -> the download_timeout of the request that made us fetch its robots.txt.
        self._robots_timeouts: dict[str, float] = {}

    async def process_request(self, request: Request, spider=None) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            self._bound(request)
            return None
        return await super().process_request(request)

    def _bound(self, request: Request) -> None:
        """robots.txt gets the timeout of the source that asked for it, and no retry:
        Scrapy's request carries neither, so a silent server held a source for
        DOWNLOAD_TIMEOUT twice (60 s) whatever the source's `timeout`."""
        url = urlparse_cached(request)
        timeout = self._robots_timeouts.get(url.netloc)
        if url.path == "/robots.txt" and timeout is not None:
            request.meta["download_timeout"] = timeout
            request.meta["dont_retry"] = True

    def _remember_parser(self, robotparser, request: Request, **_) -> None:
        self._parsed[urlparse_cached(request).netloc] = robotparser

    async def robot_parser(self, request):
        netloc = urlparse_cached(request).netloc
        if request.meta.get("download_timeout") is not None:  # the first asker's: it triggers the fetch
            self._robots_timeouts.setdefault(netloc, request.meta["download_timeout"])
        parser = await super().robot_parser(request)
        if parser is None:
            parser = self._parsed.get(netloc)
        return parser


_ROBOTS_LOG = logging.getLogger(ScrapyRobotsTxtMiddleware.__module__)


def _one_line(record: logging.LogRecord) -> bool:
    """An unreachable host's robots.txt is an expected failure: its message
    ("Error downloading <GET ...>: DNS lookup failed ...") says all, so
    `scrapy crawl` prints it as one line, not with two chained tracebacks."""
    record.exc_info = None
    record.exc_text = None
    return True
