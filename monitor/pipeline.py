"""The Scrapy item pipeline that records each source's finished crawl.

The scraper's settings name it (ITEM_PIPELINES), so `scrapy crawl listing`
records and queues alerts without the scraper importing the monitor.
Records are normalised during extraction already (scraper.text), so it
records whole `SourceCrawl`s and passes on the resulting `SourceReport`,
which `tidings run` collects through Scrapy's `item_scraped` signal.

After a following source's crawl is recorded, the run context hands its
due articles to `follow`, which sends them to the spider with the
`articles_due` signal (scraper.follow); each `ArticleFetch` that comes back
is recorded in a transaction of its own.

Its `RunContext` comes from the crawler's TIDINGS_RUN_CONTEXT setting, set
by `tidings run` (monitor.crawl); under `scrapy crawl` there is none, and
the pipeline makes its own from TIDINGS_CONFIG and TIDINGS_DB.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings

from monitor.errors import TidingsError
from monitor.config import Source
from monitor.record import RunContext
from scraper.follow import articles_due
from scraper.items import ArticleFetch, ArticleTarget, SourceCrawl

RUN_CONTEXT_SETTING = "TIDINGS_RUN_CONTEXT"

log = logging.getLogger("tidings.pipeline")


class ArchivePipeline:
    """Records each crawl with the run's context; under `scrapy crawl`, opens
    the archive itself and says each source's outcome in the log."""

    def __init__(self, context: RunContext | None, settings: BaseSettings, crawler: Crawler | None = None):
        self.context = context
        # `scrapy crawl listing`: no Tidings run reports, so this pipeline does.
        self.standalone = context is None
        self.settings = settings
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        context = crawler.settings.get(RUN_CONTEXT_SETTING)
        if context is not None and not isinstance(context, RunContext):
            raise TypeError(f"{RUN_CONTEXT_SETTING} must be a monitor.record.RunContext, not {type(context).__name__}")
        return cls(context, crawler.settings, crawler)

    def open_spider(self) -> None:
        if self.standalone:
            self.context = _standalone_context(self.settings)
        if self.context is not None and self.crawler is not None:
            self.context.followers.append(self.follow)

    def close_spider(self) -> None:
        if self.context is not None and self.follow in self.context.followers:
            self.context.followers.remove(self.follow)
        if self.standalone and self.context is not None:
            self.context.archive.close()

    def follow(self, source: Source, targets: list[ArticleTarget]) -> None:
        """Have the spider fetch these articles in this crawl."""
        self.crawler.signals.send_catch_log(articles_due, source=source, targets=targets)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, (SourceCrawl, ArticleFetch)):
            return item
        if self.context is None:
            raise RuntimeError("ArchivePipeline.process_item before open_spider")
        try:
            if isinstance(item, ArticleFetch):
                return self._record_article(item)
            report = self.context.record(item)
        except TidingsError as exc:
            if not self.standalone:  # `tidings run` reports it
                raise
            # `scrapy crawl listing`: one line, not a traceback and a dump of every record.
            log.error(f"{item.source}  not recorded - {exc}")
            raise DropItem(str(exc), log_level="DEBUG") from None
        if self.standalone:
            from monitor.report import summary_line
            from monitor.statuses import FAILED, SUSPECT

            log.log(logging.WARNING if report.status in (FAILED, SUSPECT) else logging.INFO, summary_line(report))
        return report

    def _record_article(self, fetch: ArticleFetch) -> ArticleFetch:
        """Record it; pass on its outcome without the text (archived now: a run need not hold every article)."""
        self.context.record_article(fetch)
        if self.standalone or fetch.error:
            log.log(logging.WARNING if fetch.error else logging.INFO, "%s  article %s: %s", fetch.source,
                    fetch.requested_url, fetch.error or "fetched")
        return replace(fetch, article=None)


def _standalone_context(settings: BaseSettings) -> RunContext:
    """`scrapy crawl listing`: the configured archive, a new run, and the
    alert hooks, so items recorded here are never silently skipped (the next
    `tidings run` sends what they queue)."""
    from monitor.archive import Archive
    from monitor.config import load_config, resolve_db_path
    from monitor.notify.outbox import alert_hooks
    from monitor.record import new_run_id

    config = load_config(settings.get("TIDINGS_CONFIG"))
    return RunContext.for_sources(Archive(resolve_db_path(settings.get("TIDINGS_DB"))), new_run_id(), config.sources,
                                  after_record=alert_hooks(config))
