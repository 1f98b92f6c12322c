"""Listings built by JavaScript, rendered by real Chromium through scraper.browser.

Each page of tests/js_site/ builds its news cards in the browser; a minimal
Scrapy crawl (tests/browser_crawl.py, its own process) renders it with
scraper.browser's settings and steps and reads the exact cards from the
rendered document.  No browser here: the tests skip, unless
TIDINGS_REQUIRE_BROWSER=1 says this run must have one (CI), when they fail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from scraper.browser_steps import SETTLE_CAP
from tests.browser_processes import require_chromium
from tests.helpers import ROOT, Site
from tests.js_pages import JsSite
from tests.pages import extra_item

CARDS = "article.card h3 a"
# Seconds a page may take past its budget (two busy cores): far below the
# 30 s Playwright waits by default, which is what an unbounded step would take.
MARGIN = 10


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def js_site():
    site = Site()
    pages = JsSite(site)
    yield pages
    pages.hold.set()
    site.close()


def start_crawl(chromium: str, requests: list[dict], pages: int = 2) -> subprocess.Popen:
    job = {"browser": {"executable": chromium, "pages": pages} if chromium else None, "requests": requests}
    proc = subprocess.Popen([sys.executable, "-m", "tests.browser_crawl"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    proc.stdin.write(json.dumps(job))
    proc.stdin.close()
    proc.stdin = None  # fed: communicate() must not flush it
    return proc


def crawl(chromium: str | None, requests: list[dict], pages: int = 2, timeout: float = 120) -> dict:
    proc = start_crawl(chromium, requests, pages)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def case(key: str, url: str, **steps) -> dict:
    return {"key": key, "url": url, "select": CARDS, "steps": {"timeout": 20, **steps}}


@pytest.fixture(scope="module")
def rendered(chromium, js_site) -> dict:
    """Every page of the site, rendered in one crawl (one browser, as a run with several browser sources)."""
    s = js_site
    return crawl(chromium, [
        case("json", s.url("json")),
        case("slow", s.url("slow")),
        case("timer", s.url("timer"), wait_for="article.card"),
        case("more", s.url("more"), click="#more", click_times=5),
        case("more_once", s.url("more"), click="#more", click_times=1),
        case("scroll", s.url("scroll"), scroll=5),
        case("scroll_once", s.url("scroll"), scroll=1),
        case("consent", s.url("consent"), click="#consent .accept"),
        case("consent_unclicked", s.url("consent")),
        case("partial", s.url("partial")),
        case("broken", s.url("broken"), wait_for="article.card", timeout=3),
        case("busy", s.url("busy")),
        case("spin", s.url("spin"), timeout=4),
        case("stuck", s.url("stuck"), timeout=3),
        case("busy_waiting", s.url("busy"), wait_for="article.missing", timeout=3),
        {"key": "plain_json", "url": s.url("json"), "select": CARDS, "steps": None},
        {"key": "plain_partial", "url": s.url("partial"), "select": CARDS, "steps": None},
    ])


def test_a_listing_built_from_a_json_endpoint_is_read_from_the_rendered_page(rendered, js_site):
    assert rendered["json"]["error"] is None
    assert rendered["json"]["items"] == [list(i) for i in js_site.listed()]
    assert "playwright" in rendered["json"]["flags"]


def test_the_same_page_fetched_over_http_has_no_items_and_skips_the_browser(rendered):
    """Requests without the browser's meta take Scrapy's own HTTP handler in the same crawl."""
    assert rendered["plain_json"] == {**rendered["plain_json"], "items": [], "error": None}
    assert "playwright" not in rendered["plain_json"]["flags"]
    assert len(rendered["plain_partial"]["items"]) == 2


def test_a_listing_from_a_slow_endpoint_is_waited_for_without_a_selector(rendered, js_site):
    """The default wait: until nothing is loading and the page stops changing."""
    assert rendered["slow"]["items"] == [list(i) for i in js_site.listed()]


def test_a_listing_drawn_after_a_delay_is_waited_for(rendered, js_site):
    assert rendered["timer"]["items"] == [list(i) for i in js_site.listed()]


def test_load_more_is_clicked_while_present(rendered, js_site):
    assert rendered["more"]["items"] == [list(i) for i in js_site.listed()]


def test_load_more_is_clicked_no_more_than_asked(rendered, js_site):
    assert rendered["more_once"]["items"] == [list(i) for i in js_site.listed(8)]


def test_an_infinite_list_is_scrolled_to_its_end(rendered, js_site):
    assert rendered["scroll"]["items"] == [list(i) for i in js_site.listed()]


def test_an_infinite_list_is_scrolled_no_more_than_asked(rendered, js_site):
    assert rendered["scroll_once"]["items"] == [list(i) for i in js_site.listed(8)]


def test_a_consent_wall_is_clicked_away_before_the_listing_is_read(rendered, js_site):
    assert rendered["consent"]["items"] == [list(i) for i in js_site.listed()]
    assert rendered["consent_unclicked"]["items"] == []


def test_a_failing_script_leaves_the_served_listing_readable(rendered, js_site):
    assert rendered["partial"]["error"] is None
    assert [i[0] for i in rendered["partial"]["items"]] == ["Served in the HTML, first", "Served in the HTML, second"]


def test_a_script_that_fails_before_listing_anything_is_named_in_the_error(rendered):
    broken = rendered["broken"]
    assert broken["items"] == []
    assert "no element matched 'article.card' within 3 s" in broken["error"]
    assert "the page's script failed" in broken["error"] and "endpoint" in broken["error"]
    assert broken["seconds"] < 3 + MARGIN


def test_a_page_that_never_settles_is_read_after_the_settle_cap(rendered, js_site):
    busy = rendered["busy"]
    assert busy["items"] == [list(i) for i in js_site.listed()]
    assert busy["seconds"] < SETTLE_CAP + MARGIN


def test_a_selector_that_never_appears_fails_within_the_pages_budget(rendered):
    waiting = rendered["busy_waiting"]
    assert waiting["items"] == [] and "no element matched 'article.missing' within 3 s" in waiting["error"]
    assert waiting["seconds"] < 3 + MARGIN


def test_a_page_whose_script_never_yields_fails_within_its_budget(rendered):
    spin = rendered["spin"]
    assert spin["items"] == [] and "within 4 s" in spin["error"]
    assert spin["seconds"] < 4 + MARGIN


def test_a_page_that_never_loads_fails_within_its_budget(rendered, js_site):
    stuck = rendered["stuck"]
    assert stuck["items"] == []
    assert stuck["error"] == f"browser: the page did not load within 3 s at {js_site.url('stuck')}"
    assert stuck["seconds"] < 3 + MARGIN


# --- no browser process outlives its crawl ---------------------------------------------------


def _tree(pid: int) -> dict[int, bytes]:
    """A process and its live descendants, each with its command line."""
    found, todo = {}, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/cmdline", "rb") as fh:
                found[current] = fh.read()
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return found


def _alive(pid: int, cmdline: bytes) -> bool:
    """Still in the process table as the same program, and not a zombie."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            same = fh.read() == cmdline
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return same and state != "Z"


