"""Extraction speed with configured selectors: records per second, and the cost over a bare parse.

Two pages: the seed fixture (the ten UN releases in Drupal markup, tests/pages.py)
and a ~200 KB listing of the benchmark site's markup.  Reported: median
milliseconds per page of a bare lxml parse (the reference) and of
`extract()` with the configured selectors (parse included), records per
second, and the ratio extract / parse.  Automatic detection is measured by
bench/extraction_speed.py (issue 6).

    python -m bench.extraction [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from lxml import etree

from bench.common import machine, table
from bench.site import SELECTORS, render_item, render_page
from scraper.extract import Selectors, extract

SIZE = 200_000


def seed_page() -> str:
    sys.path.insert(0, "tests")
    from pages import Listing  # the test suite's Drupal fixture

    return Listing().render()


def big_page(size: int = SIZE) -> str:
    """The benchmark site's listing, grown with more releases to about `size` bytes."""
    page = render_page(0, 20).decode()
    rows, n = [], 0
    while len(page) + sum(map(len, rows)) < size:
        rows.append(render_item(0, 1000 + n, 20 + n))
        n += 1
    marker = '\n    </div>\n    <nav class="pager"'
    return page.replace(marker, "".join(rows) + marker, 1)


def timed(fn, repeat: int) -> float:
    """Median seconds of one call."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Extraction speed with configured selectors.")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    selectors = Selectors(SELECTORS["item"], SELECTORS["headline"], SELECTORS["summary"], SELECTORS["link"],
                          SELECTORS["date"])
    parser_ = etree.HTMLParser(recover=True)
    rows = []
    for name, page in (("seed fixture", seed_page()), ("200 KB listing", big_page())):
        body = page.encode()
        records = len(extract(body, "https://example.org/news", selectors).records)
        parse = timed(lambda: etree.fromstring(body, parser_), args.repeat)
        configured = timed(lambda: extract(body, "https://example.org/news", selectors), args.repeat)
        rows.append([f"{name} ({len(body) // 1000} KB, {records} records)", parse * 1e3, configured * 1e3,
                     f"{records / configured:,.0f}", configured / parse])
    print(machine())
    print(table(["page", "lxml parse ms", "configured extract ms", "records/s", "extract / parse"], rows))


if __name__ == "__main__":
    sys.exit(main())
