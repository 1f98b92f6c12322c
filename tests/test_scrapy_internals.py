"""The private details of Scrapy that Tidings relies on, checked against the installed Scrapy.

scraper/preload.py answers scrapy.utils.deprecate's caller lookup from the
frame instead of `inspect.stack()` (about 50 ms of every start), and
scraper/downloader.py counts a request against its host's concurrency as
soon as it leaves the slot's queue (else, with no delay, Scrapy sends a
host's whole queue at once).  Scrapy has no hook for either, so these tests
fail loudly when a Scrapy upgrade changes what a patch relies on, or makes
it pointless, instead of letting it decay.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

from scraper import preload
from tests.helpers import ROOT

# Imports Scrapy's HTTP handler in a fresh interpreter, with or without the
# preload, counting calls of inspect.stack and noting the module every
# deprecated alias of the TLS modules ends up in.
PROBE = """
import inspect, json, sys
calls = []
real_stack = inspect.stack
def counting_stack(*args, **kwargs):
    calls.append(1)
    return real_stack(*args, **kwargs)[1:]  # as seen from the caller: without this wrapper's frame
inspect.stack = counting_stack
if sys.argv[1] == "preload":
    from scraper.preload import load_crawl_modules
    load_crawl_modules()
else:
    import importlib
    importlib.import_module("scrapy.core.downloader.handlers.http11")
from scrapy.core.downloader import contextfactory, tls
from scrapy.utils import deprecate
aliases = {f"{m.__name__}.{name}": value.__module__ for m in (tls, contextfactory)
           for name, value in vars(m).items() if type(value).__name__ == "DeprecatedClass"}
print(json.dumps({"stack_calls": len(calls), "aliases": aliases, "restored": deprecate.inspect is inspect}))
"""


def probe(mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_installed_scrapy_is_one_the_preload_patch_was_checked_against():
    import scrapy

    assert preload.frame_lookup_applies(), (
        f"Scrapy {scrapy.__version__} is not in scraper.preload.VERIFIED_SCRAPY "
        f"{sorted(preload.VERIFIED_SCRAPY)}, or scrapy.utils.deprecate no longer uses the real inspect: "
        "read its create_deprecated_class, then add the release or drop the patch")


def test_create_deprecated_class_still_looks_up_its_caller_through_inspect():
    from scrapy.utils import deprecate

    assert deprecate.inspect is inspect
    names = set(deprecate.create_deprecated_class.__code__.co_names)
    assert {"inspect", "stack", "getmodule"} <= names, names


def test_the_preload_skips_inspect_stack_and_gives_every_alias_the_same_module():
    plain, preloaded = probe("plain"), probe("preload")
    assert plain["aliases"], "Scrapy's TLS modules define no deprecated alias any more: drop the patch"
    assert plain["stack_calls"] > 0, "Scrapy no longer calls inspect.stack on import: drop the patch"
    assert preloaded["stack_calls"] == 0
    assert preloaded["aliases"] == plain["aliases"]
    assert preloaded["restored"] and plain["restored"]


# scraper/downloader.py: a bare Scrapy crawl of four slow pages of one host, with
# CONCURRENT_REQUESTS_PER_DOMAIN = 1 and no delay, through the downloader named.
BURST_PROBE = """
import sys
import scrapy
from scrapy.crawler import CrawlerProcess

url, downloader = sys.argv[1], sys.argv[2]

class Pages(scrapy.Spider):
    name = "pages"

    async def start(self):
        for n in range(4):
            yield scrapy.Request(f"{url}?page={n}", dont_filter=True)

    def parse(self, response):
        pass

process = CrawlerProcess({"DOWNLOADER": downloader, "CONCURRENT_REQUESTS": 8, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                          "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False, "LOG_ENABLED": False,
                          "TELNETCONSOLE_ENABLED": False})
process.crawl(Pages)
process.start()
"""


def most_at_once(site, downloader: str) -> int:
    from tests.helpers import Page

    site.pages = {f"/slow?page={n}": Page("<html><body>slow</body></html>", delay=0.2) for n in range(4)}
    site.most_at_once = 0
    proc = subprocess.run([sys.executable, "-c", BURST_PROBE, site.url("/slow"), downloader], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert len(site.requests) >= 4
    site.requests.clear()
    return site.most_at_once


def test_the_installed_scrapy_is_one_the_downloader_fix_was_checked_against():
    import scrapy

    from scraper import downloader

    assert downloader.counts_transfers_early(), (
        f"Scrapy {scrapy.__version__} is not in scraper.downloader.VERIFIED_SCRAPY "
        f"{sorted(downloader.VERIFIED_SCRAPY)}, or its Downloader has no coroutine _wait_for_download: "
        "read its _process_queue, then add the release or drop the fix")


def test_scrapys_own_downloader_still_sends_a_hosts_queue_at_once_and_tidings_does_not(site):
    assert most_at_once(site, "scrapy.core.downloader.Downloader") > 1, (
        "Scrapy now holds a host to CONCURRENT_REQUESTS_PER_DOMAIN with no delay: drop scraper/downloader.py")
    assert most_at_once(site, "scraper.downloader.PoliteDownloader") == 1
