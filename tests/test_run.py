"""`tidings run` end to end: a real HTTP server, the real CLI, a real archive."""

from __future__ import annotations

import re
import socket
import sqlite3

import pytest

from tests.alert_receivers import self_signed_cert
from tests.helpers import Page, Site, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items
from tests.test_extract import seed_blocks_from_text


@pytest.fixture
def env(tmp_path, site):
    """A source on the local site, a config and an archive path."""
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "tidings.toml", [{"name": "unece", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "archive.db"

    def run(*extra):
        return tidings("run", "--config", str(config), "--db", str(db), *extra)

    return site, config, db, run


def archive_rows(db, sql, *params):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_first_run_is_a_baseline_with_the_ten_seed_items(env):
    site, _, db, run = env
    result = run("--json")
    assert result.code == 0, result.stderr
    report = result.json
    assert set(report) == {"run_id", "started", "finished", "sources"}
    [source] = report["sources"]
    assert source["status"] == "baseline"
    assert source["items_seen"] == 10
    assert source["new"] == [] and source["updated"] == [] and source["error"] is None
    headlines = [h for (h,) in archive_rows(db, "SELECT headline FROM items ORDER BY position")]
    assert headlines == [h for h, _ in seed_blocks_from_text()]
    summaries = [s for (s,) in archive_rows(db, "SELECT summary FROM items ORDER BY position")]
    assert summaries == [s for _, s in seed_blocks_from_text()]


def test_second_run_reports_exactly_the_two_new_items(env):
    site, _, db, run = env
    assert run().code == 0
    site.pages["/news"] = Page(Listing([extra_item(1), extra_item(2), *seed_items()]).render())
    result = run("--json")
    assert result.code == 0, result.stderr
    [source] = result.json["sources"]
    assert source["status"] == "ok"
    assert source["items_seen"] == 12
    assert [n["headline"] for n in source["new"]] == [extra_item(1).headline, extra_item(2).headline]
    assert source["new"][0] == {
        "headline": extra_item(1).headline,
        "summary": extra_item(1).summary_text,
        "url": site.url("/media/news/extra-1"),
        "published": "2021-12-01T12:00:00+00:00",
    }
    assert source["updated"] == []
    # A third run with the same page reports nothing.
    third = run("--json").json["sources"][0]
    assert third["new"] == [] and third["updated"] == [] and third["status"] == "ok"
    assert archive_rows(db, "SELECT count(*) FROM items") == [(12,)]


def test_an_item_that_comes_back_is_not_new(env):
    site, _, db, run = env
    run()
    items = seed_items()
    site.pages["/news"] = Page(Listing(items[1:]).render())
    assert run("--json").json["sources"][0]["new"] == []
    site.pages["/news"] = Page(Listing(items).render())
    assert run("--json").json["sources"][0]["new"] == []


def test_an_edited_summary_is_updated_and_both_versions_are_kept(env):
    site, _, db, run = env
    run()
    items = seed_items()
    old_summary = items[2].summary_text
    items[2] = type(items[2])(items[2].headline, ["A corrected teaser.", "With a second paragraph."], items[2].path, items[2].date)
    site.pages["/news"] = Page(Listing(items).render())
    source = run("--json").json["sources"][0]
    assert source["new"] == []
    assert [(u["headline"], u["summary"]) for u in source["updated"]] == [
        (items[2].headline, "A corrected teaser.\n\nWith a second paragraph.")
    ]
    versions = archive_rows(
        db,
        "SELECT v.summary FROM item_versions v JOIN items i ON i.id = v.item_id WHERE i.headline = ? ORDER BY v.id",
        items[2].headline,
    )
    assert versions == [(old_summary,), ("A corrected teaser.\n\nWith a second paragraph.",)]
    assert archive_rows(db, "SELECT summary, versions FROM items WHERE headline = ?", items[2].headline) == [
        ("A corrected teaser.\n\nWith a second paragraph.", 2)
    ]


def test_whitespace_and_markup_changes_are_not_edits(env):
    site, _, db, run = env
    run()
    html = Listing().render().replace("<p>", "<p>\n   <span> </span>").replace(" the ", " <em>the</em>  ")
    site.pages["/news"] = Page(html)
    source = run("--json").json["sources"][0]
    assert (source["status"], source["new"], source["updated"]) == ("ok", [], [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "fault, status, reason",
    [
        ("http500", "failed", "HTTP 500"),
        ("timeout", "failed", "timed out"),
        ("refused", "failed", "connection refused"),
        ("empty", "suspect", "no items found"),
    ],
)
def test_faults_are_failed_or_suspect_and_lose_nothing(env, tmp_path, fault, status, reason):
    site, config, db, run = env
    assert run().code == 0
    if fault == "http500":
        site.pages["/news"] = Page("<html><body>Internal error</body></html>", status=500)
    elif fault == "timeout":
        site.pages["/news"] = Page(Listing().render(), delay=5)
        config.write_text(config.read_text() + "timeout = 1\n")  # appended to the [[source]] table
    elif fault == "empty":
        site.pages["/news"] = Page("<html><body><main></main></body></html>")
    elif fault == "refused":
        text = config.read_text().replace(site.url("/news"), f"http://127.0.0.1:{free_port()}/news")
        config.write_text(text)
    result = run("--json")
    assert result.code == 1, result.stderr
    [source] = result.json["sources"]
    assert source["status"] == status
    assert reason in source["error"]
    assert source["new"] == [] and source["updated"] == []
    assert archive_rows(db, "SELECT count(*) FROM items") == [(10,)]
    # The text summary names the problem too, even when stdout is not a terminal.
    text = run()
    assert text.code == 1 and status in text.stdout and reason in text.stdout
    # And the next healthy run reports exactly what is really new.
    site.pages["/news"] = Page(Listing([extra_item(7), *seed_items()]).render())
    config.write_text(re.sub(r"http://127\.0\.0\.1:\d+/news", site.url("/news"), config.read_text()))
    healthy = run("--json")
    assert healthy.code == 0, healthy.stderr
    assert [n["headline"] for n in healthy.json["sources"][0]["new"]] == [extra_item(7).headline]


def test_a_listing_that_collapses_is_suspect(env):
    site, _, db, run = env
    run()
    site.pages["/news"] = Page(Listing(seed_items()[:3]).render())
    source = run("--json").json["sources"][0]
    assert source["status"] == "suspect"
    assert "only 3 items" in source["error"]
    assert archive_rows(db, "SELECT count(*) FROM items") == [(10,)]


def test_pagination_over_three_pages(tmp_path, site):
    items = seed_items() + [extra_item(n) for n in range(1, 6)]
    site.pages["/list"] = Page(Listing(items[:5], next_page="/list?page=1").render())
    site.pages["/list?page=1"] = Page(Listing(items[5:10], next_page=site.url("/list?page=2")).render())
    site.pages["/list?page=2"] = Page(Listing(items[10:], next_page="/list?page=3").render())
    site.pages["/list?page=3"] = Page(Listing([extra_item(9)]).render())
    source = {"name": "paged", "url": site.url("/list"), **DRUPAL_SOURCE,
              "next_page": "a[rel=next]::attr(href)", "max_pages": 3}
    config = write_config(tmp_path / "t.toml", [source])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"), "--json")
    assert result.code == 0, result.stderr
    assert result.json["sources"][0]["items_seen"] == 15
    with sqlite3.connect(tmp_path / "a.db") as conn:
        headlines = [h for (h,) in conn.execute("SELECT headline FROM items ORDER BY position")]
        assert conn.execute("SELECT pages FROM crawls").fetchall() == [(3,)]
    assert headlines == [i.headline for i in items]
    assert "/list?page=3" not in site.requests


def test_several_sources_in_one_run_and_source_filter(tmp_path, site):
    site.pages["/a"] = Page(Listing(seed_items()[:5]).render())
    site.pages["/b"] = Page(Listing(seed_items()[5:]).render())
    config = write_config(tmp_path / "t.toml", [
        {"name": "a", "url": site.url("/a"), **DRUPAL_SOURCE},
        {"name": "b", "url": site.url("/b"), **DRUPAL_SOURCE},
        {"name": "down", "url": site.url("/gone"), **DRUPAL_SOURCE},
    ])
    db = str(tmp_path / "a.db")
    result = tidings("run", "--config", str(config), "--db", db, "--json")
    assert result.code == 1
    statuses = {s["name"]: (s["status"], s["items_seen"]) for s in result.json["sources"]}
    assert statuses == {"a": ("baseline", 5), "b": ("baseline", 5), "down": ("failed", 0)}
    assert "HTTP 404" in result.json["sources"][2]["error"]
    only_a = tidings("run", "--config", str(config), "--db", db, "--source", "a", "--json")
    assert only_a.code == 0
    assert [s["name"] for s in only_a.json["sources"]] == ["a"]
    unknown = tidings("run", "--config", str(config), "--db", db, "--source", "nope")
    assert unknown.code == 2
    assert "no source named 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_alert_on_first_run_reports_the_baseline_items_as_new(tmp_path, site):
    site.pages["/n"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": "n", "url": site.url("/n"), **DRUPAL_SOURCE, "alert_on_first_run": True}])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"), "--json")
    source = result.json["sources"][0]
    assert source["status"] == "ok"
    assert len(source["new"]) == 10


def test_quiet_under_cron_unless_something_happened(env):
    site, _, _, run = env
    first = run()
    assert first.code == 0 and first.stdout.strip() == ""  # baseline: nothing to tell
    assert run().stdout.strip() == ""
    site.pages["/news"] = Page(Listing([extra_item(3), *seed_items()]).render())
    text = run().stdout
    assert "1 new" in text and extra_item(3).headline in text and site.url("/media/news/extra-3") in text


def test_environment_variables_choose_config_and_archive(env, tmp_path):
    site, config, db, _ = env
    result = tidings("run", "--json", env={"TIDINGS_CONFIG": str(config), "TIDINGS_DB": str(tmp_path / "env.db")})
    assert result.code == 0, result.stderr
    assert (tmp_path / "env.db").exists()


def test_robots_txt_is_obeyed(env):
    site, _, db, run = env
    site.pages["/robots.txt"] = Page("User-agent: *\nDisallow: /news\n", headers={"Content-Type": "text/plain"})
    result = run("--json")
    assert result.code == 1
    source = result.json["sources"][0]
    assert source["status"] == "failed" and "robots.txt" in source["error"]
    assert "/news" not in site.requests


def test_user_agent_is_descriptive(env):
    site, _, _, run = env
    seen = []

    def handler(request):
        seen.append(request.headers.get("User-Agent"))
        body = Listing().render().encode()
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    site.pages["/news"] = handler
    assert run().code == 0
    assert seen and seen[0].startswith("Tidings/") and "+https://" in seen[0]


def test_preview_prints_records_and_writes_nothing(env, tmp_path):
    site, config, db, _ = env
    result = tidings("preview", site.url("/news"), "--item", "div.views-row", "--headline", "h3",
                     "--summary", ".summary p", "--json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    records = result.json
    assert [r["headline"] for r in records] == [h for h, _ in seed_blocks_from_text()]
    assert set(records[0]) == {"headline", "summary", "url", "published", "position"}
    assert not db.exists()
    by_source = tidings("preview", "--source", "unece", "--config", str(config), "--json")
    assert by_source.code == 0 and len(by_source.json) == 10
    assert not db.exists()


def test_preview_of_an_unreachable_page_is_one_line(tmp_path):
    result = tidings("preview", f"http://127.0.0.1:{free_port()}/x", "--item", "li", "--headline", "a", cwd=tmp_path)
    assert result.code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "connection refused" in result.stderr


def test_scrapy_list_and_crawl_work_from_the_repository_root(env, tmp_path):
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    site, config, _, _ = env
    scrapy_env = {**os.environ, "PYTHONPATH": str(ROOT), "TIDINGS_CONFIG": str(config), "TIDINGS_DB": str(tmp_path / "s.db")}
    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, env=scrapy_env, capture_output=True, text=True, timeout=60)
    assert listed.stdout.split() == ["listing"], listed.stderr
    crawled = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "listing", "-a", "source=unece"],
                             cwd=ROOT, env=scrapy_env, capture_output=True, text=True, timeout=60)
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    with sqlite3.connect(tmp_path / "s.db") as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (10,)
    # Scrapy prints no Tidings report: the pipeline logs each source's outcome.
    assert "[tidings.pipeline] INFO: unece  baseline    10 seen" in crawled.stderr


