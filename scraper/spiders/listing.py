"""The one generic spider: crawls each listing of its plan, page by page.

It yields one `SourceCrawl` per source, after the source's last page (or
its first error), so the archive records a source's crawl whole.  Run by
`tidings run`, or by hand: `scrapy crawl listing -a source=NAME`.  What it
crawls comes from the crawler's settings (scraper.plan).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.utils.response import get_meta_refresh
from twisted.python.failure import Failure

from scraper.browser import use_browser
from scraper.browser_steps import browser_meta
from scraper.encoding import decode_html
from scraper.errors import describe_failure, refused_refresh, too_large
from scraper.extract import Extraction, extract
from scraper.follow import article_request, articles_due, failed_article, fetched_article, warm_up
from scraper.items import ArticleTarget, SourceCrawl, utc_now
from scraper.plan import CrawlPlan, ListingSource, PlanError, crawl_plan, renders_in_browser
from scraper.script_built import looks_script_built
from scraper.selectors import SelectorError, Selectors
from scraper.text import one_line

# Per-page detail (INFO): shown by `tidings run -v`; a name outside "scrapy*",
# which Tidings' log filter keeps quiet below -vv.
page_log = logging.getLogger("tidings.pages")

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml")


class ListingSpider(scrapy.Spider):
    name = "listing"
    plan: CrawlPlan

    def __init__(self, source: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        # `-a source=A,B`: only these sources of those TIDINGS_SOURCES finds (none: all).
        self.source_names = [n for n in (source or "").split(",") if n]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "ListingSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        try:
            spider.plan = crawl_plan(crawler.settings, spider.source_names)
        except PlanError as exc:
            # `scrapy crawl listing -a source=nosuch`, or a broken configuration:
            # one line, not a traceback from deep inside Scrapy, and exit code 2
            # (a usage error, as `tidings` says it) before anything is fetched.
            print(f"scrapy crawl {cls.name}: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        sources = (*spider.plan.sources, *(job.source for job in spider.plan.articles))
        if any(renders_in_browser(source) for source in sources):
            use_browser(crawler.settings)  # settings are not frozen yet; a claim never hands out a browser source
        crawler.signals.connect(spider.follow, signal=articles_due)
        return spider

    async def start(self):
        if self.plan.articles:  # `tidings follow`: articles only
            warm_up()
        for job in self.plan.articles:
            yield self.article_request(job.source, job.target)
        # This process's own sources (all, or with `claim` those only it may crawl: rendered
        # in its browser): Scrapy takes them all at once.
        for source in self.plan.sources:
            yield self.first_request(source)
        claim = self.plan.claim
        if claim is None:
            return
        # Shared: take a source only when there is room to fetch it, so that a
        # busier process (the one that also records) takes fewer.
        while True:
            if self.crawler.engine.needs_backout():
                await self.crawler.signals.wait_for(signals.scheduler_empty)
            source = claim()
            if source is None:
                return
            yield self.first_request(source)

    def first_request(self, source: ListingSource) -> scrapy.Request:
        crawl = SourceCrawl(source=source.name, url=source.url, started=utc_now())
        request = self.page_request(source, crawl, source.url)
        if renders_in_browser(source):
            # No conditional request: a 304 would render as an empty page in the browser.
            return request
        return _conditional(request, self.plan.validators.get(source.name))

    def page_request(self, source: ListingSource, crawl: SourceCrawl, url: str) -> scrapy.Request:
        meta = {"source": source, "crawl": crawl, "download_timeout": source.timeout}
        steps = source.browser_steps if renders_in_browser(source) else None
        if steps is not None:
            # Each page its own budget and steps; robots.txt and the host's delay
            # apply to this request as to any (the page's own scripts and XHRs are the browser's).
            meta.update(browser_meta(steps))
        return scrapy.Request(url, callback=self.parse_page, errback=self.page_failed, dont_filter=True, meta=meta)

    def parse_page(self, response: Response):
        source = response.meta["source"]
        crawl: SourceCrawl = response.meta["crawl"]
        crawl.pages += 1
        crawl.http_status = response.status
        if response.status == 304:  # only ever asked for with our validators: unchanged
            _log_page(source, crawl.pages, response, "not modified")
            crawl.not_modified = True
            crawl.validators = dict(self.plan.validators.get(source.name) or {})  # the page it confirms
            yield _finish(crawl)
            return
        rendered = "playwright" in response.flags
        if crawl.pages == 1 and not rendered:
            crawl.validators = _validators(response)
        max_bytes = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        if rendered and max_bytes and len(response.body) > max_bytes:
            # The browser knows no size limit: the rendered document is held to the same one.
            yield _finish(crawl, too_large(response.url, max_bytes, " once rendered"))
            return
        if crawl.pages > 1 and not response.body.strip():
            # A "next" link past the last page (a "load more" endpoint with
            # nothing left): the listing ends here, the pages read so far stand.
            yield _finish(crawl)
            return
        problem = _not_a_listing(response)
        if problem:
            _log_page(source, crawl.pages, response, problem)
            yield _finish(crawl, f"{problem} at {response.url}")
            return
        refused = refused_refresh(response.url, get_meta_refresh(response)[1])
        if refused:
            yield _finish(crawl, refused)
            return
        # A rendered page is text the browser decoded already (re-encoded in `response.encoding`).
        html = response.text if rendered else decode_html(response.body, response.headers.get(b"Content-Type"))
        try:
            result = extract(html, response.url, source.selectors, source.name, start_position=len(crawl.records))
        except SelectorError as exc:
            yield _finish(crawl, f"{exc} on {response.url}")
            return
        if result.problem:
            yield _finish(crawl, f"{result.problem} at {response.url}")
            return
        _log_page(source, crawl.pages, response, f"{len(result.records)} items")
        if crawl.pages == 1:
            crawl.detected = _detected(source, result, html, response.url)
            crawl.detection = _without_blocks(result.detection) if source.selectors is None and result.records else None
            if not result.records and not rendered:
                crawl.script_built = looks_script_built(html)
        seen = {r.key for r in crawl.records}
        crawl.records.extend(r for r in result.records if r.key not in seen)
        if result.next_page and crawl.pages < source.max_pages and result.next_page != response.url:
            yield self.page_request(source, crawl, result.next_page)
        else:
            yield _finish(crawl)

    # --- articles (scraper.follow) -------------------------------------------------

    def follow(self, source: ListingSource, targets: list[ArticleTarget], **_) -> None:
        """`articles_due`: fetch these items' articles in this crawl."""
        warm_up()
        for target in targets:
            self.crawler.engine.crawl(self.article_request(source, target))

    def article_request(self, source: ListingSource, target: ArticleTarget) -> scrapy.Request:
        return article_request(source, target, callback=self.parse_article, errback=self.article_failed)

    def parse_article(self, response: Response):
        yield fetched_article(response)

    def article_failed(self, failure: Failure):
        yield failed_article(failure, max_bytes=self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def page_failed(self, failure: Failure):
        request = failure.request
        crawl: SourceCrawl = request.meta["crawl"]
        response = getattr(failure.value, "response", None)
        if response is not None:
            crawl.http_status = response.status
        max_bytes = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        reason = describe_failure(failure, request, max_bytes=max_bytes)
        page_log.info("%s: page %d %s: %s", request.meta["source"].name, crawl.pages + 1, request.url, reason)
        yield _finish(crawl, reason)


def _log_page(source: ListingSource, number: int, response: Response, outcome: str) -> None:
    """One line per page fetched, for `tidings run -v` and `scrapy crawl`: what came back, how big, how fast."""
    latency = response.meta.get("download_latency")
    took = f"{latency:.2f} s" if isinstance(latency, (int, float)) else "? s"
    page_log.info("%s: page %d %s: HTTP %d, %d bytes, %s, %s", source.name, number, response.url, response.status,
                  len(response.body), outcome, took)


def _finish(crawl: SourceCrawl, error: str | None = None) -> SourceCrawl:
    crawl.error = one_line(error) if error else None  # it may quote headers: no control character survives
    crawl.finished = utc_now()
    return crawl


def _detected(source: ListingSource, result: Extraction, html: str, url: str) -> Selectors | None:
    """The selectors automatic detection used, or suggests when the configured ones found nothing."""
    if source.selectors is None:
        return result.selectors if result.records else None
    if result.records:
        return None
    suggestion = extract(html, url, None)  # the page as decoded for extraction, not re-decoded by Scrapy
    return suggestion.selectors if suggestion.records else None


def _without_blocks(detection: Any) -> Any:
    """The detection without the page's elements: a crawl outlives its page's tree
    (and may cross a process boundary), and only the selectors and verdict matter then."""
    return replace(detection, blocks=[]) if detection is not None else None


def _conditional(request: scrapy.Request, validators: Mapping[str, object] | None) -> scrapy.Request:
    """Ask for the first page only if it changed since the last good crawl.

    Only a 304 to these headers means "unchanged"; the validators are those
    stored for this very URL (a source whose URL was edited starts afresh).
    """
    if not validators or validators.get("url") != request.url:
        return request
    if validators.get("etag"):
        request.headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified") and not _within_second(validators["last_modified"], validators.get("fetched")):
        request.headers["If-Modified-Since"] = validators["last_modified"]
    if "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers:
        return request
    request.meta["handle_httpstatus_list"] = [304]
    return request


def _validators(response: Response) -> dict:
    """The page's ETag and Last-Modified, as the server sent them; a weak
    Last-Modified (RFC 9110 §8.8.2.2: not before the response's Date) is left out."""
    found = {}
    for header, key in ((b"ETag", "etag"), (b"Last-Modified", "last_modified")):
        value = response.headers.get(header)
        if value:
            found[key] = value.decode("latin-1")
    date = response.headers.get(b"Date")
    if "last_modified" in found and date and _weak(found["last_modified"], date.decode("latin-1")):
        del found["last_modified"]
    return found


def _http_date(text: str | None) -> datetime | None:
    try:
        moment = parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError, IndexError):
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def _weak(last_modified: str, date: str) -> bool:
    """Whether a Last-Modified is no earlier than the response's Date: the page
    may change again within that second without the header changing."""
    modified, answered = _http_date(last_modified), _http_date(date)
    return modified is None or (answered is not None and modified >= answered)


def _within_second(last_modified: str, fetched: object) -> bool:
    """Whether a stored Last-Modified falls within a second of when its page was
    fetched (`fetched`: our ISO time), so it may hide a change made in that second."""
    modified = _http_date(last_modified)
    if modified is None:
        return True
    if not isinstance(fetched, str):
        return False
    try:
        read = datetime.fromisoformat(fetched)
    except ValueError:
        return False
    if read.tzinfo is None:
        read = read.replace(tzinfo=timezone.utc)
    return modified > read - timedelta(seconds=1)


def _not_a_listing(response: Response) -> str | None:
    """Why a response cannot be a listing page, if it cannot."""
    if not response.body.strip():  # a broken cache or application; "no items found" would blame the selectors
        return f"empty response (HTTP {response.status}, no content)"
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
    if not isinstance(response, TextResponse):
        return f"not an HTML page (Content-Type {content_type or 'missing'})"
    if content_type and content_type not in HTML_TYPES:
        return f"not an HTML page (Content-Type {content_type})"
    return None
