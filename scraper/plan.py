"""What the listing spider is told to crawl, and where it is told it.

The scraper knows no configuration file, archive or run: it crawls a
`CrawlPlan`, and all it needs of a source is what `ListingSource` names.
The plan comes through the crawler's settings, read once in the spider's
`from_crawler`, the way Scrapy hands any component its configuration:

- TIDINGS_CRAWL_PLAN: a `CrawlPlan` set on the crawler by the program that
  starts the crawl in its own process (Tidings' monitor.crawl);
- else TIDINGS_SOURCES: the component that finds the sources for
  `scrapy crawl listing [-a source=A,B]`, an import path (or a callable)
  loaded with Scrapy's `load_object`, as ITEM_PIPELINES names pipelines.
  It is called with the crawler's settings and the names asked for (none:
  every source) and returns the sources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from scraper.items import ArticleTarget
from scraper.selectors import Selectors

if TYPE_CHECKING:  # Scrapy is imported when a crawl starts (scraper.preload), not with these types
    from scrapy.settings import BaseSettings

    from scraper.browser_steps import BrowserSteps

PLAN_SETTING = "TIDINGS_CRAWL_PLAN"
SOURCES_SETTING = "TIDINGS_SOURCES"


class ListingSource(Protocol):
    """One listing to crawl, as the spider uses it (monitor.config.Source is one)."""

    @property
    def name(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def selectors(self) -> Selectors | None:
        """None: detect the listing automatically."""

    @property
    def timeout(self) -> float:
        """Seconds one page may take to download."""

    @property
    def max_pages(self) -> int:
        """How many pages of the listing (following its next-page link) at most."""

    @property
    def render(self) -> str:
        """"http" (Scrapy's HTTP client) or "browser" (rendered in Chromium, scraper.browser)."""

    @property
    def browser_steps(self) -> BrowserSteps | None:
        """What the browser does on each page before it is read; None when not rendered in one."""


def renders_in_browser(source: ListingSource) -> bool:
    """Whether the source's pages are rendered in a browser (a source from an older
    TIDINGS_SOURCES loader, without `render`, is fetched over HTTP)."""
    return getattr(source, "render", "http") == "browser"


# Hands out the next source no process has taken yet; None when none is left.
Claim = Callable[[], "ListingSource | None"]

# The sources' first pages as last crawled well, by source name:
# {"url", "etag", "last_modified", "crawl_id"}, for conditional requests.
PageValidators = Mapping[str, Mapping[str, object]]

# What TIDINGS_SOURCES names: (settings, names asked for) -> the sources.
SourcesLoader = Callable[["BaseSettings", Sequence[str]], Iterable[ListingSource]]


@dataclass(frozen=True, slots=True)
class FollowJob:
    """An article to fetch without crawling its listing (`tidings follow`), with the source it belongs to."""

    source: ListingSource
    target: ArticleTarget


@dataclass(frozen=True, slots=True)
class CrawlPlan:
    """The sources of one crawl, and how to share them and ask for them.

    With `claim`, the sources are shared with other processes: the spider
    crawls `sources` (this process's own: those rendered in the browser,
    which only the process that has one crawls), then those `claim()`
    hands out, as it has room for them.
    """

    sources: tuple[ListingSource, ...] = ()
    claim: Claim | None = None
    validators: PageValidators = field(default_factory=dict)
    articles: tuple[FollowJob, ...] = ()  # articles to fetch from the start (scraper.follow)


class PlanError(ValueError):
    """The crawler's settings give the spider nothing to crawl."""


def crawl_plan(settings: "BaseSettings", source_names: Sequence[str]) -> CrawlPlan:
    """The plan the crawler's settings give (see the module docstring)."""
    from scrapy.utils.misc import load_object

    plan = settings.get(PLAN_SETTING)
    if plan is not None:
        if not isinstance(plan, CrawlPlan):
            raise PlanError(f"{PLAN_SETTING} must be a scraper.plan.CrawlPlan, not {type(plan).__name__}")
        return plan
    loader = settings.get(SOURCES_SETTING)
    if not loader:
        raise PlanError(f"set {SOURCES_SETTING} to the function that finds the sources to crawl")
    find_sources: SourcesLoader = load_object(loader)
    return CrawlPlan(tuple(find_sources(settings, source_names)))
