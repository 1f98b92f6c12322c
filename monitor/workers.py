"""Crawling many sources on several cores: worker processes, one Scrapy each.

One Scrapy process spends its time in Python (parsing, extraction, the
engine), so with hundreds of sources and no politeness delay it is bound to
one core.  Here the sources are split over worker processes (forked, so
settings need no pickling) that fetch and extract only; each finished
`SourceCrawl` comes back to the parent, which records it (one writer: no
workers queueing on SQLite's write lock, each source's crawl still one
transaction, and `after_record` hooks run where they were registered).

Politeness is shared, not multiplied: with k workers each gets 1/k of
`concurrency` and `per_domain` and k times the `delay`, so a host sees the
same load as from one process.  Workers die with their parent (Linux
PR_SET_PDEATHSIG): a killed `tidings run` leaves no crawler behind, and a
crawl cut short rolls back.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sys
from dataclasses import replace
from typing import Callable, Sequence

from monitor.children import die_with_parent
from monitor.config import CrawlSettings, Source
from scraper.items import SourceCrawl

# Below this many sources per worker, another process costs more than it saves
# (measured: at 200 sources two workers were slower than one; see docs/benchmarks.md).
MIN_SOURCES_PER_WORKER = 500
MAX_WORKERS = 4


def worker_count(sources: int, crawl: CrawlSettings) -> int:
    """How many processes to crawl with: the configured `processes`, else automatic.

    Automatic: one per core (up to MAX_WORKERS) when there are many sources,
    no AutoThrottle (which adapts per process) and enough `per_domain` to share.
    """
    if crawl.processes:
        return max(1, min(crawl.processes, sources))
    if not sys.platform.startswith("linux") or crawl.autothrottle:
        return 1
    cores = len(os.sched_getaffinity(0))
    return max(1, min(cores, MAX_WORKERS, sources // MIN_SOURCES_PER_WORKER, crawl.per_domain))


def share(crawl: CrawlSettings, workers: int) -> CrawlSettings:
    """One worker's part of the politeness budget."""
    return replace(
        crawl,
        concurrency=max(1, crawl.concurrency // workers),
        per_domain=max(1, crawl.per_domain // workers),
        delay=crawl.delay * workers,
    )


def split(sources: Sequence[Source], workers: int) -> list[tuple[Source, ...]]:
    """Round-robin, so each worker gets a fair share of every host."""
    return [tuple(sources[i::workers]) for i in range(workers)]


def crawl_in_workers(
    sources: Sequence[Source],
    crawl: CrawlSettings,
    workers: int,
    *,
    on_crawl: Callable[[SourceCrawl], None],
    validators: dict | None = None,
) -> None:
    """Crawl `sources` over `workers` processes, handing each finished crawl to `on_crawl`.

    `on_crawl` runs in this process, as crawls arrive.  A worker that died
    says nothing more: the caller reports its missing sources as unfinished.
    """
    # Imported once here, so the forked workers share the modules instead of
    # each importing Scrapy anew.
    from scraper.preload import load_crawl_modules

    load_crawl_modules()

    context = multiprocessing.get_context("fork")
    results = context.Queue()
    part = share(crawl, workers)
    processes = [
        context.Process(
            target=_worker,
            args=(shard, part, validators or {}, results, os.getpid()),
            name=f"tidings-worker-{i}",
            daemon=True,
        )
        for i, shard in enumerate(split(sources, workers))
    ]
    for process in processes:
        process.start()
    running = len(processes)
    error: BaseException | None = None
    try:
        while running:
            try:
                kind, payload = results.get(timeout=0.5)
            except queue.Empty:
                if not any(p.is_alive() for p in processes):
                    break  # died without saying so (killed)
                continue
            if kind == "done":
                running -= 1
            elif kind == "error":
                error = error or payload
            else:
                on_crawl(payload)
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
    if error is not None:
        raise error


def _worker(sources, crawl, validators, results, parent: int) -> None:
    die_with_parent(parent)()
    from monitor.errors import TidingsError
    from monitor.run import crawl_sources

    try:
        crawl_sources(sources, crawl, on_item=lambda item: results.put(("crawl", item)), validators=validators)
    except TidingsError as exc:
        results.put(("error", exc))
    except Exception as exc:  # noqa: BLE001 - reported as one line by the parent
        results.put(("error", TidingsError(f"a crawl worker failed: {exc}")))
    finally:
        results.put(("done", None))
        results.close()
        results.join_thread()
