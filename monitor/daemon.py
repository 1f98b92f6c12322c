"""`tidings schedule`: one long-running process that crawls each source on its schedule.

Design: APScheduler 3.x (BackgroundScheduler, one job per source) decides
*when*; each tick runs exactly what cron would run, `tidings run --source
NAME --json`, in a child process.  Why a child per tick rather than crawls
on a shared Twisted reactor:

- Scrapy's reactor cannot be restarted in one process, and a crawl that
  hangs, crashes the interpreter or leaks memory would take a shared reactor
  (and the daemon) with it.  A child is killed, with its whole process
  group, when it outlives the source's `run_timeout`; the crawl is recorded
  as failed and the next tick starts afresh.  Memory returns to the system
  after every run.
- The child crawls, diffs, records and delivers alerts exactly as
  `tidings run` does, because it *is* `tidings run`; it takes the same
  per-source lock (monitor/locks.py), so the daemon and cron never crawl a
  source at the same time.
- A child dies with the daemon: it runs in its own process group (killed on
  shutdown) and, on Linux, asks the kernel for SIGKILL when its parent dies
  (PR_SET_PDEATHSIG), so even `kill -9` of the daemon leaves no orphan.

The daemon itself only reads the archive (last runs, to coalesce missed runs
into one at start) and writes a failed crawl when it had to kill one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor.archive import Archive
from monitor.archive.overview import last_starts
from monitor.children import die_with_parent
from monitor.config import CONFIG_BASE_ENV, Config, Source, config_from_bytes, load_config
from monitor.errors import ArchiveError, ConfigError, TidingsError
from monitor.notify import outbox as notify
from monitor.record import new_run_id, record_crawl
from monitor.statuses import PROBLEM_STATUSES
from monitor.schedule import parse_schedule, random_delay
from monitor.signals import SignalLatch
from scraper.items import SourceCrawl, utc_now

log = logging.getLogger("tidings.schedule")

JOB_PREFIX = "crawl:"
DELIVERY_RETRY_SECONDS = 60.0  # retry pending alert deliveries this often ...
DELIVERY_RETRY_MAX_SECONDS = 3600.0  # ... backing off to this while retrying fails


class Daemon:
    """The scheduler, its crawl children and the signals that steer them."""

    def __init__(self, config_path: Path, db_path: Path, *, workers: int = 4, stop_timeout: float = 5.0):
        self.config_path = Path(config_path)
        self.db_path = Path(db_path)
        self.stop_timeout = stop_timeout
        # Children read a snapshot of the config as validated at start or at the
        # last SIGHUP, so a half-edited file never breaks the running schedule.
        # It lives next to the archive under a name fixed by the config's path,
        # so a killed daemon leaves no temporary folder: the next start reuses it.
        self._snapshot_dir = Path(f"{self.db_path}.locks") / f"schedule-{_path_digest(self.config_path)}"
        # Relative paths in the snapshot (feeds_dir) stay relative to the real file.
        self._child_env = {**os.environ, CONFIG_BASE_ENV: str(self.config_path.resolve().parent)}
        self.snapshot = self._snapshot_dir / self.config_path.name
        self.config = self._load()
        self._children: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()  # guards _children against shutdown
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._reload_requested = False
        self.scheduler = BackgroundScheduler(
            timezone=self.config.tzinfo,
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            job_defaults={
                "coalesce": True,  # however many ticks were missed, run once
                "max_instances": 1,  # never two crawls of one source at once
                # A tick that comes late (machine suspended, all workers busy)
                # still runs, once: a late check beats a skipped one.
                "misfire_grace_time": None,
            },
        )
        self.scheduler.add_listener(self._job_event, EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES)

    # --- the main loop ----------------------------------------------------

    def serve(self, latch: SignalLatch | None = None) -> int:
        """Run until SIGTERM or SIGINT; SIGHUP reloads the config.  Returns the exit code.

        `latch`: handlers installed before the daemon was built; signals it
        held (sent while starting) are acted on now.
        """
        latch = latch or SignalLatch((signal.SIGTERM, signal.SIGINT, signal.SIGHUP))
        latch.hand_over(self._on_signal)
        try:
            with Archive(self.db_path):  # create or migrate it once, before any child races to
                pass
            if self._stopping.is_set():
                return 0  # stopped while starting: nothing was scheduled (the finally cleans up)
            self.scheduler.start()
            self._apply(self.config, first=True)
            log.info("tidings schedule started (pid %d): config %s, archive %s",
                     os.getpid(), self.config_path, self.db_path)
            threading.Thread(target=self._retry_deliveries, daemon=True, name="deliveries").start()
            while not self._stopping.is_set():
                self._wake.wait(1.0)
                self._wake.clear()
                if self._stopping.is_set():
                    log.info("stop requested: no new crawls")
                elif self._reload_requested:
                    self._reload_requested = False
                    self.reload()
        finally:
            self._shutdown()
            latch.restore()
        log.info("tidings schedule stopped")
        return 0

    def _load(self) -> Config:
        """Validate the config file and make it the snapshot the children read."""
        try:
            data = self.config_path.read_bytes()
        except OSError:
            load_config(self.config_path)  # raises the usual one-line error
            raise
        config = config_from_bytes(data, self.config_path).require_sources()
        _check_schedules(config)
        try:  # only now: a config error at start leaves nothing behind
            self._snapshot_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(f"{self._snapshot_dir}: cannot create the config snapshot's folder: {exc.strerror or exc}") from None
        candidate = self.snapshot.with_name(self.snapshot.name + ".new")
        candidate.write_bytes(data)
        os.replace(candidate, self.snapshot)  # a child starting now reads the old or the new file, whole
        return config

    def _on_signal(self, signum, frame) -> None:
        # Only set flags here: the main loop acts on them (logging in a handler can deadlock).
        if signum == signal.SIGHUP:
            self._reload_requested = True
        else:
            self._stopping.set()
        self._wake.set()

    def reload(self) -> None:
        """Re-read the config; a broken file keeps the running schedule."""
        old = self.config
        try:
            old_bytes: bytes | None = self.snapshot.read_bytes()
        except OSError:  # the snapshot was removed under us: a reload writes it anew
            old_bytes = None
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
            self._restore(old, old_bytes)
            return
        log.info("configuration reloaded from %s", self.config_path)

    def _restore(self, config: Config, data: bytes | None) -> None:
        """Go back to `config` (its file `data` for the children, its jobs) after a reload failed half-way."""
        if data is not None:
            candidate = self.snapshot.with_name(self.snapshot.name + ".new")
            candidate.write_bytes(data)
            os.replace(candidate, self.snapshot)
        self.config = config
        self._apply(config)

    def _apply(self, config: Config, *, first: bool = False) -> None:
        """Add, remove and reschedule jobs so they match `config`."""
        old, self.config = self.config, config
        old_sources = {s.name: s for s in old.sources}
        wanted = {s.name: s for s in config.sources if s.schedule}
        for source in config.sources:
            if not source.schedule and (first or source.name not in old_sources or old_sources[source.name].schedule):
                log.warning("%s has no schedule: the daemon does not crawl it", source.name)
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id[len(JOB_PREFIX):] not in wanted:
                job.remove()
                log.info("%s: removed from the schedule", job.id[len(JOB_PREFIX):])
        if not wanted:
            log.warning("no source has a schedule: nothing to do (set `schedule` in [defaults] or a [[source]])")
        last_runs = self._last_runs()
        now = datetime.now(timezone.utc)
        tz = config.tzinfo
        for name, source in wanted.items():
            before = old_sources.get(name)
            job = self.scheduler.get_job(JOB_PREFIX + name)
            if job and before and before.schedule == source.schedule and old.timezone == config.timezone:
                continue  # unchanged: keep its timing
            schedule = parse_schedule(source.schedule)
            first_run, due = schedule.next_run(last_runs.get(name), now, tz)
            if due:
                first_run = now + random_delay(schedule, tz)
            self.scheduler.add_job(
                self._crawl, trigger=schedule.trigger(tz), args=[name], id=JOB_PREFIX + name, name=name,
                replace_existing=True, next_run_time=first_run,
            )
            log.info("%s: every %s; next run %s%s", name, schedule.text, first_run.astimezone(tz).isoformat(timespec="seconds"),
                     " (due now)" if due else "")

    def _last_runs(self) -> dict[str, datetime]:
        try:
            with Archive(self.db_path) as archive:
                starts = last_starts(archive)
        except TidingsError as exc:
            log.error("cannot read last runs from the archive: %s", exc)
            return {}
        return {name: datetime.fromisoformat(started) for name, started in starts.items()}

    # --- one tick: a child process ------------------------------------------

    def _crawl(self, name: str) -> None:
        source = next((s for s in self.config.sources if s.name == name), None)
        if source is None:
            return
        command = [sys.executable, "-m", "monitor", "run", "--source", name, "--json",
                   "--config", str(self.snapshot), "--db", str(self.db_path)]
        started, clock = utc_now(), time.monotonic()
        with self._lock:
            if self._stopping.is_set():
                return
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL, start_new_session=True, env=self._child_env,
                                     preexec_fn=die_with_parent(os.getpid()))
            self._children[name] = child
        timed_out = False
        try:
            try:
                out, err = child.communicate(timeout=source.run_timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                _kill_group(child)
                out, err = child.communicate()
        finally:
            with self._lock:
                self._children.pop(name, None)
        seconds = time.monotonic() - clock
        if self._stopping.is_set() and child.returncode < 0:
            log.warning("%s: crawl stopped by shutdown after %.1f s (not recorded)", name, seconds)
        elif timed_out:
            reason = f"the crawl did not finish within {source.run_timeout:g} s (run_timeout) and was stopped"
            self._record_failure(source, started, reason)
            log.error("%s failed: %s (%.1f s)", name, reason, seconds)
        elif child.returncode < 0:
            reason = f"the crawl process died ({signal.Signals(-child.returncode).name})"
            self._record_failure(source, started, reason)
            log.error("%s failed: %s (%.1f s)", name, reason, seconds)
        else:
            self._log_report(name, child.returncode, out, err, seconds)

    def _log_report(self, name: str, code: int, out: str, err: str, seconds: float) -> None:
        """One line per source per run: status, items, new, duration."""
        try:
            reports = json.loads(out)["sources"]
        except (ValueError, KeyError, TypeError):
            lines = [line for line in err.splitlines() if line.strip()]
            log.error("%s: run failed (exit code %d): %s", name, code, lines[-1] if lines else "no output")
            return
        for report in reports:
            status = report["status"]
            level = logging.WARNING if status in PROBLEM_STATUSES else logging.INFO
            detail = f" - {report['error']}" if report.get("error") else ""
            log.log(level, "%s %s: %d seen, %d new, %d updated (%.1f s)%s", report["name"], status,
                    report["items_seen"], len(report["new"]), len(report["updated"]), seconds, detail)

    def _record_failure(self, source: Source, started: str, reason: str) -> None:
        """Record a crawl the daemon had to stop, unless the child recorded it first."""
        try:
            with Archive(self.db_path) as archive:
                last = last_starts(archive).get(source.name)
                if last and last >= started:
                    return
                crawl = SourceCrawl(source.name, source.url, started, utc_now(), error=reason)
                # With the alert hook, so a source that keeps hanging still raises "broken".
                record_crawl(archive, crawl, run_id=new_run_id(), after_record=notify.alert_hooks(self.config))
        except TidingsError as exc:
            log.error("%s: cannot record the failed crawl: %s", source.name, exc)

    def _job_event(self, event: JobExecutionEvent) -> None:
        name = event.job_id[len(JOB_PREFIX):]
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.info("%s: still crawling from the previous tick; this tick is skipped", name)
        else:
            log.error("%s: the scheduled job failed: %r", name, event.exception)

    # --- alert deliveries between ticks --------------------------------------

    def _retry_deliveries(self) -> None:
        """Send due pending deliveries between ticks; back off while that fails."""
        delay = DELIVERY_RETRY_SECONDS
        while not self._stopping.wait(delay * random.uniform(0.9, 1.1)):
            try:
                with Archive(self.db_path) as archive:
                    notify.deliver_pending(archive, self.config, due_only=True)
                delay = DELIVERY_RETRY_SECONDS
            except Exception as exc:  # noqa: BLE001 - a notifier fault must never stop the daemon
                delay = min(delay * 2, DELIVERY_RETRY_MAX_SECONDS)
                log.error("retrying pending deliveries failed: %s (next try in %d s)", exc, delay)

    # --- stopping -------------------------------------------------------------

    def _shutdown(self) -> None:
        """No new crawls; give running ones `stop_timeout` seconds, then kill them."""
        with self._lock:
            self._stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + self.stop_timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._children:
                    return
            time.sleep(0.1)
        with self._lock:
            for name, child in self._children.items():
                log.warning("%s: crawl still running at shutdown; killed", name)
                _kill_group(child)


def _path_digest(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]


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


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)  # the child leads its own process group
    except ProcessLookupError:
        pass
