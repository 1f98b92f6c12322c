"""A minimal Scrapy crawl through scraper.browser, run in its own process by the browser tests.

Scrapy's reactor cannot restart, so each crawl is a process, as in `tidings
run`.  Reads a job (JSON) on stdin, crawls every request in one crawl with
the project's settings plus `browser_settings` (when any request renders in
a browser), and prints one JSON object: for each request's key, the
(text, link) pairs its `select` CSS selector finds in the page, or the
error, and the seconds it took.

    {"browser": {"executable": ..., "pages": 2, "block_media": true} | null,
     "requests": [{"key": .., "url": .., "select": .., "steps": {..} | null}]}
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    job = json.load(sys.stdin)
    results = crawl(job)
    results["_imported_playwright"] = "playwright" in sys.modules
    print(json.dumps(results), flush=True)


def _timed(open_page):
    """The page's init callback, noting when the page opened: its budget starts then."""
    async def opened(page, request):
        request.meta["started"] = time.monotonic()
        await open_page(page, request)

    return opened


def crawl(job: dict) -> dict:
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from scraper.browser import browser_settings
    from scraper.browser_steps import BrowserSteps, browser_meta
    from scraper.errors import describe_failure

    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.setdict({"ITEM_PIPELINES": {}, "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
                      "LOG_LEVEL": "WARNING", "RETRY_TIMES": 0}, priority="cmdline")
    if job.get("browser"):
        settings.setdict(browser_settings(**job["browser"]), priority="cmdline")
    results: dict = {}

    class RenderSpider(scrapy.Spider):
        name = "render"

        async def start(self):
            for entry in job["requests"]:
                meta = {"entry": entry, "started": time.monotonic()}
                if entry.get("steps") is not None:
                    meta.update(browser_meta(BrowserSteps(**entry["steps"])))
                    meta["playwright_page_init_callback"] = _timed(meta["playwright_page_init_callback"])
                yield scrapy.Request(entry["url"], callback=self.parse, errback=self.failed,
                                     meta=meta, dont_filter=True)

        def parse(self, response):
            entry = response.meta["entry"]
            links = response.css(entry["select"])
            results[entry["key"]] = {
                "items": [[" ".join(" ".join(a.css("::text").getall()).split()), response.urljoin(a.attrib["href"])]
                          for a in links],
                "error": None,
                "flags": list(response.flags),
                "seconds": time.monotonic() - response.meta["started"],
            }

        def failed(self, failure):
            request = failure.request
            entry = request.meta["entry"]
            results[entry["key"]] = {"items": [], "error": describe_failure(failure, request), "flags": [],
                                     "seconds": time.monotonic() - request.meta["started"]}

    process = CrawlerProcess(settings, install_root_handler=True)
    process.crawl(RenderSpider)
    print("CRAWLING", flush=True, file=sys.stderr)
    process.start()
    return results


if __name__ == "__main__":
    main()