def _browser_running(proc: subprocess.Popen, wait: float = 60) -> dict[int, bytes]:
    """The crawl's process tree once its Chromium runs (launched by Playwright over a pipe)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        tree = _tree(proc.pid)
        if any(b"--remote-debugging-pipe" in cmd for cmd in tree.values()):
            return tree
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        time.sleep(0.1)
    raise AssertionError("Chromium did not start")


def _left_over(tree: dict[int, bytes], wait: float = 15) -> list[str]:
    deadline = time.monotonic() + wait
    while True:
        alive = [cmd.split(b"\0")[0].decode(errors="replace") for pid, cmd in tree.items() if _alive(pid, cmd)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _stuck_crawl(chromium: str, js_site, budget: float = 60) -> subprocess.Popen:
    """A crawl rendering a page that never loads, with a long budget: busy when it is stopped."""
    return start_crawl(chromium, [case("stuck", js_site.url("stuck"), timeout=budget),
                                  case("json", js_site.url("json"))])


def test_one_driver_and_one_browser_serve_a_crawl_and_leave_with_it(chromium, js_site):
    proc = _stuck_crawl(chromium, js_site, budget=4)
    try:
        tree = _browser_running(proc)
        drivers = [cmd for cmd in tree.values() if b"run-driver" in cmd]
        # One browser, one profile (Debian's /usr/bin/chromium is a script that execs the browser).
        profiles = {arg for cmd in tree.values() for arg in cmd.split(b"\0") if arg.startswith(b"--user-data-dir=")}
        assert len(drivers) == 1 and len(profiles) == 1, (drivers, profiles)
        time.sleep(1)
        tree = _tree(proc.pid)
        proc.send_signal(signal.SIGTERM)  # graceful: the stuck page runs out its budget, then all close
        out, err = proc.communicate(timeout=90)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-3000:]
    assert _left_over(tree) == []


@pytest.mark.parametrize("how", ["SIGKILL", "second SIGTERM"])
def test_no_browser_process_outlives_a_killed_crawl(chromium, js_site, how):
    proc = _stuck_crawl(chromium, js_site)
    try:
        _browser_running(proc)
        time.sleep(1)  # let its renderers start too
        tree = _tree(proc.pid)
        if how == "SIGKILL":
            proc.kill()
        else:
            proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.communicate()
    assert len(tree) > 3
    assert _left_over(tree) == []


def test_a_run_without_browser_sources_never_imports_playwright(js_site):
    result = crawl(None, [{"key": "plain", "url": js_site.url("partial"), "select": CARDS, "steps": None}])
    assert len(result["plain"]["items"]) == 2
    assert result["_imported_playwright"] is False


def test_a_browser_that_cannot_start_fails_only_the_pages_rendered_in_it(chromium, js_site):
    result = crawl("/bin/true", [case("json", js_site.url("json")),
                                 {"key": "plain", "url": js_site.url("partial"), "select": CARDS, "steps": None}])
    assert result["json"]["items"] == [] and result["json"]["error"].startswith("browser: ")
    assert "\n" not in result["json"]["error"]
    assert len(result["plain"]["items"]) == 2 and result["plain"]["error"] is None


def test_a_second_crawl_renders_exactly_the_one_new_item(chromium):
    site = Site()
    try:
        pages = JsSite(site)
        jobs = [case("json", pages.url("json")), case("more", pages.url("more"), click="#more", click_times=5)]
        first = crawl(chromium, jobs)
        pages.items.insert(0, extra_item(1))
        second = crawl(chromium, jobs)
    finally:
        site.close()
    new = (extra_item(1).headline, site.url(extra_item(1).path))
    for key in ("json", "more"):
        before = [tuple(i) for i in first[key]["items"]]
        after = [tuple(i) for i in second[key]["items"]]
        assert [i for i in after if i not in before] == [new]
        assert after == [new] + before
