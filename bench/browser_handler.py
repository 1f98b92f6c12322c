"""What installing the browser handler costs the HTTP sources of a run, and what a browser page costs.

    python -m bench.browser_handler [--sizes 1,200] [--repeats 5]

Four crawls of the same N listing pages of the fixture site (bench.site),
with the project's Scrapy settings, interleaved, medians of `--repeats`:

- `asyncio`: Tidings today (Scrapy's default asyncio reactor, Scrapy's HTTP handler);
- `epoll`: the same on Twisted's epoll reactor, to show what the asyncio
  reactor (which scrapy-playwright requires) costs, if anything;
- `handler`: asyncio with `scraper.browser.browser_settings` (the Playwright
  driver starts with the crawl) but every page over HTTP: what a run's HTTP
  sources pay when it also has browser sources;
- `stock-handler`: the same with scrapy-playwright's own handler as its
  README names it (one per scheme, the crawl waiting for its driver);
- `handler+1`: `handler` plus page 0 rendered once more in Chromium: the
  browser's own cost (launch, one page).

"HTTP pages read by" is the time from the crawl's creation to its last HTTP
page parsed: what the HTTP sources of a run with browser sources wait.
Ratios are against `asyncio` measured in the same run.  Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from bench.common import PYTHON, Measure, fixture_site, machine, measure, table

MODES = ("asyncio", "epoll", "stock-handler", "handler", "handler+1")
STOCK = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def crawl(mode: str, urls: list[str], executable: str | None) -> None:
    """One crawl in this process (run as a child by `main`)."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.setdict({"ITEM_PIPELINES": {}, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                      "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
                      "LOG_LEVEL": "ERROR"}, priority="cmdline")
    if mode == "epoll":
        settings.set("TWISTED_REACTOR", "twisted.internet.epollreactor.EPollReactor", priority="cmdline")
    if "handler" in mode:
        from scraper.browser import browser_settings

        settings.setdict(browser_settings(executable, pages=2), priority="cmdline")
    if mode == "stock-handler":
        settings.set("DOWNLOAD_HANDLERS_BASE", {"http": STOCK, "https": STOCK}, priority="cmdline")
    seen: list[int] = []
    began = time.monotonic()
    http_done = [0.0]

    class Bench(scrapy.Spider):
        name = "bench"

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)
            if mode == "handler+1":
                from scraper.browser_steps import BrowserSteps, browser_meta

                yield scrapy.Request(urls[0], dont_filter=True, meta=browser_meta(BrowserSteps(timeout=30)))

        def parse(self, response):
            seen.append(len(response.css("div.views-row")))
            if "playwright" not in response.flags:
                http_done[0] = time.monotonic() - began

    process = CrawlerProcess(settings)
    process.crawl(Bench)
    process.start()
    expected = len(urls) + (mode == "handler+1")
    if len(seen) != expected or not all(seen):
        raise SystemExit(f"{mode}: {len(seen)} of {expected} pages read, items {seen[:5]}")
    with open(os.environ["BENCH_HTTP_DONE"], "a") as out:
        out.write(f"{http_done[0]}\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,200")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        job = json.loads(args.child)
        crawl(job["mode"], job["urls"], job["executable"])
        return
    from scraper.browser import find_browser

    executable = find_browser()
    print(machine())
    print(f"browser: {executable}")
    for size in [int(s) for s in args.sizes.split(",")]:
        with fixture_site(size) as site:
            urls = site.urls()
            runs: dict[str, list[Measure]] = {mode: [] for mode in MODES}
            http_done: dict[str, list[float]] = {mode: [] for mode in MODES}
            for _ in range(args.repeats):
                for mode in MODES:
                    job = json.dumps({"mode": mode, "urls": urls, "executable": executable})
                    with tempfile.NamedTemporaryFile("r") as done:
                        runs[mode].append(measure([PYTHON, "-m", "bench.browser_handler", "--child", job],
                                                  env={"BENCH_HTTP_DONE": done.name}))
                        http_done[mode].append(float(done.read()))
        base = Measure.median(runs["asyncio"])
        rows = []
        for mode in MODES:
            m = Measure.median(runs[mode])
            done = statistics.median(http_done[mode])
            rows.append([mode, size, done, m.wall, m.cpu, m.rss, m.pss, m.wall / base.wall, m.cpu / base.cpu])
        print()
        print(table(["crawl", "pages", "HTTP pages read by, s", "wall s", "CPU s", "peak RSS MiB (tree)", "peak PSS MiB (tree)", "wall ratio", "CPU ratio"], rows))


if __name__ == "__main__":
    sys.exit(main())
