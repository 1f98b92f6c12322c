"""`tidings follow`: fetch the articles of items archived already (a backfill).

A run follows the items it archives for the first time (monitor/record.py
queues them, scraper/follow.py fetches them in the same crawl).  Items
archived before their source had `follow = true`, and those whose article
was given up after `follow_retries` failed attempts (with `retry_failed`),
are queued here, then fetched in one Scrapy crawl of articles only, with the
politeness of a run.  Every article is recorded as it arrives, in its own
transaction, and leaves the queue then: an interrupted backfill (Ctrl-C,
kill) loses nothing, and the next `tidings follow` (or run) goes on with
what is still queued, oldest first, never fetching a recorded one again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from monitor.archive import Archive
from monitor.archive.articles import QUEUED_BACKFILL, QUEUED_RETRY, QueueCandidate
from monitor.config import Config, Source
from monitor.crawl import crawl_sources
from monitor.errors import UsageError
from monitor.locks import SourceLocks
from monitor.record import RunContext, new_run_id
from scraper.items import ArticleFetch, utc_now
from scraper.plan import FollowJob


@dataclass
class FollowReport:
    """What a backfill did."""

    queued: int = 0  # newly queued by this backfill
    fetched: int = 0
    failed: int = 0
    left: int = 0  # still queued afterwards (over --limit, interrupted, or to retry)
    skipped: list[str] = field(default_factory=list)  # sources another process was crawling


def following_sources(config: Config, names: Sequence[str]) -> tuple[Source, ...]:
    """The named sources, else every source with `follow = true`."""
    if names:
        return config.select(list(names))
    sources = tuple(s for s in config.sources if s.follow)
    if not sources:
        raise UsageError(f"{config.path}: no source has follow = true; set it, or name a source with --source")
    return sources


def backfill(
    config: Config,
    db_path: str | Path,
    sources: Sequence[Source],
    *,
    limit: int | None = None,
    retry_failed: bool = False,
    on_total: Callable[[int], None] | None = None,
    on_article: Callable[[ArticleFetch], None] | None = None,
) -> FollowReport:
    """Queue the sources' unfollowed items (and, with `retry_failed`, those given up) and fetch up to `limit`."""
    report = FollowReport()
    with Archive(db_path) as archive, SourceLocks(db_path) as locks:
        # A run crawling one of these sources fetches its articles itself: never both at once.
        taken, busy = locks.acquire(tuple(sources), wait=config.crawl.lock_wait)
        report.skipped = [s.name for s in busy]
        ids = {s.name: archive.crawls.source_id(s.name) for s in taken}
        by_id = {source_id: s for s in taken if (source_id := ids[s.name]) is not None}
        now = utc_now()
        with archive.transaction():
            for source_id, source in by_id.items():
                report.queued += archive.articles.queue_items(
                    _passing(source, archive.articles.never_followed(source_id)), now, QUEUED_BACKFILL)
                if retry_failed:
                    report.queued += archive.articles.queue_items(
                        _passing(source, archive.articles.given_up(source_id)), now, QUEUED_RETRY)
        if by_id:
            due = archive.articles.due_in(list(by_id), limit if limit is not None else -1)
            if on_total:
                on_total(len(due))
            if due:
                _fetch(config, archive, [FollowJob(by_id[source_id], target) for source_id, target in due],
                       taken, report, on_article)
            report.left = archive.articles.queued_count(list(by_id))
    return report


def _passing(source: Source, items: list[QueueCandidate]) -> list[int]:
    """The ids of the items the source's include/exclude lets through: a held-back item is not followed."""
    return [item.item_id for item in items if source.filter.passes(item.headline, item.summary or "")]


def _fetch(config: Config, archive: Archive, jobs: list[FollowJob], sources: Sequence[Source], report: FollowReport,
           on_article: Callable[[ArticleFetch], None] | None) -> None:
    context = RunContext(archive=archive, run_id=new_run_id(), following={s.name: s for s in sources})

    def arrived(item: object) -> None:
        if not isinstance(item, ArticleFetch):
            return
        if item.error:
            report.failed += 1
        else:
            report.fetched += 1
        if on_article:
            on_article(item)

    crawl_sources((), config.crawl, context=context, on_item=arrived, articles=jobs, keep=False,
                  browser=config.browser)
