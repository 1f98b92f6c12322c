"""Item pipelines: hand each source's finished crawl to the archive.

Records are normalised during extraction already (scraper.text), so the one
pipeline records whole `SourceCrawl`s and passes on the resulting
`SourceReport`, which `tidings run` collects through Scrapy's
`item_scraped` signal.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from monitor.errors import TidingsError
from scraper.items import SourceCrawl

log = logging.getLogger("tidings.pipeline")


class ArchivePipeline:
    """Records each crawl in the archive (opened from TIDINGS_DB when the
    spider was not given one, as under `scrapy crawl listing`)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.archive = None
        self.owns_archive = False
        self.run_id = ""
        self.after_record: tuple = ()
        self.sources: dict = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ArchivePipeline":
        return cls(crawler)

    def open_spider(self) -> None:
        from monitor.archive import Archive
        from monitor.config import resolve_db_path
        from monitor.run import new_run_id

        spider = self.crawler.spider
        self.archive = getattr(spider, "archive", None)
        if self.archive is None:
            self.archive = Archive(resolve_db_path(self.crawler.settings.get("TIDINGS_DB")))
            self.owns_archive = True
        self.run_id = getattr(spider, "run_id", None) or new_run_id()
        self.after_record = tuple(getattr(spider, "after_record", ()))
        self.sources = {s.name: s for s in spider.sources}
        config = getattr(spider, "config", None)
        if not self.after_record and config is not None:
            # `scrapy crawl listing`: queue alerts too, so items recorded here
            # are never silently skipped (the next `tidings run` sends them).
            from monitor.notify.outbox import alert_hooks

            self.after_record = alert_hooks(config)

    def close_spider(self) -> None:
        if self.owns_archive and self.archive is not None:
            self.archive.close()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, SourceCrawl):
            return item
        from monitor.record import record_crawl

        source = self.sources[item.source]
        try:
            report = record_crawl(
                self.archive,
                item,
                run_id=self.run_id,
                alert_on_first_run=source.alert_on_first_run,
                after_record=self.after_record,
            )
        except TidingsError as exc:
            if not self.owns_archive:  # `tidings run` reports it
                raise
            # `scrapy crawl listing`: one line, not a traceback and a dump of every record.
            log.error(f"{item.source}  not recorded - {exc}")
            raise DropItem(str(exc), log_level="DEBUG") from None
        if self.owns_archive:  # `scrapy crawl listing`: no Tidings report follows, so say it here
            from monitor.statuses import FAILED, SUSPECT
            from monitor.report import summary_line

            log.log(logging.WARNING if report.status in (FAILED, SUSPECT) else logging.INFO, summary_line(report))
        return report
