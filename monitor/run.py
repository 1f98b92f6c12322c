"""The main job: crawl the sources, record and judge each crawl, report.

`run()` is what `tidings run` (and each scheduler tick, in a child process)
does.  All sources are crawled concurrently by one Scrapy process (or, for
many sources, by it and forked worker processes: monitor.workers); each
source's crawl is recorded as soon as it finishes, in its own transaction.
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from monitor.archive import Archive
from monitor.config import BrowserSettings, Config, CrawlSettings, Source
from monitor.crawl import check_browser, crawl_sources
from monitor.errors import RecordingFailed, RunFailed, TidingsError
from monitor.locks import SourceLocks
from monitor.record import RunContext, new_run_id
from monitor.report import RunReport, SourceReport
from monitor.signals import stop_requested
from monitor.statuses import FAILED, SKIPPED
from scraper.items import SourceCrawl, utc_now

if TYPE_CHECKING:
    from monitor.workers import StopSignals

log = logging.getLogger("tidings.run")

INTERRUPTED_REASON = "the run was interrupted before this source finished; not recorded"


def run(
    config: Config,
    db_path: str | Path,
    source_names: Iterable[str] | None = None,
    *,
    on_source: Callable[[SourceReport], None] | None = None,
    interrupts: StopSignals | None = None,
) -> RunReport:
    """Crawl, record and judge the named sources (all when none named).

    `interrupts` (the CLI's) wraps the crawl's SIGINT/SIGTERM handlers while
    it runs and counts the signals: an interrupted run still records every
    crawl, says so in its report, and leaves its alerts in the outbox for
    the next run instead of waiting on receivers.
    """
    from monitor.notify import outbox as notify
    from monitor.notify.articles import attach_articles

    wanted = config.select(list(source_names or ()))
    report = RunReport(run_id=new_run_id(), started=utc_now())
    if config.feeds_dir:
        from monitor import feeds  # here: feedgen costs start-up time a run without feeds_dir never needs

        feeds.prepare_feeds_dir(config.feeds_dir)  # a bad feeds_dir fails before crawling
    hooks = notify.alert_hooks(config)
    with Archive(db_path) as archive:
        with SourceLocks(db_path) as locks:
            # A source another process is crawling (cron and the daemon) is skipped, never crawled twice.
            sources, busy = locks.acquire(wanted, wait=config.crawl.lock_wait)
            context = RunContext.for_sources(archive, report.run_id, sources, after_record=hooks)
            sources, unrenderable = _browser_ready(sources, config, report.started, context, on_source)
            failure: RecordingFailed | None = None
            try:
                reports = [] if not sources else _crawl_and_record(sources, config, context, on_source=on_source,
                                                                    interrupts=interrupts)
            except RecordingFailed as exc:  # a full disk part-way: what committed is still reported
                failure, reports = exc, exc.committed
            reports += unrenderable
            report.interrupted = bool(interrupts and interrupts.received)
            by_name = {r.name: r for r in reports if isinstance(r, SourceReport)}
            by_name.update((s.name, skipped_report(s, config.crawl.lock_wait)) for s in busy)
            for source in sources:
                if source.name in by_name:
                    continue
                if failure is not None:
                    by_name[source.name] = SourceReport(source.name, source.url, FAILED, 0,
                                                        error=f"not recorded: {failure}", run_id=report.run_id)
                elif report.interrupted:
                    # Stopped by the user, not by the site: nothing to record against the source.
                    by_name[source.name] = SourceReport(source.name, source.url, SKIPPED, 0,
                                                        error=INTERRUPTED_REASON)
                else:
                    # The crawl engine stopped before this source finished: say so, never stay silent.
                    unfinished = SourceCrawl(source.name, source.url, report.started, utc_now(),
                                             error="the crawl ended before this source finished")
                    by_name[source.name] = context.record(unfinished)
            report.sources = [by_name[s.name] for s in wanted]
            if failure is not None:
                # Alerts of what committed stay in the outbox for the next run.
                report.finished = utc_now()
                raise RunFailed(str(failure), report)
            if config.feeds_dir:
                _write_feeds(archive, config)
        # Articles fetched in this crawl go into this run's alerts, before any is sent.
        attach_articles(archive, config, report.run_id)
        # Every crawl has committed and no source lock is held: send what this
        # run queued, and what earlier runs could not deliver (receiver down,
        # crash), after crawling so a slow receiver never delays or fails a
        # crawl.  Each send is bounded by its notifier's timeout; SIGTERM or
        # SIGINT stops sending at once (the rest stays in the outbox).
        # Failures never change the run's exit code.
        if report.interrupted:
            log.warning("interrupted: this run's alerts wait in the outbox for the next run")
        else:
            with stop_requested() as stop:
                notify.deliver_pending(archive, config, due_only=False, stop=stop)
    report.finished = utc_now()
    return report


def _browser_ready(sources: tuple[Source, ...], config: Config, started: str, context: RunContext,
                   on_source: Callable[[SourceReport], None] | None) -> tuple[tuple[Source, ...], list]:
    """The sources the run can crawl, and the reports of browser sources it cannot (no browser installed).

    Those fail, each with one line saying how to install a browser; the HTTP
    sources of the run are crawled as ever.
    """
    if not any(s.browser for s in sources):
        return sources, []
    from scraper.browser import BrowserNotFound

    try:
        check_browser(config.browser)
    except BrowserNotFound as exc:
        failed = []
        for source in (s for s in sources if s.browser):
            failed.append(context.record(SourceCrawl(source.name, source.url, started, utc_now(), error=str(exc))))
            if on_source:
                on_source(failed[-1])
        return tuple(s for s in sources if not s.browser), failed
    return sources, []


def _crawl_and_record(
    sources: tuple[Source, ...],
    config: Config,
    context: RunContext,
    *,
    on_source: Callable[[SourceReport], None] | None,
    interrupts: StopSignals | None = None,
) -> list:
    """Crawl and record, in this process or, for many sources, in it and forked workers.

    Either way each crawl is recorded here, in its own transaction, with the
    same context; workers only fetch and extract (monitor.workers).
    """
    from monitor.workers import crawl_in_processes, worker_count

    validators = context.archive.crawls.page_validators([s.name for s in sources])  # for conditional requests
    # Browser sources are crawled by this process only, with the run's one
    # browser, whose driver starts after the workers are forked (a process
    # forked from one running a driver holds its pipe open).
    rendered = tuple(s for s in sources if s.browser)
    fetched = tuple(s for s in sources if not s.browser)
    processes = worker_count(len(fetched), config.crawl)

    def reported(item: object) -> None:  # article fetches are items of the crawl too: not sources
        if on_source and isinstance(item, SourceReport):
            on_source(item)

    def crawl_here(crawl: CrawlSettings, claim=None, on_start=None, workers_running=None) -> list:
        own = sources if claim is None else rendered
        # Articles of the sources workers crawl are fetched by this process's crawl
        # (monitor.record): it stays open while a worker may still send one.
        keep_open = workers_running if context.following else None

        def started() -> None:
            if on_start:
                on_start()
            if interrupts:
                from twisted.internet import reactor

                # Later, not now: Scrapy (and monitor.workers) install their handlers as the reactor starts.
                reactor.callLater(0, interrupts.install)

        try:
            return crawl_sources(own, crawl, context=context, on_item=reported, validators=validators,
                                 claim=claim, on_start=started, browser=config.browser, keep_open=keep_open)
        finally:
            if interrupts:
                interrupts.uninstall()
                # Scrapy's handler outlives its reactor, where it can stop nothing:
                # Ctrl-C from here on (sending alerts) interrupts at once.
                signal.signal(signal.SIGINT, signal.default_int_handler)

    if processes <= 1:
        return crawl_here(config.crawl)
    from_workers: list = []
    failures: list[TidingsError] = []

    def record(crawl: SourceCrawl) -> None:
        try:
            recorded = context.record(crawl)
        except TidingsError as exc:  # a full disk: the crawls recorded so far are still reported
            failures.append(exc)
            return
        from_workers.append(recorded)
        if on_source:
            on_source(recorded)

    try:
        here = crawl_in_processes(fetched, config.crawl, processes, crawl_here=crawl_here, on_crawl=record,
                                  validators=validators)
    except RecordingFailed as exc:
        raise RecordingFailed(str(exc), exc.committed + from_workers) from None
    if failures:
        raise RecordingFailed(str(failures[0]), here + from_workers)
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


def preview(source: Source, crawl: CrawlSettings, browser: BrowserSettings | None = None) -> SourceCrawl:
    """Fetch a source's first pages and extract, writing nothing (raises BrowserNotFound
    for a source rendered in a browser when there is none)."""
    if source.browser:
        check_browser(browser or BrowserSettings())
    results = [r for r in crawl_sources([source], crawl, browser=browser) if isinstance(r, SourceCrawl)]
    if not results:
        return SourceCrawl(source.name, source.url, utc_now(), utc_now(), error="the crawl produced no result")
    return results[0]
