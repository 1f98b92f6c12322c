"""What the daemon's children do: crawl a batch of sources, or retry alert deliveries.

Each runs in a forked child (monitor.daemon.child) and reports on its pipe.
A batch is exactly a `tidings run --source A --source B ...`: `monitor.run.run`
crawls the sources in one Scrapy process, takes each source's lock, records
each source in its own transaction the moment it finishes (so a batch killed
later keeps what it finished) and delivers the alerts it queued.  As each
source is recorded its report goes up the pipe, so the daemon knows which
sources are finished at any moment.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Mapping

from monitor.config import Config, Source
from monitor.daemon.child import writer
from monitor.errors import TidingsError
from monitor.report import SourceReport
from scraper.items import to_timestamp

log = logging.getLogger("tidings.schedule")


def batch_config(config: Config, sources: list[Source]) -> Config:
    """The configuration a batch crawls with: the batch's sources only (so
    nothing in the child costs in proportion to every configured source).

    One process per batch (the daemon runs batches side by side: `--workers`),
    and no waiting for a source's lock: a source another process (cron) is
    crawling right now is skipped, not allowed to hold up the rest of its batch.
    The batch writes its feeds itself (`write_feeds`), only those it changed.
    """
    return replace(config, sources=tuple(sources), crawl=replace(config.crawl, processes=1, lock_wait=0.0),
                   feeds_dir=None)


def crawl_batch(fd: int, config: Config, db_path: Path, sources: list[Source], due: Mapping[str, datetime],
                started: datetime) -> int:
    """Record the batch's schedule lag, crawl it, report each source as it is recorded."""
    from monitor.archive import Archive
    from monitor.archive.lags import Lag, record_lags
    from monitor.run import run

    send = writer(fd)
    reported: set[str] = set()

    def report(source: SourceReport) -> None:
        if isinstance(source, SourceReport) and source.name not in reported:
            reported.add(source.name)
            send({"name": source.name, "status": source.status, "items_seen": source.items_seen,
                  "new": len(source.new), "updated": len(source.updated), "error": source.error,
                  "run_id": source.run_id})

    try:
        with Archive(db_path) as archive:
            record_lags(archive, {
                s.name: Lag(to_timestamp(due[s.name]), to_timestamp(started),
                            round((started - due[s.name]).total_seconds(), 3), s.url)
                for s in sources
            })
        result = run(batch_config(config, sources), db_path, on_source=report)
    except TidingsError as exc:
        send({"error": str(exc)})
        return exc.exit_code
    for source in result.sources:  # skipped (locked) sources are reported only at the end
        report(source)
    if config.feeds_dir:
        write_feeds(config, db_path, [s.name for s in sources])
    return result.exit_code


def write_feeds(config: Config, db_path: Path, crawled: list[str]) -> None:
    """The combined feed, and the feeds of the batch's own sources (not every source's, every batch)."""
    from monitor import feeds
    from monitor.archive import Archive

    try:
        with Archive(db_path) as archive:
            feeds.write_feeds(archive, config.feeds_dir, [s.name for s in config.sources], only=crawled)
    except TidingsError as exc:
        log.error("feeds not written: %s", exc)


def retry_deliveries(fd: int, config: Config, db_path: Path) -> int:
    """Send the pending deliveries whose backoff has passed; exit 1 if retrying itself failed."""
    from monitor.archive import Archive
    from monitor.notify import outbox as notify

    try:
        with Archive(db_path) as archive:
            notify.deliver_pending(archive, config, due_only=True)
    except Exception as exc:  # noqa: BLE001 - reported to the daemon, which backs off
        writer(fd)({"error": str(exc)})
        return 1
    return 0
