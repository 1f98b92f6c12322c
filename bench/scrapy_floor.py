"""The floor on Scrapy: the floor's work done by the barest Scrapy spider.

The same job as `bench.floor` (conditional GET with the stored ETag, lxml
parse of each changed page, set difference of its item links against a
JSON state file) but fetched by Scrapy 2.x with nothing the job does not
need: no middleware at all, no extension, no pipeline, no stats, no
logging below ERROR, one callback that keeps the link set.  Optionally
sharded over forked processes, as `tidings run` shards its sources.

This is the least any Scrapy-based watcher can cost on this machine; set
beside the floor and Tidings it splits Tidings' gap to the floor into
Scrapy's share (this row / the floor) and Tidings' own (Tidings / this row).

    python -m bench.scrapy_floor --state STATE.json --urls-file FILE [--processes K]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path
from queue import Empty

from bench.floor import item_links, watch

# Everything Scrapy enables by default, off: the job is GET, 304 or parse, diff.
BARE_SETTINGS = {
    "ROBOTSTXT_OBEY": False,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "ERROR",
    "LOG_INSTALL_ROOT_HANDLER": False,
    "STATS_CLASS": "scrapy.statscollectors.DummyStatsCollector",
    "EXTENSIONS_BASE": {},
    "DOWNLOADER_MIDDLEWARES_BASE": {},
    "SPIDER_MIDDLEWARES_BASE": {},
    "ITEM_PIPELINES": {},
    "CONCURRENT_ITEMS": 1,
    "WARN_ON_GENERATOR_RETURN_VALUE": False,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
}


def crawl(urls: list[str], etags: dict[str, str], connections: int) -> dict[str, tuple[int, str | None, list[str]]]:
    """Every URL's (status, ETag, item links), fetched by one Scrapy process."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    results: dict[str, tuple[int, str | None, list[str]]] = {}

    class FloorSpider(scrapy.Spider):
        name = "floor"

        async def start(self):
            for url in urls:
                headers = {"If-None-Match": etags[url]} if url in etags else None
                yield scrapy.Request(url, headers=headers, dont_filter=True, callback=self.parse_page,
                                     meta={"url": url})

        def parse_page(self, response):
            url = response.meta["url"]
            if response.status == 304:
                results[url] = (304, None, [])
            else:
                etag = response.headers.get(b"ETag")
                results[url] = (response.status, etag.decode("latin-1") if etag else None,
                                sorted(item_links(response.body)))
            return ()

    settings = {**BARE_SETTINGS, "CONCURRENT_REQUESTS": connections, "CONCURRENT_REQUESTS_PER_DOMAIN": connections}
    process = CrawlerProcess(settings)
    process.crawl(FloorSpider)
    process.start()
    return results


def crawl_sharded(urls: list[str], etags: dict[str, str], connections: int, processes: int) -> dict:
    """`crawl` over forked processes, each with its share of the connections."""
    if processes <= 1:
        return crawl(urls, etags, connections)
    import scrapy.crawler  # noqa: F401  (imported once, before forking, as Tidings does)

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    share = max(1, connections // processes)
    children = [context.Process(target=lambda part=urls[i::processes]: queue.put(crawl(part, etags, share)))
                for i in range(processes)]
    for child in children:
        child.start()
    results: dict = {}
    pending = len(children)
    while pending:
        try:
            results.update(queue.get(timeout=5 if any(c.is_alive() for c in children) else 10))
            pending -= 1
        except Empty:
            if not any(c.is_alive() for c in children):
                raise RuntimeError("a bare-Scrapy process died without its results") from None
    for child in children:
        child.join()
    return results


def run(urls: list[str], state_path: Path, connections: int = 16, processes: int = 1) -> dict:
    return watch(state_path, lambda etags: crawl_sharded(urls, etags, connections, processes))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The floor's work on the barest Scrapy spider.")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--urls-file", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args(argv)
    urls = args.urls_file.read_text().split()
    json.dump(run(urls, args.state, args.connections, args.processes), sys.stdout)
    print()


if __name__ == "__main__":
    main()
