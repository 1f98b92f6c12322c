"""One-line, human reasons for failed downloads.

A person reading a cron mail or `tidings status` should see "HTTP 503 from
https://example.org/news (Retry-After: 120)", not a Twisted traceback.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotSupported,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as twisted_error
from twisted.python.failure import Failure
from twisted.web.client import ResponseNeverReceived  # public home of twisted.web._newclient's exception

from scraper.browser_steps import TIMEOUT_META, BrowserStepError, first_line

from scraper.text import one_line


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc or url
    except ValueError:
        return url


def describe_failure(failure: Failure, request: Request, *, max_bytes: int | None = None) -> str:
    """One line saying why `request` failed, safe to print and store.

    `max_bytes` is the size limit in force: Scrapy cancels a body that grows
    past it without saying why, so any cancelled download under a limit is
    reported as too large.  Headers and exception texts quoted in it come
    from the network: `one_line` strips every control character from them.
    """
    return one_line(_describe(failure, request, max_bytes))


# Client errors a later request may not get: 404 (a listing often links a release before its
# page is up, or while a cache still lacks it), 408 Request Timeout, 425 Too Early, 429 Too Many Requests.
PASSING_CLIENT_ERRORS = frozenset({404, 408, 425, 429})


def lasting_failure(failure: Failure, request: Request, *, max_bytes: int | None = None) -> bool:
    """Whether `request` failed with the page's lasting answer, which asking again would only repeat.

    Lasting: an HTTP client error (4xx) other than `PASSING_CLIENT_ERRORS`
    (410 Gone, 401, 403, 451...), a redirect to a scheme never fetched, a
    scheme never fetched, robots.txt forbidding it, a response larger than
    `max_bytes`.  Everything else may pass: server errors (5xx), timeouts,
    refused or broken connections, DNS failures, a browser that gave up.
    """
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        if 300 <= status < 400:  # a redirect Scrapy would not follow: lasting when it leaves http(s)
            refused = _unfollowed_redirect(exc.response)
            return refused is not None and refused.endswith("only http and https are fetched")
        return 400 <= status < 500 and status not in PASSING_CLIENT_ERRORS
    if failure.check(UnsupportedURLSchemeError, NotSupported):
        return True
    if failure.check(DownloadCancelledError):
        return _cancelled_for_size(exc, request, max_bytes)
    if failure.check(IgnoreRequest):
        return _ignored_because(str(exc)) in ("too large", "robots.txt")
    return False


def _cancelled_for_size(exc: BaseException, request: Request, max_bytes: int | None) -> bool:
    """Scrapy cancels a body that grows past the size limit without saying why: any
    cancelled download under a limit is taken as too large."""
    detail = (str(exc) or "").lower()
    return "maxsize" in detail or "max size" in detail or bool(request.meta.get("download_maxsize", max_bytes))


def _ignored_because(detail: str) -> str | None:
    """Why Scrapy dropped a request (IgnoreRequest), from its message."""
    if "DOWNLOAD_MAXSIZE" in detail and "decompress" in detail:  # a small gzip body that inflates past the limit
        return "too large"
    if "robots.txt" in detail.lower():
        return "robots.txt"
    if "redirect" in detail.lower():
        return "redirects"
    return None


def _describe(failure: Failure, request: Request, max_bytes: int | None) -> str:
    url = request.url
    exc = failure.value
    if isinstance(exc, BrowserStepError):
        return str(exc)
    if type(exc).__module__.startswith("playwright."):
        return _browser_failure(exc, request)
    if failure.check(HttpError):
        response = exc.response
        refused = _unfollowed_redirect(response)
        if refused:
            return refused
        text = f"HTTP {response.status} from {response.url}"
        retry_after = response.headers.get(b"Retry-After")
        if retry_after:
            text += f" (Retry-After: {retry_after.decode('latin-1')})"
        return text
    if failure.check(CannotResolveHostError, twisted_error.DNSLookupError):
        return f"DNS lookup failed for {_host(url)}"
    if failure.check(DownloadConnectionRefusedError, twisted_error.ConnectionRefusedError):
        return f"connection refused by {_host(url)}"
    if failure.check(DownloadTimeoutError, twisted_error.TimeoutError, twisted_error.TCPTimedOutError):
        timeout = request.meta.get("download_timeout")
        within = f" within {timeout:g} s" if isinstance(timeout, (int, float)) else ""
        return f"timed out: no complete response from {url}{within}"
    if failure.check(DownloadCancelledError):
        maxsize = request.meta.get("download_maxsize", max_bytes)
        if _cancelled_for_size(exc, request, max_bytes):
            return too_large(url, maxsize)
        return f"download of {url} cancelled: {str(exc) or 'download cancelled'}"
    if failure.check(UnsupportedURLSchemeError, NotSupported):
        return f"refused to fetch {url}: only http and https are fetched"
    if failure.check(IgnoreRequest):
        detail = str(exc)
        because = _ignored_because(detail)
        if because == "too large":
            return too_large(url, request.meta.get("download_maxsize", max_bytes), " once decompressed")
        if because == "robots.txt":
            return f"forbidden by robots.txt: {url}"
        if because == "redirects":
            return f"too many redirects from {url} ({detail})"
        return f"request to {url} dropped: {detail or type(exc).__name__}"
    if failure.check(ResponseDataLossError, ResponseNeverReceived, DownloadFailedError):
        reasons = _reasons(exc)
        if any(_unparsable(r) for r in reasons):  # no status line: HTTP/0.9, or not HTTP at all
            return f"not a valid HTTP response from {_host(url)} (no HTTP/1.x status line: HTTP/0.9 or another protocol)"
        return f"connection to {_host(url)} broke before the response was complete ({_inner(exc, reasons)})"
    if failure.check(twisted_error.ConnectError, twisted_error.ConnectionLost, twisted_error.ConnectionDone):
        return f"cannot connect to {_host(url)} ({_short(exc)})"
    return f"{type(exc).__name__} fetching {url}: {_short(exc)}"


def _browser_failure(exc: BaseException, request: Request) -> str:
    """A Playwright error (the page did not load, the browser went away) in one line."""
    budget = request.meta.get(TIMEOUT_META)
    if type(exc).__name__ == "TimeoutError" and isinstance(budget, (int, float)):
        return f"browser: the page did not load within {budget:g} s at {request.url}"
    return f"browser: {first_line(exc)} at {request.url}"


def _reasons(exc: BaseException) -> list[BaseException]:
    """The exceptions a Twisted wrapper (ResponseFailed, ResponseNeverReceived) carries as Failures,
    whose repr ("[<twisted.python.failure.Failure ...>]") is no reason for a person."""
    found = []
    for link in (exc, exc.__cause__):  # Scrapy re-raises them as DownloadFailedError(str(e)) from e
        for reason in getattr(link, "reasons", None) or ():
            found.append(reason.value if isinstance(reason, Failure) else reason)
    return [r for r in found if isinstance(r, BaseException)]


def _unparsable(exc: BaseException) -> bool:
    """Twisted's "this is no HTTP/1.x response" (ParseError, BadResponseVersion), known by
    name: twisted.web._newclient is private and twisted.web.client does not re-export them."""
    return type(exc).__name__ in ("ParseError", "BadResponseVersion") and "twisted" in type(exc).__module__


def _inner(exc: BaseException, reasons: list[BaseException]) -> str:
    """What went wrong, in words: the wrapped exceptions' own, never a repr of Failure objects."""
    if not reasons:
        return _short(exc)
    return "; ".join(dict.fromkeys(_short(r) for r in reasons))


