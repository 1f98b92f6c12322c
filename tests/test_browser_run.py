"""Sources with render = "browser" through the real `tidings run`, rendered by real Chromium.

One local site (tests/js_site/, its listings built by JavaScript) and one
configuration serve every test here: two runs of it (the second after one
item was added) are what most tests read.  No browser here: the tests skip,
unless TIDINGS_REQUIRE_BROWSER=1 says this run must have one (CI), when
they fail.  Every run carries a marker in its environment, and no process
with that marker (Chromium, its helpers, the Playwright driver) may outlive it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.browser_processes import browser_started, left_over, marked, new_mark, require_chromium
from tests.helpers import ROOT, Site, tidings, write_config
from tests.js_pages import JsSite
from tests.pages import extra_item

CARDS = {"item": "article.card", "headline": "h3"}
BROWSER_SOURCES = ("json", "more", "scroll", "consent")


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


def sources(s: JsSite) -> list[dict]:
    return [
        # Automatic detection on the rendered page; the listing comes from a JSON endpoint.
        {"name": "json", "url": s.url("json"), "render": "browser"},
        {"name": "more", "url": s.url("more"), "render": "browser", "click": "#more", "click_times": 10, **CARDS},
        # XPath selectors: the item selector, waited for in the page, is XPath too.
        {"name": "scroll", "url": s.url("scroll"), "render": "browser", "scroll": 10,
         "item": "xpath://article[@class='card']", "headline": "xpath:.//h3"},
        {"name": "consent", "url": s.url("consent"), "render": "browser", "click": "#consent .accept", **CARDS},
        # Its script fails: the item selector (waited for by default) never appears.
        {"name": "broken", "url": s.url("broken"), "render": "browser", "browser_timeout": 3, **CARDS},
        # Never finishes loading.
        {"name": "stuck", "url": s.url("stuck"), "render": "browser", "browser_timeout": 3},
        # Over HTTP in the same run: a served listing, and a script-built one.
        {"name": "served", "url": s.url("partial"), **CARDS},
        {"name": "shell", "url": s.url("json")},
    ]


def run(config, db, env: dict, *args: str):
    return tidings("run", "--config", str(config), "--db", str(db), "--json", *args, env=env, timeout=180)


@pytest.fixture(scope="module")
def runs(chromium, js_site, tmp_path_factory):
    """Two runs, one item added between them; the processes marked in each."""
    folder = tmp_path_factory.mktemp("browser-run")
    config = write_config(folder / "tidings.toml", sources(js_site),
                          extra='[defaults]\nalert_on_first_run = true\n')
    db = folder / "tidings.db"
    env = {"TIDINGS_BROWSER": chromium}
    first_mark, second_mark = new_mark(), new_mark()
    first = run(config, db, {**env, **first_mark})
    first_left = left_over(first_mark)
    js_site.items.insert(0, extra_item(1))
    try:
        second = run(config, db, {**env, **second_mark})
    finally:
        del js_site.items[0]
    return {"first": first, "second": second, "first_left": first_left, "second_left": left_over(second_mark),
            "config": config, "db": db, "env": env}


def by_name(result) -> dict:
    return {s["name"]: s for s in result.json["sources"]}


def listed(items) -> list[tuple[str, str]]:
    return [(i["headline"], i["url"]) for i in items]


@pytest.mark.parametrize("name", BROWSER_SOURCES)
def test_a_rendered_listing_gives_exactly_its_items(runs, js_site, name):
    """From a JSON endpoint (detected automatically), behind load more, infinite scroll, a consent wall."""
    report = by_name(runs["first"])[name]
    assert report["status"] == "ok", report["error"]
    assert listed(report["new"]) == js_site.listed()
    assert [i["published"] for i in report["new"]] == [i.date for i in js_site.items]


@pytest.mark.parametrize("name", BROWSER_SOURCES)
def test_a_second_run_reports_exactly_the_one_new_item(runs, js_site, name):
    report = by_name(runs["second"])[name]
    item = extra_item(1)
    assert report["status"] == "ok", report["error"]
    assert listed(report["new"]) == [(item.headline, js_site.site.url(item.path))]
    assert report["items_seen"] == len(js_site.items) + 1 and report["updated"] == []


def test_a_failing_script_fails_the_source_with_its_error(runs, js_site):
    report = by_name(runs["first"])["broken"]
    assert report["status"] == "failed" and report["new"] == []
    assert report["error"].startswith(f"browser: no element matched 'article.card' within 3 s at {js_site.url('broken')}")
    assert "the page's script failed" in report["error"] and "\n" not in report["error"]


def test_a_page_that_never_settles_fails_within_its_budget(runs, js_site):
    assert by_name(runs["first"])["stuck"]["error"] == f"browser: the page did not load within 3 s at {js_site.url('stuck')}"


def test_http_sources_of_the_same_run_are_fetched_as_ever(runs):
    served = by_name(runs["first"])["served"]
    assert served["status"] == "ok" and [i["headline"] for i in served["new"]] == [
        "Served in the HTML, first", "Served in the HTML, second"]


def test_a_script_built_page_over_http_says_to_render_it_in_a_browser(runs):
    shell = by_name(runs["first"])["shell"]
    assert shell["status"] == "suspect"
    assert 'this page builds its listing with JavaScript' in shell["error"]
    assert shell["error"].endswith('try render = "browser"')


def test_a_run_with_failed_sources_exits_1_and_leaves_no_browser_process(runs):
    assert runs["first"].code == runs["second"].code == 1
    assert "Traceback" not in runs["first"].stderr + runs["second"].stderr
    assert runs["first_left"] == {} and runs["second_left"] == {}


def test_status_shows_which_sources_render_in_a_browser(runs):
    result = tidings("status", "--config", str(runs["config"]), "--db", str(runs["db"]), "--json")
    assert result.code == 0, result.stderr
    renders = {s["name"]: s["render"] for s in result.json["sources"]}
    assert renders == {"json": "browser", "more": "browser", "scroll": "browser", "consent": "browser",
                       "broken": "browser", "stuck": "browser", "served": "http", "shell": "http"}
    text = tidings("status", "--config", str(runs["config"]), "--db", str(runs["db"]))
    rows = {line.split()[0]: line for line in text.stdout.splitlines()[1:9]}
    assert text.code == 0 and "render" in text.stdout.splitlines()[0]
    assert all(("browser" in rows[name]) == (name not in ("served", "shell")) for name in rows)


def test_without_a_browser_only_the_browser_sources_fail_and_nothing_archived_changes(runs, tmp_path):
    missing = str(tmp_path / "no-such-chromium")
    rendered = ("json", "more", "scroll", "consent", "broken", "stuck")
    export = ("export", "--db", str(runs["db"]), "--format", "json", "--config", str(runs["config"]),
              *(arg for name in rendered[:4] for arg in ("--source", name)))
    before = tidings(*export)
    result = run(runs["config"], runs["db"], {"TIDINGS_BROWSER": missing})
    assert result.code == 1 and "Traceback" not in result.stderr
    reports = by_name(result)
    for name in rendered:
        error = reports[name]["error"]
        assert reports[name]["status"] == "failed" and "\n" not in error
        assert missing in error and "apt-get install chromium" in error and "playwright install chromium" in error
    assert reports["served"]["status"] == "ok"
    after = tidings(*export)
    assert after.code == 0 and len(json.loads(after.stdout)) == 4 * 11
    assert json.loads(after.stdout) == json.loads(before.stdout)
    # Commands that need no browser work as ever.
    status = tidings("status", "--config", str(runs["config"]), "--db", str(runs["db"]), env={"TIDINGS_BROWSER": missing})
    assert status.code == 0


# --- no browser process outlives a run, however it ends --------------------------------------


@pytest.fixture(scope="module")
def stuck_config(chromium, js_site, tmp_path_factory):
    """A browser source busy for a while (its page never loads, 6 s budget) beside a quick one."""
    folder = tmp_path_factory.mktemp("browser-stop")
    return write_config(folder / "tidings.toml", [
        {"name": "stuck", "url": js_site.url("stuck"), "render": "browser", "browser_timeout": 6},
        {"name": "json", "url": js_site.url("json"), "render": "browser"},
    ])


def start(*args: str, env: dict) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    return subprocess.Popen([sys.executable, "-m", "monitor", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**full, "PYTHONPATH": str(ROOT), **env})


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_no_browser_process_outlives_a_stopped_run(chromium, stuck_config, how):
    mark = new_mark()
    db = stuck_config.parent / f"{how}.db"
    proc = start("run", "--config", str(stuck_config), "--db", str(db), env={"TIDINGS_BROWSER": chromium, **mark})
    try:
        browser_started(mark, proc)
        proc.send_signal(getattr(signal, how))
        # SIGTERM: a graceful stop, which lets the page in hand run out its 6 s budget.
        proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert left_over(mark) == {}


def test_the_daemon_crawls_browser_sources_and_leaves_no_browser_process(chromium, js_site, tmp_path):
    """A scheduled browser source is crawled and recorded; the daemon's stop kills the one still rendering."""
    config = write_config(tmp_path / "tidings.toml", [
        {"name": "stuck", "url": js_site.url("stuck"), "render": "browser", "browser_timeout": 120, "schedule": "1h"},
        {"name": "json", "url": js_site.url("json"), "render": "browser", "schedule": "1h"},
    ])
    db = tmp_path / "daemon.db"
    mark = new_mark()
    daemon = start("schedule", "--config", str(config), "--db", str(db), "--stop-timeout", "1",
                   env={"TIDINGS_BROWSER": chromium, **mark})
    try:
        deadline = time.monotonic() + 120  # both sources are due at start, within 10 s
        while _status(db, "json") is None and time.monotonic() < deadline and daemon.poll() is None:
            time.sleep(0.5)
        assert _status(db, "json") == ("baseline", 10)
        # `stuck` renders for up to 120 s once started; the daemon may start it a few
        # seconds after `json` (start-up spread), in a batch of its own.
        while not _rendering(mark) and time.monotonic() < deadline and daemon.poll() is None:
            time.sleep(0.5)
        assert _rendering(mark)  # `stuck` is still rendering
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=60)
    finally:
        daemon.kill()
    assert daemon.returncode == 0, err[-2000:]
    assert left_over(mark) == {}


