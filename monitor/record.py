"""Recording one source's crawl: archive state, verdict and writes, atomically.

The read of what is known, the verdict and every write (crawl row, new
items, versions, sightings, and whatever `after_record` hooks add, such as
the alert outbox) happen in one BEGIN IMMEDIATE transaction.  Two processes
recording the same source queue for it, so the second sees the first's items
and an item is reported new exactly once.

A run records all its crawls the same way, with one `RunContext`, whether
they arrive through the Scrapy pipeline (monitor.pipeline) or from a worker
process (monitor.workers).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from monitor.archive import Archive
from monitor.archive.articles import QUEUED_EDITED
from monitor.changes import ItemText
from monitor.config import Source, selectors_inline
from monitor.diff import Verdict, judge
from monitor.filters import TextFilter, split_passing
from monitor.statuses import FAILED, OK
from monitor.report import SourceReport
from scraper.items import ArticleFetch, ArticleTarget, SourceCrawl

# Hooks run inside the transaction after a crawl is recorded, each given the
# archive and the report (the outbox registers itself here).
AfterRecord = Callable[[Archive, SourceReport], None]

# Schedules article fetches in the running crawl (the pipeline registers one: monitor.pipeline).
Follower = Callable[[Source, list[ArticleTarget]], None]


def new_run_id() -> str:
    """Sortable and unique: the start time plus a random suffix."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


@dataclass(frozen=True, slots=True)
class RunContext:
    """Where and how one run records its crawls: the archive, the run's id,
    the hooks run inside each crawl's transaction, which sources alert
    on their first crawl, and which follow their items' articles.

    `followers` is filled while a crawl that can fetch articles runs (the
    pipeline adds one on opening, removes it on closing): after a following
    source's crawl is recorded, its due articles are handed to the newest.
    With none (the crawl has ended), they wait in the queue for a later run.
    """

    archive: Archive
    run_id: str
    after_record: tuple[AfterRecord, ...] = ()
    alert_on_first_run: Mapping[str, bool] = field(default_factory=dict)
    following: Mapping[str, Source] = field(default_factory=dict)
    followers: list[Follower] = field(default_factory=list)
    filters: Mapping[str, TextFilter] = field(default_factory=dict)  # by source: what its report tells

    @classmethod
    def for_sources(cls, archive: Archive, run_id: str, sources: Iterable[Source],
                    after_record: tuple[AfterRecord, ...] = ()) -> "RunContext":
        """A context that records these configured sources, each with its own settings."""
        sources = tuple(sources)
        return cls(archive=archive, run_id=run_id, after_record=after_record,
                   alert_on_first_run={s.name: s.alert_on_first_run for s in sources},
                   following={s.name: s for s in sources if s.follow},
                   filters={s.name: s.filter for s in sources if s.filter})

    def record(self, crawl: SourceCrawl) -> SourceReport:
        """Record one of the run's crawls (see record_crawl); then hand its due articles to the crawl."""
        source = self.following.get(crawl.source)
        report = record_crawl(self.archive, crawl, run_id=self.run_id,
                              alert_on_first_run=self.alert_on_first_run.get(crawl.source, False),
                              after_record=self.after_record, text_filter=self.filters.get(crawl.source),
                              follow=source)
        if source is not None and report.status != FAILED and self.followers:
            targets = self.articles_due(source)
            if targets:
                self.followers[-1](source, targets)
        return report

    def articles_due(self, source: Source, limit: int | None = None) -> list[ArticleTarget]:
        """The source's queued articles, oldest first, at most `follow_limit` (or `limit`)."""
        state = self.archive.crawls.source_id(source.name)
        if state is None:
            return []
        return self.archive.articles.due(state, source.follow_limit if limit is None else limit)

    def record_article(self, fetch: ArticleFetch) -> ArticleFetch:
        """Record one article fetch in its own transaction (never the listing's)."""
        source = self.following.get(fetch.source)
        retries = source.follow_retries if source is not None else Source.follow_retries
        with self.archive.transaction():
            self.archive.articles.record_fetch(fetch, run_id=self.run_id, retries=retries)
        return fetch