def refused_refresh(url: str, target: str | None) -> str | None:
    """Why a page's <meta http-equiv=refresh> to `target` was not followed: Scrapy's
    middleware leaves one to another scheme (file:, ftp:) alone, and the page it
    leaves would otherwise be blamed on the selectors ("no items found")."""
    if not target:
        return None
    try:
        scheme = urlsplit(urljoin(url, target.strip())).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme in ("http", "https"):
        return None
    return f"{url} refreshes to {_clip(target)}: only http and https are fetched"


def too_large(url: str, maxsize: int | None, how: str = "") -> str:
    """The reason of a crawl whose page is larger than max_bytes (`how`: " once decompressed", ...)."""
    limit = f" = {maxsize} bytes" if maxsize else ""
    return f"response from {url} is larger than the size limit (max_bytes{limit}){how}: download stopped"


def _unfollowed_redirect(response) -> str | None:
    """Why a redirect was not followed: Scrapy hands back the 3xx response
    itself when the Location is not http(s), which would read "HTTP 302"."""
    location = response.headers.get(b"Location")
    if not (300 <= response.status < 400 and location):
        return None
    target = " ".join(location.decode("latin-1").split())
    try:
        target = urljoin(response.url, target)
        scheme = urlsplit(target).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme in ("http", "https"):
        return f"HTTP {response.status} from {response.url}: redirect to {_clip(target)} not followed"
    return f"{response.url} redirected to {_clip(target)}: only http and https are fetched"


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _short(exc: BaseException) -> str:
    """An exception's own words, cut to 200 characters; a Twisted wrapper's are those it wraps."""
    reasons = _reasons(exc)
    if reasons:
        return _inner(exc, reasons)
    text = " ".join(str(exc).split())
    return (text[:200] + "…") if len(text) > 200 else (text or type(exc).__name__)
