"""Source locks on real files: what a crawl may take, and what it must not be refused.

(The lock files' behaviour across real `tidings run` processes is in
test_overlapping_runs_take_locks_in_order.py, test_concurrency.py and
test_many_sources_few_descriptors.py; these are the edges of the registry
under which holders are read and written.)
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass

from monitor.locks import SourceLocks


@dataclass(frozen=True)
class Named:
    name: str


def _take_all(db, names: list[str], start, results) -> None:
    start.wait()
    with SourceLocks(db) as locks:
        taken, busy = locks.acquire([Named(n) for n in names], wait=0)
        results.put((len(taken), len(busy)))


def test_processes_that_will_not_wait_still_get_their_free_sources_while_others_take_theirs(tmp_path):
    """The daemon's batches take locks with lock_wait 0: another process busy
    taking its own thousands of locks is no reason to call a free source busy."""
    context = multiprocessing.get_context("fork")
    db = tmp_path / "archive.db"
    start, results = context.Barrier(3), context.Queue()
    procs = [context.Process(target=_take_all, args=(db, [f"{who}{i}" for i in range(2000)], start, results))
             for who in ("cron", "batch", "other")]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(30)
    assert outcomes == [(2000, 0)] * 3


def test_a_source_named_like_the_registry_is_locked_like_any_other(tmp_path):
    db = tmp_path / "archive.db"
    sources = [Named("registry"), Named("crawlers"), Named("senders"), Named("bbc")]
    with SourceLocks(db) as locks:
        taken, busy = locks.acquire(sources, wait=0.5)
        assert busy == [] and taken == sources
        with SourceLocks(db) as other:  # held: another holder is refused every one of them
            started = time.monotonic()
            assert other.acquire(sources, wait=0) == ([], sources)
            assert time.monotonic() - started < 5
    with SourceLocks(db) as again:  # released
        assert again.acquire(sources, wait=0) == (sources, [])