def _rendering(mark) -> bool:
    """Whether a browser process of this test is running."""
    return any("chrom" in name for name in marked(mark).values())


def _status(db, name: str):
    """The status and items seen of the source's last crawl, or None."""
    import sqlite3

    if not db.exists():
        return None
    with sqlite3.connect(db) as conn:
        try:
            row = conn.execute("SELECT c.status, c.items_seen FROM crawls c JOIN sources s ON s.id = c.source_id"
                               " WHERE s.name = ? ORDER BY c.id DESC LIMIT 1", (name,)).fetchone()
        except sqlite3.OperationalError:  # the daemon is still creating the archive
            return None
    return tuple(row) if row else None


# --- tidings preview --------------------------------------------------------------------------


def test_preview_of_a_script_built_page_says_to_render_it(js_site):
    result = tidings("preview", js_site.url("json"))
    assert result.code == 0
    assert result.stdout.splitlines()[0] == f"0 items on {js_site.url('json')}"
    assert result.stdout.rstrip().endswith("this page builds its listing with JavaScript"
                                           ' (a <noscript> asking for JavaScript, an empty <div id="news">, scripts):'
                                           " try --render browser")
    emitted = tidings("preview", js_site.url("json"), "--emit-config")
    assert emitted.code == 1 and "try --render browser" in emitted.stderr


