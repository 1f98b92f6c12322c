"""Batches: the sources that fall due together, crawled by one forked child.

A source that falls due waits at most `window` seconds (default 1) for
others to join it; then the waiting sources (at most `max_batch`, earliest
due first) go to one child, as one `tidings run --source A --source B ...`
(monitor.daemon.work).  At most `workers` batches run at once; while every
slot is busy, due sources keep waiting (their lag grows, and LagWatch says
so), and the next free slot takes the earliest of them, so the batches grow
under load and each child's fixed cost is shared by more sources.

Per-source guarantees inside a batch:

- a source is in at most one batch at a time: falling due while its batch
  runs, it is skipped for that tick (logged);
- each source is recorded by the child the moment it finishes;
- a source still unfinished at its `run_timeout` stops the batch: the child's
  process group is killed, the sources it had finished stay recorded, the
  overdue ones are recorded `failed`, and the batch's other unfinished sources
  wait for the next batch at once (they are not blamed for it);
- a child that dies of a signal has its unfinished sources recorded `failed`.
"""

from __future__ import annotations

import functools
import heapq
import logging
import os
import selectors
import signal
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from monitor.config import Config, Source
from monitor.daemon.child import Child, fork
from monitor.daemon.lag import LagWatch
from monitor.daemon.timetable import Tick
from monitor.daemon.work import crawl_batch
from monitor.errors import TidingsError
from monitor.statuses import PROBLEM_STATUSES

log = logging.getLogger("tidings.schedule")

BATCH_WINDOW_SECONDS = 1.0
DEFAULT_MAX_BATCH = 100
FORK_RETRY_SECONDS = 5.0


@dataclass
class Batch:
    """One child crawling some sources."""

    number: int
    sources: list[Source]
    due: dict[str, datetime]
    started: datetime
    clock: float  # time.monotonic() at start
    child: Child
    results: dict[str, dict] = field(default_factory=dict)
    error: str | None = None

    def unfinished(self) -> list[Source]:
        return [s for s in self.sources if s.name not in self.results]

    def deadline(self) -> float | None:
        """The monotonic time at which the first unfinished source outlives its run_timeout."""
        return min((self.clock + s.run_timeout for s in self.unfinished()), default=None)


class Waiting:
    """Due sources waiting for a batch, earliest due first.

    A heap beside a dict: the loop asks for the earliest at every wake-up
    (each report from a child wakes it), and a pass over thousands of
    waiting sources there would make a round's cost grow with the square of
    the number of sources.
    """

    def __init__(self) -> None:
        self._due: dict[str, datetime] = {}
        self._heap: list[tuple[float, str]] = []  # rows of removed or taken sources are skipped

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, name: str) -> bool:
        return name in self._due

    def add(self, name: str, due: datetime) -> None:
        if name not in self._due:
            self._due[name] = due
            heapq.heappush(self._heap, (due.timestamp(), name))

    def remove(self, name: str) -> None:
        self._due.pop(name, None)

    def first(self) -> datetime | None:
        """When the earliest waiting source fell due (None when none waits)."""
        while self._heap:
            stamp, name = self._heap[0]
            due = self._due.get(name)
            if due is not None and due.timestamp() == stamp:
                return due
            heapq.heappop(self._heap)
        return None

    def take(self, count: int) -> dict[str, datetime]:
        """The `count` earliest waiting sources (name -> due), no longer waiting."""
        taken: dict[str, datetime] = {}
        while len(taken) < count and self.first() is not None:
            _, name = heapq.heappop(self._heap)
            taken[name] = self._due.pop(name)
        return taken


