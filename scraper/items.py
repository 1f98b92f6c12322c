"""The kinds of item the listing spider produces.

`Record` is one block of a listing page (one release).  `SourceCrawl` is the
outcome of crawling one source: every record from every page, or the reason
the crawl failed.  The archive pipeline takes whole `SourceCrawl`s so a
source's crawl is recorded in one transaction, never page by page.
`ArticleFetch` is one fetch of the article an item links to (scraper.follow),
recorded apart, in a transaction of its own.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from scraper.text import normalise_space

if TYPE_CHECKING:
    from scraper.article import Article
    from scraper.selectors import Selectors


@dataclass(frozen=True, slots=True)
class Record:
    """One item of a listing: what a reader sees in one block."""

    source: str
    headline: str
    summary: str
    url: str | None
    published: str | None
    position: int

    @property
    def key(self) -> str:
        """Identity of the item within its source.

        The canonical URL when the block links somewhere of its own (so a
        headline edit keeps the item), else a hash of the normalised headline
        (so whitespace or markup changes keep it too).
        """
        return item_key(self.headline, self.url)

    def as_json(self) -> dict:
        """The four fields every report, alert and feed shows of an item."""
        return {"headline": self.headline, "summary": self.summary, "url": self.url, "published": self.published}

    def as_dict(self) -> dict:
        """As `tidings preview --json` shows it: with its place on the page."""
        return {**self.as_json(), "position": self.position}


def utc_now() -> str:
    """The current time as archives store it (see to_timestamp)."""
    return to_timestamp(datetime.now(timezone.utc))


def to_timestamp(moment: datetime) -> str:
    """A moment as archives store it: ISO 8601, UTC, milliseconds (so stored times sort as text)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def item_key(headline: str, url: str | None) -> str:
    if url:
        return "url:" + url
    digest = hashlib.sha1(normalise_space(headline).casefold().encode("utf-8")).hexdigest()
    return "headline:" + digest[:20]


@dataclass(slots=True)
class SourceCrawl:
    """What one crawl of one source produced.

    `error` is set (and `records` meaningless) when the crawl failed; it is a
    one-line reason a person understands, such as "HTTP 503 from https://...".
    """

    source: str
    url: str
    started: str
    finished: str = ""
    records: list[Record] = field(default_factory=list)
    http_status: int | None = None
    error: str | None = None
    pages: int = 0
    not_modified: bool = False
    # The first page's ETag/Last-Modified as sent; after a 304, the validators
    # asked with (with the `crawl_id` that read the page they describe).
    validators: dict = field(default_factory=dict)
    # Selectors automatic detection inferred on the first page: the ones used
    # when the source has none, a suggestion when the configured ones found
    # nothing, else None.
    detected: Selectors | None = None
    # Automatic detection's full answer on the first page when it chose the
    # selectors (a scraper.autodetect.Detection: confidence, reasons,
    # runner-up), else None.
    detection: object | None = None
    # Why the first page, served over HTTP with no listing in it, looks built by
    # its scripts (scraper.script_built), or None: a hint to render it in a browser.
    script_built: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleTarget:
    """An item whose article page the spider is to fetch: the archive's item id and its link."""

    item_id: int
    url: str
    attempt: int = 1  # 1 for the first try; retries count up


@dataclass(slots=True)
class ArticleFetch:
    """The outcome of fetching one item's article page (the third kind of item the spider yields).

    `article` is what extraction found (None when nothing was fetched or the
    response was not a page); `error` a one-line reason when the fetch or
    the extraction failed (with `article` kept when the page had metadata
    but no main text).
    """

    source: str
    item_id: int
    requested_url: str
    fetched: str
    url: str | None = None  # the final URL, after redirects
    status: int | None = None
    article: "Article | None" = None
    error: str | None = None
    # The failure is the page's lasting answer (410, not HTML, too large, robots.txt...): a retry
    # would only ask again for the same (scraper.follow.lasting_failure).
    final: bool = False
