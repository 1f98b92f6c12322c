"""Crawling many sources on several cores: k processes, one Scrapy each.

One Scrapy process spends its time in Python (parsing, extraction, the
engine), so with hundreds of sources and no politeness delay it is bound to
one core.  Here `tidings run` itself crawls and forks k-1 worker processes
(forked, so settings need no pickling and the imported modules' memory is
shared) that fetch and extract only.  Every process takes its next source
from one shared list when it has room for another request, so the busiest
process, the one that also records, simply takes fewer.  Each finished
`SourceCrawl` a worker sends back is recorded by the parent in its reactor
thread, between its own crawls (one writer: no processes queueing on
SQLite's write lock, each source's crawl still one transaction, and
`after_record` hooks run where they were registered).

Politeness is shared, not multiplied: with k processes each gets 1/k of
`concurrency` and `per_domain` and k times the `delay`, so a host sees the
same load as from one process.  Workers die with their parent (Linux
PR_SET_PDEATHSIG): a killed `tidings run` leaves no crawler behind, and a
crawl cut short rolls back.  A worker that dies loses only the sources it
was fetching (reported as unfinished); the others take the rest.

Sources rendered in a browser are never shared: `tidings run` crawls them
itself, with the run's one browser, whose Playwright driver starts only
after the workers are forked (a worker forked from a process running the
driver would inherit its pipe and keep the driver alive past the run).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
from contextlib import contextmanager
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import Callable, Iterator, Sequence

from monitor.children import die_with_parent
from monitor.config import CrawlSettings, Source
from monitor.crawl import crawl_sources
from monitor.errors import TidingsError
from scraper.items import SourceCrawl

log = logging.getLogger("tidings.run")

# Below this many sources per process, another process costs more than it saves
# (measured: at 200 sources two processes were no faster than one and took
# 20 MiB more PSS; see docs/benchmarks.md).
MIN_SOURCES_PER_WORKER = 500
MAX_WORKERS = 4


def worker_count(sources: int, crawl: CrawlSettings) -> int:
    """How many processes to crawl with (this one included): the configured `processes`, else automatic.

    Automatic: one per core (up to MAX_WORKERS) when there are many sources,
    no AutoThrottle (which adapts per process) and enough `per_domain` to share.
    """
    if crawl.processes:
        # Never more processes than `per_domain` or `concurrency`: each process gets at
        # least one request at a time, so more would multiply what a host sees.
        allowed = min(crawl.processes, crawl.per_domain, crawl.concurrency)
        if allowed < crawl.processes:
            log.warning("[crawl] processes = %d, but per_domain = %d and concurrency = %d allow %d"
                        " (each process makes at least one request at a time)",
                        crawl.processes, crawl.per_domain, crawl.concurrency, allowed)
        return max(1, min(allowed, sources))
    if not sys.platform.startswith("linux") or crawl.autothrottle:
        return 1
    cores = len(os.sched_getaffinity(0))
    return max(1, min(cores, MAX_WORKERS, sources // MIN_SOURCES_PER_WORKER, crawl.per_domain,
                      crawl.concurrency))


def share(crawl: CrawlSettings, workers: int) -> CrawlSettings:
    """One process's part of the politeness budget."""
    return replace(
        crawl,
        concurrency=max(1, crawl.concurrency // workers),
        per_domain=max(1, crawl.per_domain // workers),
        delay=crawl.delay * workers,
    )


# A claim holds the shared lock for microseconds; a lock held longer than this
# belonged to a process killed inside it, and waiting on would hang the run.
CLAIM_LOCK_TIMEOUT = 10.0

# crawl_here(settings, claim, on_start, workers_running): workers_running() says whether a
# worker may still send a crawl (a run following articles keeps its crawl open until then).
CrawlHere = Callable[[CrawlSettings, Callable[[], "Source | None"], Callable[[], None], Callable[[], bool]], list]


def crawl_in_processes(
    sources: Sequence[Source],
    crawl: CrawlSettings,
    processes: int,
    *,
    crawl_here: CrawlHere,
    on_crawl: Callable[[SourceCrawl], None],
    validators: dict | None = None,
) -> list:
    """Crawl `sources` here and in `processes - 1` forked workers; return what this process's crawl returned.

    `crawl_here(settings, claim, on_start)` crawls in this process (recording
    as it goes) the sources `claim()` hands out, and calls `on_start` in its
    reactor.  `on_crawl` records a worker's crawl, in this thread, as it
    arrives.  A worker that died says nothing more: the caller reports the
    sources it had taken as unfinished.
    """
    context = multiprocessing.get_context("fork")
    part = share(crawl, processes)
    # Imported once here, so the forked workers share the modules instead of
    # each importing Scrapy anew (and frozen: see scraper.preload).
    from scraper.preload import load_crawl_modules

    load_crawl_modules()
    shared = SharedSources(sources, context)
    with Workers(context, processes - 1, (part, validators or {}, shared.take), on_crawl) as workers:
        stop_signals = StopSignals(first=shared.close, again=workers.kill)

        def started() -> None:
            from twisted.internet import reactor

            workers.listen()
            # Later, not now: Scrapy installs its own handlers as the reactor starts; ours wrap them.
            reactor.callLater(0, stop_signals.install)

        try:
            try:
                results = crawl_here(part, shared.take, started, workers.running)
            except TidingsError:
                # One of this process's crawls could not be recorded: as one process
                # would, record every other crawl before failing.
                shared.close()
                with contextlib.suppress(Exception):
                    workers.finish()
                raise
            finally:
                shared.close()
            workers.finish()
        finally:
            stop_signals.uninstall()
    return results


class SharedSources:
    """The sources every process takes from, one at a time, through a counter in shared memory."""

    def __init__(self, sources: Sequence[Source], context):
        self.sources = sources
        self.taken = context.Value("l", 0)
        self.closed = context.RawValue("b", 0)  # no lock: set from a signal handler

    def take(self) -> Source | None:
        """The next source no process has taken yet; None when none is left."""
        with self._counter() as taken:
            index = len(self.sources) if taken is None or self.closed.value else taken.value
            if index >= len(self.sources):
                return None
            taken.value = index + 1
        return self.sources[index]

    def close(self) -> None:
        """No process starts another source: this one's crawl has ended (at its natural end,
        a no-op), or it was told to stop (SIGTERM, Ctrl-C: the workers stop with it instead of
        crawling on).  Safe in a signal handler: one byte of shared memory, no lock."""
        self.closed.value = 1

    @contextmanager
    def _counter(self) -> Iterator:
        """The counter, locked; None if a process killed inside the lock left it locked
        (then no source is handed out: those left are reported unfinished, never dropped)."""
        lock = self.taken.get_lock()
        if not lock.acquire(timeout=CLAIM_LOCK_TIMEOUT):
            yield None
            return
        try:
            yield self.taken
        finally:
            lock.release()


class Workers:
    """Forked worker processes and the pipes their crawls come back on."""

    def __init__(self, context, count: int, args: tuple, on_crawl: Callable[[SourceCrawl], None]):
        self.context = context
        self.count = count
        self.args = args
        self.on_crawl = on_crawl
        self.error: BaseException | None = None
        self.processes: list = []
        self.inboxes: list[_Inbox] = []

    def __enter__(self) -> "Workers":
        try:
            for i in range(self.count):
                receive, send = self.context.Pipe(duplex=False)
                self.inboxes.append(_Inbox(receive, self._handle))
                process = self.context.Process(target=_worker, args=(*self.args, send, os.getpid()),
                                               name=f"tidings-worker-{i}", daemon=True)
                try:
                    process.start()
                finally:
                    send.close()  # the worker holds the only writing end: its death reads as end of file
                self.processes.append(process)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def listen(self) -> None:
        """In this process's reactor: record each worker's crawl as it arrives."""
        from twisted.internet import reactor

        for inbox in self.inboxes:
            reactor.addReader(inbox)
            inbox.listening = True

    def running(self) -> bool:
        """Whether a worker may still send a crawl (its pipe is open)."""
        return any(not inbox.closed for inbox in self.inboxes)

    def finish(self) -> None:
        """After this process's own crawl: record what the workers still send, until they are done."""
        self._unlisten()
        while True:
            open_inboxes = {inbox.conn: inbox for inbox in self.inboxes if not inbox.closed}
            if not open_inboxes:
                break
            for conn in wait(list(open_inboxes)):
                open_inboxes[conn].doRead()
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Join the workers (done, or killed when the run failed) and close the pipes."""
        self._unlisten()
        failed = self.error is not None or any(not inbox.closed for inbox in self.inboxes)
        for process in self.processes:
            if failed:
                process.kill()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
        for inbox in self.inboxes:
            inbox.close()

    def kill(self) -> None:
        """Kill the workers now (a forced stop): what they hold is reported unfinished.
        Safe in a signal handler."""
        for process in self.processes:
            process.kill()

    def _unlisten(self) -> None:
        listening = [inbox for inbox in self.inboxes if inbox.listening]
        if listening:
            from twisted.internet import reactor

            for inbox in listening:
                reactor.removeReader(inbox)
                inbox.listening = False

    def _handle(self, kind: str, payload) -> None:
        if kind == "error":
            self.error = self.error or payload
            return
        # Each crawl is its own transaction, as in one process: one the archive refused
        # fails the run (raised by finish()) but keeps no other from being recorded.
        try:
            self.on_crawl(payload)
        except Exception as exc:  # noqa: BLE001 - the first is raised by finish()
            self.error = self.error or exc


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """SIGTERM and Ctrl-C while workers crawl, as one process would take them.

    Scrapy's handlers stop only this process: at the first signal gracefully,
    at the next at once, and after its crawl has ended not at all.  Wrapped,
    the first signal also stops every process from taking another source (at
    once, not when this process's own pages have come in), and the next one
    kills the workers too, so that a forced stop is not left waiting for the
    pages they hold.
    """

    def __init__(self, *, first: Callable[[], None], again: Callable[[], None]):
        self.first = first
        self.again = again
        self.received = 0
        self.inner: dict[int, object] = {}
        self.installed = False

    def install(self) -> None:
        """Wrap the handlers now in place (and those they put in their place when called)."""
        self.installed = True
        for signum in STOP_SIGNALS:
            current = signal.getsignal(signum)
            if current != self._handle:
                self.inner[signum] = current
                signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        """Put back the handlers ours wrapped."""
        self.installed = False
        for signum, inner in self.inner.items():
            if signal.getsignal(signum) == self._handle:
                signal.signal(signum, inner)

    def _handle(self, signum: int, frame) -> None:
        self.received += 1
        (self.first if self.received == 1 else self.again)()
        inner = self.inner.get(signum)
        if callable(inner):
            inner(signum, frame)
        elif inner == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
        if self.installed:
            self.install()


class _Inbox:
    """One worker's pipe, read by the reactor (a Twisted read descriptor) or by `Workers.finish`."""

    def __init__(self, conn: Connection, handle: Callable[[str, object], None]):
        self.conn = conn
        self.handle = handle
        self.closed = False
        self.listening = False

    def fileno(self) -> int:
        return -1 if self.closed else self.conn.fileno()

    def doRead(self) -> None:
        """One message; end of file (the worker finished or died) closes the inbox."""
        if self.closed:
            return
        try:
            kind, payload = self.conn.recv()
        except (EOFError, OSError):
            self.close()
            return
        self.handle(kind, payload)

    def close(self) -> None:
        if self.listening:
            from twisted.internet import reactor

            reactor.removeReader(self)
            self.listening = False
        if not self.closed:
            self.closed = True
            self.conn.close()

    def connectionLost(self, reason) -> None:
        """The reactor let go of us (it does so for every reader as it stops): `finish` reads on."""
        self.listening = False

    def logPrefix(self) -> str:
        return "tidings-worker"


def _worker(crawl, validators, claim, send: Connection, parent: int) -> None:
    """A worker's crawl: only what `claim` hands out (never a browser source: those are the parent's)."""
    die_with_parent(parent)()
    try:
        crawl_sources((), crawl, claim=claim, on_item=lambda item: send.send(("crawl", item)),
                      validators=validators, keep=False)
    except TidingsError as exc:
        send.send(("error", exc))
    except Exception as exc:  # noqa: BLE001 - reported as one line by the parent
        send.send(("error", TidingsError(f"a crawl worker failed: {exc}")))
    finally:
        send.close()