def test_preview_renders_in_a_browser_and_emits_render_browser(chromium, js_site, tmp_path):
    import tomllib

    from monitor.config import parse_config

    result = tidings("preview", js_site.url("json"), "--render", "browser", "--emit-config",
                     env={"TIDINGS_BROWSER": chromium})
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"# 10 items found by automatic detection on {js_site.url('json')}"
    source = parse_config(tomllib.loads(result.stdout), "emitted").sources[0]
    assert source.render == "browser" and source.item == "article.card"
    listed = tidings("preview", js_site.url("consent"), "--render", "browser", "--json",
                     env={"TIDINGS_BROWSER": chromium})
    assert listed.code == 0 and listed.json == []  # the wall is not clicked away without `click`
    config = write_config(tmp_path / "t.toml", [{"name": "wall", "url": js_site.url("consent"), "render": "browser",
                                                  "click": "#consent .accept"}])
    configured = tidings("preview", "--source", "wall", "--config", str(config), "--json",
                         env={"TIDINGS_BROWSER": chromium})
    assert [(r["headline"], r["url"]) for r in configured.json] == js_site.listed()
    clicked = tidings("preview", js_site.url("more"), "--render", "browser", "--click", "#more", "--click-times", "5",
                      "--emit-config", env={"TIDINGS_BROWSER": chromium})
    assert clicked.code == 0, clicked.stderr
    assert clicked.stdout.splitlines()[0] == f"# 10 items found by automatic detection on {js_site.url('more')}"
    emitted = parse_config(tomllib.loads(clicked.stdout), "emitted").sources[0]
    assert (emitted.render, emitted.click, emitted.click_times) == ("browser", "#more", 5)
    over_http = tidings("preview", js_site.url("more"), "--click", "#more")
    assert over_http.code == 2 and "key 'click' needs render = \"browser\"" in over_http.stderr