def test_scrapy_crawl_that_cannot_record_a_source_says_so_in_one_line(env, tmp_path):
    """The archive refusing the write (here: the file size limit a full disk
    would set) is the source's one error line, not a traceback and a dump of
    every record it crawled."""
    import os
    import resource
    import subprocess
    import sys

    from tests.helpers import ROOT

    site, config, _, _ = env
    db = tmp_path / "s.db"
    scrapy_env = {**os.environ, "PYTHONPATH": str(ROOT), "TIDINGS_CONFIG": str(config), "TIDINGS_DB": str(db)}

    def crawl(**kwargs):
        return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "listing"],
                              cwd=ROOT, env=scrapy_env, capture_output=True, text=True, timeout=60, **kwargs)

    assert crawl().returncode == 0
    site.pages["/news"] = Page(Listing([extra_item(n) for n in range(1, 29)] + seed_items()).render())
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    limited = crawl(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (36 * 1024, hard)))
    assert "Traceback" not in limited.stderr
    assert "Extra release number" not in limited.stderr  # no dump of the records
    assert f"[tidings.pipeline] ERROR: unece  not recorded - {db}: cannot write" in limited.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (10,)


def test_scrapy_crawl_of_an_unreachable_host_says_so_in_lines_without_tracebacks(tmp_path):
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    port = free_port()
    config = tmp_path / "tidings.toml"
    config.write_text(f'[crawl]\ndelay = 0\n\n[[source]]\nname = "down"\nurl = "http://127.0.0.1:{port}/news"\n')
    scrapy_env = {**os.environ, "PYTHONPATH": str(ROOT), "TIDINGS_CONFIG": str(config), "TIDINGS_DB": str(tmp_path / "s.db")}
    crawled = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "listing"],
                             cwd=ROOT, env=scrapy_env, capture_output=True, text=True, timeout=60)
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    assert "Traceback" not in crawled.stderr
    assert f"[tidings.pipeline] WARNING: down  failed       0 seen    0 new    0 updated  - connection refused by 127.0.0.1:{port}" in crawled.stderr


