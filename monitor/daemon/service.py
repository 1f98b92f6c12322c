"""`tidings schedule`: one long-running process that crawls each source on its schedule.

The daemon is one thread running one loop: it asks its timetable which
sources are due (monitor.daemon.timetable), gathers them into batches and
forks a child per batch (monitor.daemon.batches), reads the children's
reports from their pipes, kills a child whose source outlives its
`run_timeout`, and forks a short child now and then to retry alert
deliveries.  Signals only set flags and wake the loop (a self-pipe), so
SIGTERM, SIGINT and SIGHUP are acted on between two steps, never inside one.

Single-threaded on purpose: a process with threads cannot safely fork (a
lock held by another thread at fork stays held in the child forever), and
forking from a daemon that has imported Scrapy once is what makes a batch
cheap (monitor.daemon.child).  APScheduler's triggers still do the calendar
arithmetic (monitor.schedule); its scheduler thread is not used.

The daemon itself reads the archive (last runs, at start) and writes only a
failed crawl when it had to kill one.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import resource
import selectors
import signal
import time
from datetime import datetime, timezone
from pathlib import Path

from monitor.archive import Archive
from monitor.archive.overview import last_starts
from monitor.config import Config, Source, config_from_bytes, load_config
from monitor.daemon.batches import BATCH_WINDOW_SECONDS, DEFAULT_MAX_BATCH, Batches
from monitor.daemon.child import Child, fork, preload
from monitor.daemon.timetable import Timetable
from monitor.daemon.work import retry_deliveries
from monitor.errors import ConfigError, TidingsError
from monitor.schedule import parse_schedule, random_delay
from monitor.signals import SignalLatch

log = logging.getLogger("tidings.schedule")

DELIVERY_RETRY_SECONDS = 60.0  # retry pending alert deliveries this often ...
DELIVERY_RETRY_MAX_SECONDS = 3600.0  # ... backing off to this while retrying fails
DELIVERY_RETRY_TIMEOUT = 600.0  # a retry child running longer than this is killed
IDLE_SECONDS = 1.0  # the loop looks around at least this often


class Daemon:
    """The timetable, the batches and the signals that steer them."""

    def __init__(self, config_path: Path, db_path: Path, *, workers: int = 4, stop_timeout: float = 5.0,
                 max_batch: int = DEFAULT_MAX_BATCH, window: float = BATCH_WINDOW_SECONDS):
        self.config_path = Path(config_path)
        self.db_path = Path(db_path)
        self.stop_timeout = stop_timeout
        self.config = self._load()
        self.sources: dict[str, Source] = {}
        self.timetable = Timetable(self.config.tzinfo)
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self._wake_r, selectors.EVENT_READ, None)
        self.batches = Batches(self.db_path, self.selector, workers=workers, max_batch=max_batch, window=window,
                               keep_closed=(self._wake_r, self._wake_w, self.selector.fileno()))
        self._stopping = False
        self._reload_requested = False
        self._deliveries: Child | None = None
        self._deliveries_started = 0.0
        self._delivery_delay = DELIVERY_RETRY_SECONDS
        self._next_delivery = time.monotonic() + self._delivery_delay

    # --- the main loop ----------------------------------------------------

    def serve(self, latch: SignalLatch | None = None) -> int:
        """Run until SIGTERM or SIGINT; SIGHUP reloads the config.  Returns the exit code.

        `latch`: handlers installed before the daemon was built (`tidings
        schedule` installs them first thing); signals it held, sent while
        starting, are acted on now: a reload, or a clean stop before any crawl.
        """
        handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        previous_wakeup = signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        if latch is not None:
            latch.hand_over(self._on_signal)
        try:
            if self._stopping:
                log.info("stop requested while starting: nothing was scheduled")
                return 0
            with Archive(self.db_path):  # create or migrate it once, before any child races to
                pass
            preload()
            self._apply(self.config, first=True)
            log.info("tidings schedule started (pid %d): config %s, archive %s",
                     os.getpid(), self.config_path, self.db_path)
            while not self._stopping:
                if self._reload_requested:
                    self._reload_requested = False
                    self.reload()
                self._step()
            log.info("stop requested: no new crawls")
        finally:
            self._shutdown()
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if latch is not None:
                latch.restore()  # the handlers from before the latch
            self.selector.close()
            os.close(self._wake_r)
            os.close(self._wake_w)
        own = resource.getrusage(resource.RUSAGE_SELF)
        log.info("tidings schedule stopped (%d batches, %.1f CPU-seconds in crawls, %.1f in the daemon)",
                 self.batches.started, self.batches.cpu, own.ru_utime + own.ru_stime)
        return 0

    def _step(self) -> None:
        """One turn of the loop: due sources join the queue, batches start, children are heard and reaped."""
        for tick in self.timetable.pop_due(datetime.now(timezone.utc)):
            self.batches.add(tick)
        self.batches.start(self.config, self.sources)
        self.batches.enforce_deadlines(self.config)
        self._retry_deliveries()
        self._wait(self._seconds_to_next())
        self.batches.reap(self.config, stopping=False)
        self._reap_deliveries()

    def _seconds_to_next(self) -> float:
        waits = [IDLE_SECONDS, self._next_delivery - time.monotonic()]
        due = self.timetable.next_due()
        if due is not None:
            waits.append((due - datetime.now(timezone.utc)).total_seconds())
        batch = self.batches.seconds_to_next()
        if batch is not None:
            waits.append(batch)
        return max(0.0, min(waits))

    def _wait(self, timeout: float) -> None:
        """Sleep until a child reports, a signal arrives or `timeout` passes."""
        for key, _ in self.selector.select(timeout):
            if key.data is None:  # the self-pipe: a signal arrived; its flag is set already
                try:
                    while os.read(self._wake_r, 512):
                        pass
                except BlockingIOError:
                    pass
            else:
                self.batches.read(key.data)

    def _on_signal(self, signum, frame) -> None:
        # Only set flags here: the loop acts on them (logging in a handler can deadlock).
        if signum == signal.SIGHUP:
            self._reload_requested = True
        elif signum != signal.SIGCHLD:  # SIGCHLD only wakes the loop, to reap
            self._stopping = True

    # --- configuration ------------------------------------------------------

    def _load(self) -> Config:
        """Read and validate the config file (children use this very object: they are forked)."""
        try:
            data = self.config_path.read_bytes()
        except OSError:
            load_config(self.config_path)  # raises the usual one-line error
            raise
        config = config_from_bytes(data, self.config_path).require_sources()
        _check_schedules(config)
        return config

    def reload(self) -> None:
        """Re-read the config; a broken file keeps the running schedule."""
        old = self.config
        try:
            config = self._load()
        except ConfigError as exc:
            log.error("reload failed, keeping the previous configuration: %s", exc)
            return
        except Exception as exc:  # noqa: BLE001 - a bad reload must never end the daemon
            log.error("reload failed, keeping the previous configuration: %s: %s", exc.__class__.__name__, exc)
            return
        try:
            self._apply(config)
        except Exception as exc:  # noqa: BLE001
            log.error("reload failed, keeping the previous configuration: %s: %s", exc.__class__.__name__, exc)
            self.config = config  # so that _apply compares against what it half-applied
            self._apply(old)
            return
        log.info("configuration reloaded from %s", self.config_path)

    def _apply(self, config: Config, *, first: bool = False) -> None:
        """Add, remove and reschedule sources so the timetable matches `config`."""
        old, self.config = self.config, config
        old_sources = {s.name: s for s in old.sources}
        wanted = {s.name: s for s in config.sources if s.schedule}
        self.sources = wanted
        for source in config.sources:
            if not source.schedule and (first or source.name not in old_sources or old_sources[source.name].schedule):
                log.warning("%s has no schedule: the daemon does not crawl it", source.name)
        removed = {name for name in self.timetable.names() if name not in wanted}
        for name in removed:
            self.timetable.remove(name)
            log.info("%s: removed from the schedule", name)
        self.batches.forget(removed)
        if not wanted:
            log.warning("no source has a schedule: nothing to do (set `schedule` in [defaults] or a [[source]])")
        if config.timezone != old.timezone:
            self.timetable.tz = config.tzinfo
        last_runs = self._last_runs()
        now = datetime.now(timezone.utc)
        tz = config.tzinfo
        for name, source in wanted.items():
            before = old_sources.get(name)
            if (not first and name in self.timetable and before and before.schedule == source.schedule
                    and old.timezone == config.timezone):
                continue  # unchanged: keep its timing
            schedule = parse_schedule(source.schedule)
            slot, due_now = schedule.next_run(last_runs.get(name), now, tz)
            due = self.timetable.set(name, schedule, slot, now + random_delay(schedule, tz) if due_now else None)
            if len(wanted) <= 100 or log.isEnabledFor(logging.DEBUG):  # thousands of lines help nobody
                log.info("%s: %s; next run %s%s", name, schedule.description,
                         due.astimezone(tz).isoformat(timespec="seconds"), " (due now)" if due_now else "")
        if len(wanted) > 100:
            log.info("%d sources scheduled", len(wanted))

    def _last_runs(self) -> dict[str, datetime]:
        try:
            with Archive(self.db_path) as archive:
                starts = last_starts(archive)
        except TidingsError as exc:
            log.error("cannot read last runs from the archive: %s", exc)
            return {}
        return {name: datetime.fromisoformat(started) for name, started in starts.items()}

    # --- alert deliveries between ticks --------------------------------------

    def _retry_deliveries(self) -> None:
        """Fork a child to send due pending deliveries; back off while that fails."""
        now = time.monotonic()
        if self._deliveries is not None:
            if now > self._deliveries_started + DELIVERY_RETRY_TIMEOUT:
                log.error("retrying pending deliveries took over %d s; stopped", DELIVERY_RETRY_TIMEOUT)
                self._deliveries.kill()
            return
        if now < self._next_delivery or self._stopping:
            return
        work = functools.partial(retry_deliveries, config=self.config, db_path=self.db_path)
        self._deliveries = fork(work, close_in_child=self.batches.keep_closed, name="tidings-deliver")
        self._deliveries_started = now

    def _reap_deliveries(self) -> None:
        child = self._deliveries
        if child is None:
            return
        done, status, _ = os.wait4(child.pid, os.WNOHANG)
        if not done:
            return
        messages = child.read()
        child.close()
        self._deliveries = None
        if os.waitstatus_to_exitcode(status) == 0:
            self._delivery_delay = DELIVERY_RETRY_SECONDS
        else:
            self._delivery_delay = min(self._delivery_delay * 2, DELIVERY_RETRY_MAX_SECONDS)
            error = next((m["error"] for m in messages if "error" in m), "the retry process failed")
            log.error("retrying pending deliveries failed: %s (next try in %d s)", error, self._delivery_delay)
        self._next_delivery = time.monotonic() + self._delivery_delay * random.uniform(0.9, 1.1)

    # --- stopping -------------------------------------------------------------

    def _shutdown(self) -> None:
        """No new crawls; give running ones `stop_timeout` seconds, then kill them."""
        self._stopping = True
        deadline = time.monotonic() + self.stop_timeout
        while (self.batches.running or self._deliveries) and time.monotonic() < deadline:
            self._wait(min(0.1, max(0.0, deadline - time.monotonic())))
            self.batches.reap(self.config, stopping=True)
            self._reap_deliveries()
        self.batches.kill_all()
        if self._deliveries is not None:
            self._deliveries.kill()
            os.waitpid(self._deliveries.pid, 0)
            self._deliveries.close()
            self._deliveries = None


def _check_schedules(config: Config) -> None:
    """Work out every schedule's next run now, so a value that validates but
    cannot be scheduled is a config error here, never a dead daemon later."""
    now = datetime.now(timezone.utc)
    for source in config.sources:
        if not source.schedule:
            continue
        try:
            schedule = parse_schedule(source.schedule)
            schedule.trigger(config.tzinfo)
            schedule.next_after(now, config.tzinfo)
        except (ValueError, OverflowError) as exc:
            raise ConfigError(f"{config.path}: source {source.name!r}: key 'schedule': {exc}") from None