def test_preview_without_a_browser_is_one_line_exit_1(js_site, tmp_path):
    missing = str(tmp_path / "chromium")
    result = tidings("preview", js_site.url("json"), "--render", "browser", env={"TIDINGS_BROWSER": missing})
    assert result.code == 1 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"tidings: error: browser {missing!r} (from TIDINGS_BROWSER) is not an executable file:"
        " install one with `apt-get install chromium` or `playwright install chromium`"]


def test_an_executable_that_is_no_browser_fails_the_source_with_one_clear_line(chromium, js_site, tmp_path):
    config = write_config(tmp_path / "t.toml", [{"name": "json", "url": js_site.url("json"), "render": "browser"},
                                                {"name": "served", "url": js_site.url("partial"), **CARDS}],
                          extra='[browser]\nexecutable = "/bin/true"')
    result = run(config, tmp_path / "t.db", {})
    reports = by_name(result)
    assert result.code == 1 and reports["served"]["status"] == "baseline"
    assert reports["json"]["status"] == "failed"
    error = reports["json"]["error"]
    assert error.startswith("browser: /bin/true could not be started (") and "\n" not in error
    assert error.endswith("): install one with `apt-get install chromium` or `playwright install chromium`")


def test_with_worker_processes_the_browser_sources_are_crawled_too(chromium, js_site, tmp_path):
    """`processes = 2`: a forked worker shares the HTTP sources; the browser source is the run's own."""
    http = [{"name": f"served-{i}", "url": js_site.url("partial") + f"?copy={i}", **CARDS} for i in range(4)]
    config = write_config(tmp_path / "t.toml", [{"name": "json", "url": js_site.url("json"), "render": "browser",
                                                 "alert_on_first_run": True}, *http], crawl={"processes": 2})
    js_site.site.pages.update({f"/partial.html?copy={i}": js_site.site.pages["/partial.html"] for i in range(4)})
    mark = new_mark()
    result = run(config, tmp_path / "t.db", {"TIDINGS_BROWSER": chromium, **mark})
    reports = by_name(result)
    assert result.code == 0, result.stderr
    assert listed(reports["json"]["new"]) == js_site.listed()
    assert all(reports[s["name"]]["status"] == "baseline" and reports[s["name"]]["items_seen"] == 2 for s in http)
    assert left_over(mark) == {}


def test_robots_txt_and_max_bytes_hold_for_browser_sources(chromium, js_site, tmp_path):
    from tests.helpers import Page

    pages = js_site.site.pages
    pages["/private/json.html"] = pages["/json.html"]
    pages["/robots.txt"] = Page("User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"})
    served = len(pages["/json.html"].payload())
    try:
        config = write_config(tmp_path / "t.toml", [
            {"name": "private", "url": js_site.site.url("/private/json.html"), "render": "browser"},
            {"name": "big", "url": js_site.url("json"), "render": "browser"},
        ], crawl={"max_bytes": 2000, "obey_robots": True})
        result = run(config, tmp_path / "t.db", {"TIDINGS_BROWSER": chromium})
    finally:
        del pages["/robots.txt"], pages["/private/json.html"]
    reports = by_name(result)
    assert served < 2000  # the served shell is within the limit; the page the browser built is not
    assert reports["private"]["error"] == f"forbidden by robots.txt: {js_site.site.url('/private/json.html')}"
    assert reports["big"]["error"] == (f"response from {js_site.url('json')} is larger than the size limit"
                                       " (max_bytes = 2000 bytes) once rendered: download stopped")


def test_without_scrapy_playwright_only_the_browser_sources_fail(js_site, tmp_path):
    """The optional extra not installed (hidden from this run's interpreter): one line saying how to install it."""
    config = write_config(tmp_path / "t.toml", [{"name": "json", "url": js_site.url("json"), "render": "browser"},
                                                {"name": "served", "url": js_site.url("partial"), **CARDS}])
    hidden = ("import sys; sys.modules['scrapy_playwright'] = None; sys.argv[0] = 'tidings';"
              " from monitor.cli import main; main()")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    proc = subprocess.run([sys.executable, "-c", hidden, "run", "--config", str(config), "--db", str(tmp_path / "t.db"),
                           "--json"], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=120)
    reports = {s["name"]: s for s in json.loads(proc.stdout)["sources"]}
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert reports["served"]["status"] == "baseline"
    assert reports["json"]["status"] == "failed"
    assert reports["json"]["error"] == ("rendering in a browser needs scrapy-playwright: pip install 'tidings[browser]'"
                                        " (in a checkout: pip install -e '.[browser]')")
