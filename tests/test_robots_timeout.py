"""A slow robots.txt is bounded by the source's `timeout`, like the page itself.

robots.txt is fetched before a host's first page; a server that never
answers it used to hold the source for Scrapy's global DOWNLOAD_TIMEOUT
twice over (30 s, retried), whatever the source's `timeout`.  Now the
robots.txt request gets the timeout of the source that asked for it and no
retry, so a source costs at most about 2 x `timeout` (robots.txt, then the
page), and an unanswered robots.txt does not forbid the page.
"""

from __future__ import annotations

import threading
import time

from tests.helpers import Page, tidings, write_config
from tests.faults import never_answers
from tests.pages import DRUPAL_SOURCE, Listing

TIMEOUT = 2


def test_an_unanswered_robots_txt_costs_the_source_timeout_once(tmp_path, site):
    held: list[float] = []
    lock = threading.Lock()

    def robots(request) -> None:
        started = time.monotonic()
        never_answers(request)  # returns once the client hangs up
        with lock:
            held.append(time.monotonic() - started)

    site.pages["/robots.txt"] = robots
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml",
                          [{"name": "news", "url": site.url("/news"), "timeout": TIMEOUT, **DRUPAL_SOURCE}])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "archive.db"), "--json")
    assert result.code == 0, result.stderr
    assert result.json["sources"][0]["status"] == "baseline"
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(held) == 1, f"robots.txt was asked {len(held)} times (retried?)"
    assert held[0] < TIMEOUT + 3, f"robots.txt held the source {held[0]:.1f} s with timeout = {TIMEOUT}"