def test_politeness_delay_does_not_hold_back_the_first_page(tmp_path, site):
    """robots.txt is fetched first, and the per-host delay applies between pages, not before the first."""
    import time

    times = {}

    def stamp(path, page):
        def handler(request):
            times[path] = time.monotonic()
            body = page.payload()
            request.send_response(200)
            request.send_header("Content-Type", page.headers["Content-Type"])
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        return handler

    site.pages["/robots.txt"] = stamp("robots", Page("User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"}))
    site.pages["/news"] = stamp("news", Page(Listing().render()))
    config = write_config(tmp_path / "t.toml", [{"name": "n", "url": site.url("/news"), **DRUPAL_SOURCE}],
                          crawl={"delay": 4, "autothrottle": True, "per_domain": 1})
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"), "--json")
    assert result.code == 0, result.stderr
    assert times["news"] - times["robots"] < 2


def test_an_https_source_is_crawled_and_reports_its_new_item(tmp_path):
    """Scrapy's TLS modules are imported by monitor's own start-up path
    (scraper.preload): an https listing must still be fetched."""
    cert = self_signed_cert(tmp_path)
    site = Site(cert=cert)
    try:
        site.pages["/news"] = Page(Listing().render())
        config = write_config(tmp_path / "tidings.toml", [{"name": "secure", "url": site.url("/news"), **DRUPAL_SOURCE}])
        env = {"SSL_CERT_FILE": cert[0]}
        run = ["run", "--config", str(config), "--db", str(tmp_path / "archive.db"), "--json"]
        first = tidings(*run, env=env)
        assert first.code == 0, first.stderr
        [source] = first.json["sources"]
        assert (source["url"], source["status"], source["items_seen"]) == (site.url("/news"), "baseline", 10)
        site.pages["/news"] = Page(Listing([extra_item(1), *seed_items()]).render())
        second = tidings(*run, env=env)
        assert second.code == 0, second.stderr
        [source] = second.json["sources"]
        assert [n["headline"] for n in source["new"]] == [extra_item(1).headline]
        assert "/news" in site.requests
    finally:
        site.close()