class Batches:
    """Due sources waiting for a batch, and the batches running."""

    def __init__(self, db_path: Path, selector: selectors.BaseSelector, *, workers: int,
                 max_batch: int = DEFAULT_MAX_BATCH, window: float = BATCH_WINDOW_SECONDS,
                 keep_closed: tuple[int, ...] = ()):
        self.db_path = db_path
        self.selector = selector
        self.workers = workers
        self.max_batch = max_batch
        self.window = window
        self.keep_closed = keep_closed  # the daemon's own descriptors, closed in every child
        self.waiting = Waiting()
        self.running: dict[int, Batch] = {}  # by pid
        self.lag = LagWatch()
        self.started = 0  # batches started
        self.cpu = 0.0  # CPU-seconds of finished children
        self._crawling: set[str] = set()
        self._retry_at = 0.0  # after a failed fork, no new batch before this (monotonic)

    # --- sources falling due ----------------------------------------------

    def add(self, tick: Tick) -> None:
        if tick.name in self._crawling:
            log.info("%s: still crawling from the previous tick; this tick is skipped", tick.name)
        else:
            self.waiting.add(tick.name, tick.due)

    def forget(self, names: set[str]) -> None:
        """Sources no longer scheduled (after a reload) stop waiting."""
        for name in names:
            self.waiting.remove(name)

    def start(self, config: Config, sources: dict[str, Source]) -> None:
        """Start as many batches as slots allow and windows have closed."""
        while self.waiting and len(self.running) < self.workers and time.monotonic() >= self._retry_at:
            now = datetime.now(timezone.utc)
            first = self.waiting.first()
            if len(self.waiting) < self.max_batch and (now - first).total_seconds() < self.window:
                return  # the first source's window is still open: others may join it
            due = self.waiting.take(self.max_batch)
            names = [name for name in due if name in sources]
            if not names:
                continue
            try:
                self._start(config, [sources[name] for name in names], due, now)
            except OSError as exc:  # fork or pipe refused (no memory, too many processes): try again soon
                log.error("cannot start a crawl process: %s; trying again in %g s", exc, FORK_RETRY_SECONDS)
                for name in names:
                    self.waiting.add(name, due[name])
                self._retry_at = time.monotonic() + FORK_RETRY_SECONDS
                return

    def _start(self, config: Config, batch: list[Source], due: dict[str, datetime], now: datetime) -> None:
        names = [s.name for s in batch]
        work = functools.partial(crawl_batch, config=config, db_path=self.db_path, sources=batch, due=due,
                                 started=now)
        child = fork(work, close_in_child=self._descriptors())
        self.started += 1
        running = Batch(self.started, batch, due, now, time.monotonic(), child)
        self.running[child.pid] = running
        self._crawling.update(names)
        self.selector.register(child.fd, selectors.EVENT_READ, running)
        lags = {name: (now - due[name]).total_seconds() for name in names}
        log.debug("batch %d: %d sources (pid %d), lag up to %.1f s", running.number, len(names), child.pid,
                  max(lags.values()))
        self.lag.observe(lags, len(self.waiting))

    def _descriptors(self) -> list[int]:
        return [*self.keep_closed, *(b.child.fd for b in self.running.values())]

    # --- running batches --------------------------------------------------

    def read(self, batch: Batch) -> None:
        """Take in what a child has reported (called when its pipe is readable)."""
        for message in batch.child.read():
            if "name" not in message:  # the child's run failed as a whole
                batch.error = message.get("error")
                continue
            batch.results[message["name"]] = message
            self._log_result(batch, message)
        if batch.child.eof:
            self._unwatch(batch)

    def _log_result(self, batch: Batch, result: dict) -> None:
        """One line per source per run: status, items, new, duration, lag."""
        level = logging.WARNING if result["status"] in PROBLEM_STATUSES else logging.INFO
        detail = f" - {result['error']}" if result.get("error") else ""
        took = time.monotonic() - batch.clock
        lag = (batch.started - batch.due[result["name"]]).total_seconds()
        log.log(level, "%s %s: %d seen, %d new, %d updated (%.1f s, lag %.1f s)%s", result["name"], result["status"],
                result["items_seen"], result["new"], result["updated"], took, lag, detail)

    def reap(self, config: Config, *, stopping: bool) -> None:
        """Finish the batches whose child has exited."""
        for pid, batch in list(self.running.items()):
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                self._finish(batch, os.waitstatus_to_exitcode(status), usage)
                self._account_unfinished(batch, config, os.waitstatus_to_exitcode(status), stopping=stopping)

    def enforce_deadlines(self, config: Config) -> None:
        """Stop a batch whose unfinished source has outlived its run_timeout."""
        now = time.monotonic()
        for batch in list(self.running.values()):
            deadline = batch.deadline()
            if deadline is None or deadline > now:
                continue
            self.read(batch)  # a result may have arrived since the last look
            overdue = {s.name for s in batch.unfinished() if batch.clock + s.run_timeout <= now}
            if not overdue:
                continue
            batch.child.kill()
            _, status, usage = os.wait4(batch.child.pid, 0)
            self._finish(batch, os.waitstatus_to_exitcode(status), usage)
            seconds = now - batch.clock
            again = []
            for source in batch.unfinished():
                if source.name in overdue:
                    reason = (f"the crawl did not finish within {source.run_timeout:g} s (run_timeout)"
                              " and was stopped")
                    self.record_failure(config, source, batch.started, reason)
                    log.error("%s failed: %s (%.1f s)", source.name, reason, seconds)
                else:
                    self.waiting.add(source.name, batch.due[source.name])
                    again.append(source.name)
            if again:
                log.info("%s: unfinished when their batch was stopped; crawled again in the next batch",
                         ", ".join(again))

    def _finish(self, batch: Batch, code: int, usage) -> None:
        """The child has exited: take its last reports, stop watching it."""
        self.read(batch)
        self._unwatch(batch)
        batch.child.close()
        self.running.pop(batch.child.pid, None)
        self._crawling.difference_update(s.name for s in batch.sources)
        self.cpu += usage.ru_utime + usage.ru_stime

    def _account_unfinished(self, batch: Batch, config: Config, code: int, *, stopping: bool) -> None:
        """Say what became of the sources an exited child did not report."""
        unfinished = batch.unfinished()
        if not unfinished:
            return
        names = ", ".join(s.name for s in unfinished)
        seconds = time.monotonic() - batch.clock
        if stopping and code < 0:
            log.warning("%s: crawl stopped by shutdown after %.1f s (not recorded)", names, seconds)
        elif code < 0:
            reason = f"the crawl process died ({signal.Signals(-code).name})"
            for source in unfinished:
                self.record_failure(config, source, batch.started, reason)
                log.error("%s failed: %s (%.1f s)", source.name, reason, seconds)
        else:
            log.error("%s: run failed (exit code %d): %s", names, code, batch.error or "no output")

    def _unwatch(self, batch: Batch) -> None:
        try:
            self.selector.unregister(batch.child.fd)
        except (KeyError, ValueError):
            pass

    def record_failure(self, config: Config, source: Source, started: datetime, reason: str) -> None:
        """Record a crawl the daemon had to stop, unless the child recorded it first."""
        from monitor.archive import Archive
        from monitor.archive.overview import last_start
        from monitor.notify import outbox as notify
        from monitor.record import new_run_id, record_crawl
        from scraper.items import SourceCrawl, to_timestamp, utc_now

        begun = to_timestamp(started)
        try:
            with Archive(self.db_path) as archive:
                last = last_start(archive, source.name)
                if last and last >= begun:
                    return
                crawl = SourceCrawl(source.name, source.url, begun, utc_now(), error=reason)
                # With the alert hook, so a source that keeps hanging still raises "broken".
                record_crawl(archive, crawl, run_id=new_run_id(), after_record=notify.alert_hooks(config))
        except TidingsError as exc:
            log.error("%s: cannot record the failed crawl: %s", source.name, exc)

    # --- the loop's questions ------------------------------------------------

    def seconds_to_next(self) -> float | None:
        """How long the daemon may sleep before a window closes or a deadline passes."""
        waits = []
        now = time.monotonic()
        if self.waiting and len(self.running) < self.workers:
            first = self.waiting.first()
            waits.append(max(self.window - (datetime.now(timezone.utc) - first).total_seconds(),
                             self._retry_at - now))
        waits += [d - now for d in (b.deadline() for b in self.running.values()) if d is not None]
        return max(0.0, min(waits)) if waits else None

    def kill_all(self) -> None:
        """Shutdown: kill every running batch; nothing unfinished is recorded."""
        for batch in list(self.running.values()):
            log.warning("%s: crawl still running at shutdown; killed",
                        ", ".join(s.name for s in batch.unfinished()) or f"batch {batch.number}")
            batch.child.kill()
            _, status, usage = os.wait4(batch.child.pid, 0)
            self._finish(batch, os.waitstatus_to_exitcode(status), usage)
