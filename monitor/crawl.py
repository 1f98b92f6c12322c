"""Running the Scrapy crawl in this process: settings, plan, run context.

`crawl_sources` is the one place the monitor starts Scrapy, for `tidings
run` (monitor.run), its worker processes (monitor.workers) and `tidings
preview`.  It hands the crawl what it needs through the crawler's settings,
read by each component in its `from_crawler`: the spider's `CrawlPlan`
(scraper.plan) and the pipeline's `RunContext` (monitor.pipeline).
`configured_sources` is the other way in: what the scraper's settings name
for `scrapy crawl listing` to find its sources.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from monitor.config import BrowserSettings, CrawlSettings, Source, load_config
from monitor.errors import ArchiveError, ConfigError, RecordingFailed, TidingsError
from monitor.record import RunContext
from scraper.plan import PLAN_SETTING, CrawlPlan, FollowJob, PageValidators, PlanError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings, Settings


def scrapy_settings(crawl: CrawlSettings, *, record: bool = True, browser: BrowserSettings | None = None) -> "Settings":
    """Scrapy settings for a run: the project's defaults plus the [crawl] and [browser] tables.

    The browser's handler itself is installed by the spider, only when a
    source it crawls renders in a browser (scraper.browser.use_browser).
    """
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.setdict(
        {
            **crawl_overrides(crawl),
            # Tidings' CLI sets up logging (monitor.cli.setup_logging), not Scrapy.
            "LOG_INSTALL_ROOT_HANDLER": False,
        },
        priority="cmdline",
    )
    if browser is not None:
        settings.setdict({"TIDINGS_BROWSER_EXECUTABLE": browser.executable, "TIDINGS_BROWSER_PAGES": browser.pages,
                          "TIDINGS_BROWSER_BLOCK_MEDIA": browser.block_media}, priority="cmdline")
    if not record:
        settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    return settings


def crawl_overrides(crawl: CrawlSettings) -> dict:
    """The Scrapy settings the [crawl] table decides, for `tidings run` and `scrapy crawl` alike."""
    return {
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_domain,
        "DOWNLOAD_DELAY": crawl.delay,
        "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(crawl.delay, 0.1),
        "USER_AGENT": crawl.effective_user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "DOWNLOAD_MAXSIZE": crawl.max_bytes,
    }


class ConfiguredCrawlSettings:
    """A Scrapy add-on (ADDONS in scraper.settings): under `scrapy crawl listing`,
    the [crawl] table of the configuration TIDINGS_CONFIG names, over the
    project's defaults, as `tidings run` applies it (`-s NAME=VALUE` still wins).

    Under `tidings run` (a crawl plan is set) it does nothing: the run's
    settings carry the table already.
    """

    def update_settings(self, settings: "BaseSettings") -> None:
        if settings.get(PLAN_SETTING) is not None:
            return
        try:
            crawl = load_config(settings.get("TIDINGS_CONFIG")).crawl
        except ConfigError:
            return  # the spider, which reads the same file first, has said what is wrong
        for name, value in crawl_overrides(crawl).items():
            settings.set(name, value, priority="project")


def crawl_sources(
    sources: Iterable[Source],
    crawl: CrawlSettings,
    *,
    context: RunContext | None = None,
    on_item: Callable[[object], None] | None = None,
    validators: PageValidators | None = None,
    claim: Callable[[], Source | None] | None = None,
    on_start: Callable[[], None] | None = None,
    keep: bool = True,
    browser: BrowserSettings | None = None,
    articles: Sequence[FollowJob] = (),
    keep_open: Callable[[], bool] | None = None,
) -> list:
    """Crawl sources in one Scrapy process; return what the pipelines produced.

    With a run context, each item is a `SourceReport` recorded in its
    archive; without one, a raw `SourceCrawl` (for previews and worker
    processes).  Raises the first TidingsError a pipeline met, such as a
    full disk, as RecordingFailed carrying what was recorded.  With `claim`, only the sources it hands out are crawled
    (shared with other processes: monitor.workers), after `sources`, this
    process's own (its browser sources); `on_start` runs in the
    reactor once the engine has started; `keep=False` returns nothing, for a
    caller that takes each item from `on_item` (a worker process need not
    hold every crawl it has sent on).  `articles` are fetched from the start
    (`tidings follow`); a run's own articles are handed to the spider as
    their listings are recorded (scraper.follow).  While `keep_open()` is
    true the crawl does not close when idle (Scrapy's `spider_idle`), so
    articles due from crawls recorded later (workers') are still fetched.
    """
    from scraper.preload import load_crawl_modules

    load_crawl_modules()
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from monitor.pipeline import RUN_CONTEXT_SETTING
    from scraper.spiders.listing import ListingSpider

    collected: list = []
    errors: list[BaseException] = []

    def scraped(item, **_):
        if keep:
            collected.append(item)
        if on_item:
            on_item(item)

    def item_failed(item, failure, **_):
        errors.append(failure.value)

    process = CrawlerProcess(scrapy_settings(crawl, record=context is not None, browser=browser))
    crawler = process.create_crawler(ListingSpider)
    # Set on this crawler's own copy of the settings (not copied again, so
    # the archive and the shared claim stay the very objects given here).
    plan = CrawlPlan(tuple(sources), claim=claim, validators=validators or {}, articles=tuple(articles))
    crawler.settings.set(PLAN_SETTING, plan, priority="cmdline")
    crawler.settings.set(RUN_CONTEXT_SETTING, context, priority="cmdline")
    crawler.signals.connect(scraped, signal=signals.item_scraped)
    crawler.signals.connect(item_failed, signal=signals.item_error)
    if keep_open:
        from scrapy.exceptions import DontCloseSpider

        def idle(**_):
            if keep_open():
                raise DontCloseSpider

        crawler.signals.connect(idle, signal=signals.spider_idle)
    if on_start:
        def started(**_):
            on_start()

        crawler.signals.connect(started, signal=signals.engine_started)
    process.crawl(crawler)
    process.start()
    for error in errors:
        # What was recorded stays recorded: the caller still reports it.
        if isinstance(error, TidingsError):
            raise RecordingFailed(str(error), collected)
        archive = context.archive.path if context else "archive"
        raise RecordingFailed(f"{archive}: could not record a crawl: {error}", collected)
    return collected


def check_browser(browser: BrowserSettings) -> None:
    """Raise scraper.browser.BrowserNotFound (one line, how to install one) unless a browser source can render."""
    from scraper.browser import find_browser, require_browser_support

    require_browser_support()
    find_browser(browser.executable)


def configured_sources(settings: "BaseSettings", names: Sequence[str]) -> tuple[Source, ...]:
    """TIDINGS_SOURCES for `scrapy crawl listing [-a source=A,B]`: the named
    (else all) sources of the configuration file TIDINGS_CONFIG names.

    Its [browser] table becomes the crawl's TIDINGS_BROWSER_* settings (below
    any `-s` given on the command line), read when a source renders in a browser.
    """
    try:
        config = load_config(settings.get("TIDINGS_CONFIG"))
        sources = config.select(list(names))
    except ConfigError as exc:  # the spider says it in one line
        raise PlanError(str(exc)) from None
    if not settings.frozen:
        settings.setdict({"TIDINGS_BROWSER_EXECUTABLE": config.browser.executable,
                          "TIDINGS_BROWSER_PAGES": config.browser.pages,
                          "TIDINGS_BROWSER_BLOCK_MEDIA": config.browser.block_media}, priority="spider")
    return sources
