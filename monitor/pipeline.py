"""The Scrapy item pipeline that records each source's finished crawl.

The scraper's settings name it (ITEM_PIPELINES), so `scrapy crawl listing`
records and queues alerts without the scraper importing the monitor.
Records are normalised during extraction already (scraper.text), so it
records whole `SourceCrawl`s and passes on the resulting `SourceReport`,
which `tidings run` collects through Scrapy's `item_scraped` signal.

Its `RunContext` comes from the crawler's TIDINGS_RUN_CONTEXT setting, set
by `tidings run` (monitor.crawl); under `scrapy crawl` there is none, and
the pipeline makes its own from TIDINGS_CONFIG and TIDINGS_DB.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings

from monitor.errors import TidingsError
from monitor.record import RunContext
from scraper.items import SourceCrawl

RUN_CONTEXT_SETTING = "TIDINGS_RUN_CONTEXT"

log = logging.getLogger("tidings.pipeline")


class ArchivePipeline:
    """Records each crawl with the run's context; under `scrapy crawl`, opens
    the archive itself and says each source's outcome in the log."""

    def __init__(self, context: RunContext | None, settings: BaseSettings):
        self.context = context
        # `scrapy crawl listing`: no Tidings run reports, so this pipeline does.
        self.standalone = context is None
        self.settings = settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        context = crawler.settings.get(RUN_CONTEXT_SETTING)
        if context is not None and not isinstance(context, RunContext):
            raise TypeError(f"{RUN_CONTEXT_SETTING} must be a monitor.record.RunContext, not {type(context).__name__}")
        return cls(context, crawler.settings)

    def open_spider(self) -> None:
        if self.standalone:
            self.context = _standalone_context(self.settings)

    def close_spider(self) -> None:
        if self.standalone and self.context is not None:
            self.context.archive.close()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, SourceCrawl):
            return item
        if self.context is None:
            raise RuntimeError("ArchivePipeline.process_item before open_spider")
        try:
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
