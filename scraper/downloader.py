"""Scrapy's downloader, holding every host to `per_domain` requests at a time.

A download slot (one per host) lets `concurrency` requests transfer at
once: it takes queued requests while `len(slot.transferring)` is below
that.  Since Scrapy 2.14 (scrapy/scrapy#7008) a request taken from the
queue is handed to an asyncio task, and only that task, when it first runs,
adds the request to `slot.transferring`.  The loop that takes requests runs
before any of those tasks, so it sees an empty `transferring` and takes the
whole queue.  With a `delay` it stops after one request (the next waits for
the delay), which hides the fault; with `delay = 0` every request queued for
a host goes out at once, whatever `per_domain` says: eight article pages of
one site, all at the same moment, with `per_domain = 1` (measured on a local
server: eight in flight; tests/test_per_domain_concurrency.py).

`PoliteDownloader` (the DOWNLOADER setting, scraper.settings) counts a
request as transferring from the moment it is taken from the queue, which
is what Scrapy's own accounting assumes; the task still adds it (a set:
no change) and removes it when the download ends, as before.

This relies on a private detail of Scrapy (`Downloader._wait_for_download`,
called when a request is taken from the queue): there is no public hook
between the queue and the transfer.  So it applies only to the Scrapy
releases it was read against (`VERIFIED_SCRAPY`) while that method still
exists, and tests/test_scrapy_internals.py fails when the installed Scrapy
is outside them, or when Scrapy itself stops sending a host's queue at once
(then this module can go).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader import Downloader

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Slot

# (major, minor) of the Scrapy releases whose Downloader._process_queue was read and found to
# take queued requests while len(slot.transferring) < concurrency, handing each to
# `_wait_for_download(slot, request, queue_dfd)`, a coroutine whose download adds the request
# to `slot.transferring` and removes it when done.  Add a release only after reading it.
VERIFIED_SCRAPY = frozenset({(2, 19)})


def counts_transfers_early() -> bool:
    """Whether the installed Scrapy is one the fix was checked against, unchanged in what it relies on."""
    import scrapy

    release = tuple(int(part) for part in scrapy.__version__.split(".")[:2] if part.isdigit())
    wait = getattr(Downloader, "_wait_for_download", None)
    return release in VERIFIED_SCRAPY and wait is not None and inspect.iscoroutinefunction(wait)


class PoliteDownloader(Downloader):
    """Scrapy's downloader; a request taken from a slot's queue counts against the slot's concurrency at once."""

    _early = counts_transfers_early()

    def _wait_for_download(self, slot: "Slot", request: "Request", queue_dfd: Any):  # type: ignore[override]
        if self._early:
            slot.transferring.add(request)  # before the loop taking requests looks again
        return super()._wait_for_download(slot, request, queue_dfd)
