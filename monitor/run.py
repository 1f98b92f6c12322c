"""The main job: crawl the sources, record and judge each crawl, report.

`run()` is what `tidings run` (and each scheduler tick, in a child process)
does.  All sources are crawled concurrently by one Scrapy process (or, for
many sources, by it and forked worker processes: monitor.workers); each
source's crawl is recorded as soon as it finishes, in its own transaction.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from monitor.archive import Archive
from monitor.config import Config, CrawlSettings, Source
from monitor.errors import ArchiveError, TidingsError
from monitor.locks import SourceLocks
from monitor.record import AfterRecord, record_crawl
from monitor.report import RunReport, SourceReport
from monitor.statuses import SKIPPED
from scraper.items import SourceCrawl, utc_now

if TYPE_CHECKING:
    from scrapy.settings import Settings

log = logging.getLogger("tidings.run")


def new_run_id() -> str:
    """Sortable and unique: the start time plus a random suffix."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def scrapy_settings(crawl: CrawlSettings, *, record: bool = True) -> "Settings":
    """Scrapy settings for a run: the project's defaults plus the [crawl] table."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.setdict(
        {
            "CONCURRENT_REQUESTS": crawl.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_domain,
            "DOWNLOAD_DELAY": crawl.delay,
            "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
            "AUTOTHROTTLE_START_DELAY": max(crawl.delay, 0.1),
            "USER_AGENT": crawl.effective_user_agent,
            "ROBOTSTXT_OBEY": crawl.obey_robots,
            "DOWNLOAD_MAXSIZE": crawl.max_bytes,
            # Tidings' CLI sets up logging (monitor.cli.setup_logging), not Scrapy.
            "LOG_INSTALL_ROOT_HANDLER": False,
        },
        priority="cmdline",
    )
    if not record:
        settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    return settings


def crawl_sources(
    sources: Iterable[Source],
    crawl: CrawlSettings,
    *,
    archive: Archive | None = None,
    run_id: str = "",
    after_record: tuple[AfterRecord, ...] = (),
    on_item: Callable[[object], None] | None = None,
    validators: dict | None = None,
    claim: Callable[[], Source | None] | None = None,
    on_start: Callable[[], None] | None = None,
    keep: bool = True,
) -> list:
    """Crawl sources in one Scrapy process; return what the pipelines produced.

    With an archive, each item is a recorded `SourceReport`; without one,
    a raw `SourceCrawl` (for previews).  Raises the first TidingsError a
    pipeline met, such as a full disk.  With `claim`, only the sources it
    hands out are crawled (shared with other processes: monitor.workers);
    `on_start` runs in the reactor once the engine has started; `keep=False`
    returns nothing, for a caller that takes each item from `on_item` (a
    worker process need not hold every crawl it has sent on).
    """
    from scraper.preload import load_crawl_modules

    load_crawl_modules()
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from scraper.spiders.listing import ListingSpider

    sources = tuple(sources)
    collected: list = []
    errors: list[BaseException] = []

    def scraped(item, **_):
        if keep:
            collected.append(item)
        if on_item:
            on_item(item)

    def item_failed(item, failure, **_):
        errors.append(failure.value)

    process = CrawlerProcess(scrapy_settings(crawl, record=archive is not None))
    crawler = process.create_crawler(ListingSpider)
    crawler.signals.connect(scraped, signal=signals.item_scraped)
    crawler.signals.connect(item_failed, signal=signals.item_error)
    if on_start:
        def started(**_):
            on_start()

        crawler.signals.connect(started, signal=signals.engine_started)
    process.crawl(crawler, sources=sources, archive=archive, run_id=run_id, after_record=after_record,
                  validators=validators, claim=claim)
    process.start()
    for error in errors:
        if isinstance(error, TidingsError):
            raise error
        raise ArchiveError(f"{archive.path if archive else 'archive'}: could not record a crawl: {error}")
    return collected


def run(
    config: Config,
    db_path: str | Path,
    source_names: Iterable[str] | None = None,
    *,
    on_source: Callable[[SourceReport], None] | None = None,
) -> RunReport:
    """Crawl, record and judge the named sources (all when none named)."""
    from monitor.notify import outbox as notify

    wanted = config.select(list(source_names or ()))
    report = RunReport(run_id=new_run_id(), started=utc_now())
    if config.feeds_dir:
        from monitor import feeds  # here: feedgen costs start-up time a run without feeds_dir never needs

        feeds.prepare_feeds_dir(config.feeds_dir)  # a bad feeds_dir fails before crawling
    hooks = notify.alert_hooks(config)
    with Archive(db_path) as archive, SourceLocks(db_path) as locks:
        # Alerts an earlier run could not deliver (receiver down, crash) go first.
        notify.deliver_pending(archive, config, due_only=False)
        # A source another process is crawling (cron and the daemon) is skipped, never crawled twice.
        sources, busy = locks.acquire(wanted, wait=config.crawl.lock_wait)
        reports = [] if not sources else _crawl_and_record(
            sources, config, archive, run_id=report.run_id, after_record=hooks, on_source=on_source
        )
        by_name = {r.name: r for r in reports if isinstance(r, SourceReport)}
        by_name.update((s.name, skipped_report(s, config.crawl.lock_wait)) for s in busy)
        for source in sources:
            if source.name not in by_name:
                # The crawl engine stopped before this source finished: say so, never stay silent.
                unfinished = SourceCrawl(source.name, source.url, report.started, utc_now(),
                                         error="the crawl ended before this source finished")
                by_name[source.name] = record_crawl(archive, unfinished, run_id=report.run_id, after_record=hooks)
        report.sources = [by_name[s.name] for s in wanted]
        if config.feeds_dir:
            _write_feeds(archive, config)
        # Every crawl has committed: send what it queued.  Failures stay in the
        # outbox for the next run; they never change the run's exit code.
        notify.deliver_run(archive, config, report.run_id)
    report.finished = utc_now()
    return report


def _crawl_and_record(
    sources: tuple[Source, ...],
    config: Config,
    archive: Archive,
    *,
    run_id: str,
    after_record: tuple[AfterRecord, ...],
    on_source: Callable[[SourceReport], None] | None,
) -> list:
    """Crawl and record, in this process or, for many sources, in it and forked workers.

    Either way each crawl is recorded here, in its own transaction, with the
    same hooks; workers only fetch and extract (monitor.workers).
    """
    from monitor.workers import crawl_in_processes, worker_count

    validators = archive.crawls.page_validators()  # for conditional requests
    processes = worker_count(len(sources), config.crawl)

    def crawl_here(crawl: CrawlSettings, claim=None, on_start=None) -> list:
        return crawl_sources(sources, crawl, archive=archive, run_id=run_id, after_record=after_record,
                             on_item=on_source, validators=validators, claim=claim, on_start=on_start)

    if processes <= 1:
        return crawl_here(config.crawl)
    alert_first = {s.name: s.alert_on_first_run for s in sources}
    from_workers: list = []

    def record(crawl: SourceCrawl) -> None:
        recorded = record_crawl(archive, crawl, run_id=run_id, alert_on_first_run=alert_first[crawl.source],
                                after_record=after_record)
        from_workers.append(recorded)
        if on_source:
            on_source(recorded)

    here = crawl_in_processes(sources, config.crawl, processes, crawl_here=crawl_here, on_crawl=record,
                              validators=validators)
    return here + from_workers


def skipped_report(source: Source, waited: float) -> SourceReport:
    """What a run says of a source it left to the process already crawling it."""
    return SourceReport(source.name, source.url, SKIPPED, 0,
                        error=f"another process is crawling this source (waited {waited:g} s); skipped")


def _write_feeds(archive: Archive, config: Config) -> None:
    """Refresh feeds_dir; the crawls are recorded already, so a failure is logged, not raised."""
    from monitor import feeds

    try:
        feeds.write_feeds(archive, config.feeds_dir, [s.name for s in config.sources])
    except TidingsError as exc:
        log.error("feeds not written: %s", exc)


def preview(source: Source, crawl: CrawlSettings) -> SourceCrawl:
    """Fetch a source's first pages and extract, writing nothing."""
    results = [r for r in crawl_sources([source], crawl) if isinstance(r, SourceCrawl)]
    if not results:
        return SourceCrawl(source.name, source.url, utc_now(), utc_now(), error="the crawl produced no result")
    return results[0]