def _queue_articles(archive: Archive, crawl_id: int, queued: str, verdict: Verdict, follow: Source,
                    text_filter: TextFilter) -> None:
    """Queue the articles of the items this crawl archived for the first time (and, with `refollow`,
    of those it saw edited), but not of items the source's filter holds back: those are archived, not told,
    and not followed either."""
    _, held = split_passing(text_filter, verdict.new)
    archive.articles.queue_new(crawl_id, queued, except_keys=[record.key for record in held])
    if follow.refollow and verdict.updated:
        edited = [known.id for known, record in verdict.updated if text_filter.passes(record.headline, record.summary)]
        archive.articles.queue_items(edited, queued, QUEUED_EDITED)


def record_crawl(
    archive: Archive,
    crawl: SourceCrawl,
    *,
    run_id: str,
    alert_on_first_run: bool = False,
    after_record: tuple[AfterRecord, ...] = (),
    text_filter: TextFilter | None = None,
    follow: Source | None = None,
) -> SourceReport:
    """Archive one crawl and say what it means.

    Every item is archived; `text_filter` (the source's include/exclude)
    only decides which new and updated items the report tells, and so which
    the alert hooks see.  The others are counted in the report's `filtered`.

    With `follow` (a source with `follow = true`), the items it archives for
    the first time are queued for their articles in the same transaction
    (and, with `refollow`, the items it saw edited).
    """
    with archive.transaction():
        state = archive.crawls.source_state(crawl.source, crawl.url)
        records = crawl.records if crawl.error is None else []
        known = archive.crawls.known_items(state.id, [r.key for r in records])
        by_headline = archive.crawls.known_by_headline(state.id, [r.headline for r in records if r.key not in known])
        suggestion = selectors_inline(crawl.detected) if crawl.detected is not None and not records else None
        unchanged = crawl.not_modified and crawl.error is None
        # With records, `detected` are the selectors detection chose (a suggestion comes only without).
        detected_item = crawl.detected.item if crawl.detected is not None and records else None
        verdict = judge(records, known, state, error=crawl.error, alert_on_first_run=alert_on_first_run,
                        suggestion=suggestion, not_modified=unchanged, detected_item=detected_item,
                        script_built=crawl.script_built,
                        by_headline=by_headline)
        if crawl.error is not None:
            seen = 0
        elif unchanged:  # a 304: the page is what the last good crawl saw
            seen = state.last_good_items_seen or 0
        else:
            seen = len(records)
        crawl_id = archive.crawls.add(
            run_id=run_id,
            source_id=state.id,
            started=crawl.started,
            finished=crawl.finished,
            status=verdict.status,
            http_status=crawl.http_status,
            items_seen=seen,  # 0 for a failed crawl: it read no item, as the report says
            new=len(verdict.new) if verdict.status == OK else 0,
            updated=len(verdict.updated),
            error=verdict.reason,
            pages=crawl.pages,
            detected_item=state.last_good_detected if unchanged else detected_item,  # a 304 read no page
        )
        if verdict.records_changes and not unchanged:
            archive.crawls.move_items(verdict.moved)
            archive.crawls.add_items(state.id, crawl_id, crawl.finished, verdict.new)
            archive.crawls.update_items(crawl_id, crawl.finished, verdict.updated + verdict.restyled)
            archive.crawls.mark_seen(state.id, crawl_id, crawl.finished, records)
            if follow is not None:
                _queue_articles(archive, crawl_id, crawl.finished, verdict, follow, text_filter or TextFilter())
            archive.crawls.save_validators(state.id, crawl_id, crawl.url, crawl.validators.get("etag"),
                                           crawl.validators.get("last_modified"))
        elif unchanged and verdict.status == OK:
            archive.crawls.mark_unchanged(state.id, crawl_id, crawl.finished, crawl.validators.get("crawl_id"))
        new, filtered_new = split_passing(text_filter or TextFilter(), verdict.new if verdict.status == OK else [])
        updated, filtered_updated = split_passing(text_filter or TextFilter(), [r for _, r in verdict.updated])
        report = SourceReport(
            name=crawl.source,
            url=crawl.url,
            status=verdict.status,
            items_seen=seen,
            error=verdict.reason,
            new=new,
            updated=updated,
            previous={record.key: ItemText(known.headline, known.summary) for known, record in verdict.updated},
            run_id=run_id,
            crawl_id=crawl_id,
            filtered=len(filtered_new) + len(filtered_updated),
            restyled=len(verdict.restyled),
        )
        for hook in after_record:
            hook(archive, report)
    return report
