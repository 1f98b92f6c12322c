"""Following items to their articles, inside the listing crawl.

How the spider learns which items need their article: the component that
records a source's crawl (Tidings' archive pipeline) knows, once the
listing's transaction has committed, which items were archived for the
first time.  It sends the `articles_due` signal with the source and those
items (`ArticleTarget`s); the spider, connected to it in `from_crawler`,
schedules one request per article through the engine (`engine.crawl`), in
the same crawl, so the articles share the listing's politeness: Scrapy's
download slots (delay, per-domain concurrency, AutoThrottle), its
robots.txt middleware and DOWNLOAD_MAXSIZE, the source's timeout, and its
`render` mode: a source rendered in a browser has its articles rendered in
the crawl's one browser too (waiting until the page settles, within the
source's browser budget; the listing's own page steps, such as clicking
"load more", are for the listing, not its articles).  The
signal keeps the scraper ignorant of the archive (the pipeline is named in
the settings; it is never imported here), and a crawl without a recording
pipeline (a preview) simply follows nothing.  Sources with items waiting
from earlier runs (over `follow_limit`, or retries) get them through the
same signal; `tidings follow` hands a crawl its targets in the plan
instead (`CrawlPlan.articles`).

Article requests have a lower priority than listing pages, so every
listing is read (and its alerts queued) before articles take the slots.
Each outcome is an `ArticleFetch` item, recorded apart from the listing.

The extractors' first use costs seconds (importing trafilatura, htmldate and
py3langid, loading py3langid's model: bench/article_startup.py), which in
the reactor's thread would stall every download of the crawl.  `warm_up`
pays it in a background thread as soon as the first articles are due,
while their pages download; a crawl that follows nothing never pays it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from scraper.encoding import decode_html
from scraper.errors import describe_failure, lasting_failure
from scraper.items import ArticleFetch, ArticleTarget, utc_now

if TYPE_CHECKING:
    import scrapy
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from scraper.plan import ListingSource

# Signal: send_catch_log(articles_due, source=ListingSource, targets=[ArticleTarget, ...]).
articles_due = object()

ARTICLE_PRIORITY = -10  # below listing pages (0): listings first
HTML_TYPES = ("text/html", "application/xhtml+xml")


_WARM_UP_PAGE = ("<html lang=en><head><title>Warm-up</title></head><body><article><p>"
                 + "A sentence of a release about water cooperation in the region. " * 8
                 + "</p></article></body></html>")
_warm_up: threading.Thread | None = None


def warm_up() -> None:
    """Load the article extractors in a background thread (once per process)."""
    global _warm_up
    if _warm_up is None:
        _warm_up = threading.Thread(target=_extract_once, name="tidings-article-warm-up", daemon=True)
        _warm_up.start()


def _extract_once() -> None:
    from scraper.article import extract_article

    extract_article(_WARM_UP_PAGE, "https://example.org/warm-up")


def article_request(source: "ListingSource", target: ArticleTarget, *, callback, errback) -> "scrapy.Request":
    """The request for one item's article, with its source's timeout."""
    import scrapy

    from scraper.plan import renders_in_browser

    meta = {"source": source, "article_target": target, "download_timeout": source.timeout}
    if renders_in_browser(source):
        from scraper.browser_steps import BrowserSteps, browser_meta

        listing_steps = source.browser_steps
        meta.update(browser_meta(BrowserSteps(timeout=listing_steps.timeout if listing_steps else source.timeout)))
    return scrapy.Request(
        target.url,
        callback=callback,
        errback=errback,
        priority=ARTICLE_PRIORITY,
        dont_filter=True,  # two items may link to one page: each gets its row
        meta=meta,
    )


def fetched_article(response: "Response") -> ArticleFetch:
    """What an article response holds: the extracted article, or why there is none."""
    source, target = response.meta["source"], response.meta["article_target"]
    fetch = ArticleFetch(source=source.name, item_id=target.item_id, requested_url=target.url, fetched=utc_now(),
                         url=response.url, status=response.status)
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
    if content_type and content_type not in HTML_TYPES:
        fetch.error = f"not an HTML page (Content-Type {content_type}) at {response.url}"
        fetch.final = True  # a PDF stays a PDF: never downloaded again
        return fetch
    if not response.body.strip():
        fetch.error = f"empty response (HTTP {response.status}, no content) at {response.url}"
        return fetch
    from scraper.article import extract_article

    html = decode_html(response.body, response.headers.get(b"Content-Type"))
    try:
        fetch.article = extract_article(html, response.url, content_type=content_type or None)
    except Exception as exc:  # noqa: BLE001 - a page the extractors choke on is one failed article, not a failed crawl
        fetch.error = f"article extraction failed at {response.url}: {type(exc).__name__}: {exc}"
        return fetch
    if not fetch.article.text:
        fetch.error = f"no article text found at {response.url}"
    return fetch


def failed_article(failure: "Failure", *, max_bytes: int | None) -> ArticleFetch:
    """An article request that failed (HTTP error, robots.txt, too large, timeout...), with the reason,
    and whether it is final (scraper.errors.lasting_failure: retrying could not help)."""
    request = failure.request
    source, target = request.meta["source"], request.meta["article_target"]
    response = getattr(failure.value, "response", None)
    return ArticleFetch(
        source=source.name, item_id=target.item_id, requested_url=target.url, fetched=utc_now(),
        url=response.url if response is not None else None,
        status=response.status if response is not None else None,
        error=describe_failure(failure, request, max_bytes=max_bytes),
        final=lasting_failure(failure, request, max_bytes=max_bytes),
    )
