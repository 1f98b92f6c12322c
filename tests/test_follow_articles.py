"""Following items to their articles: a real local site, the real CLI, real alert receivers.

The site (tests/article_site.py) links its listing to an article with
metadata, one without, a 404, a redirect, a page over max_bytes, a PDF and
an article on another host that robots.txt forbids.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.alert_receivers import Receiver, SmtpServer, parts
from tests.article_site import ENGLISH, GERMAN, MAX_BYTES, ArticleSite
from tests.helpers import Page, send_page, tidings, toml_value, write_config
from tests.pages import DRUPAL_SOURCE

FIXTURES = Path(__file__).parent / "fixtures"


def notify_table(**keys) -> str:
    return "[[notify]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())


def query(db: Path, sql: str, args=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def articles_by_path(db: Path) -> dict[str, list[dict]]:
    """Every fetch, by the path of the item's link, in fetch order."""
    found: dict[str, list[dict]] = {}
    for row in query(db, "SELECT a.*, i.url AS item_url FROM articles a JOIN items i ON i.id = a.item_id ORDER BY a.id"):
        path = "/" + row["item_url"].split("/", 3)[3]
        found.setdefault(path, []).append(row)
    return found


@pytest.fixture
def news():
    site = ArticleSite.start()
    yield site
    site.close()


def runner(tmp_path: Path, sources: list[dict], extra: str = ""):
    sources = [{**DRUPAL_SOURCE, **source} for source in sources]
    config = write_config(tmp_path / "tidings.toml", sources, crawl={"max_bytes": MAX_BYTES}, extra=extra)
    db = tmp_path / "tidings.db"

    def run(*args: str, command: str = "run", expect: int = 0):
        result = tidings(command, "--config", str(config), "--db", str(db), *args)
        assert result.code == expect, result.stdout + result.stderr
        return result

    return db, run


def test_every_new_item_is_followed_once_failures_are_kept_and_retried_and_alerts_carry_the_article(tmp_path, news):
    full, brief, smtp = Receiver().start(), Receiver().start(), SmtpServer().start()
    try:
        notifiers = "\n".join([
            notify_table(type="webhook", name="full", url=full.url, include_article=True, timeout=5),
            notify_table(type="webhook", name="brief", url=brief.url, timeout=5),
            notify_table(type="email", name="mail", smtp_host="127.0.0.1", smtp_port=smtp.port, security="none",
                         to=["team@example.org"], timeout=5, **{"from": "Tidings <tidings@example.org>"}),
        ])
        db, run = runner(tmp_path, [{"name": "news", "url": news.listing_url, "follow": True}], notifiers)

        # Run 1, the baseline: no alert, but every item is followed.
        run()
        fetched = articles_by_path(db)
        assert set(fetched) == {"/news/water-framework", "/news/luftqualitaet", "/news/missing", "/news/moved",
                                "/news/huge-annex", "/files/report.pdf", "/private/embargoed"}
        assert all(len(rows) == 1 for rows in fetched.values())
        water = fetched["/news/water-framework"][0]
        assert (water["status"], water["title"], water["author"], water["published"], water["language"]) == \
            (200, "Commission adopts water cooperation framework", "Maria Keller", "2024-03-05", "en")
        assert ENGLISH[0] in water["text"] and ENGLISH[2] in water["text"] and "Related" not in water["text"]
        assert water["site_name"] == "Regional Commission" and water["tags"] == "water, cooperation"
        assert water["excerpt"].startswith(ENGLISH[0][:60]) and len(water["content_hash"]) == 64
        assert water["error"] is None
        bare = fetched["/news/luftqualitaet"][0]
        assert bare["language"] == "de" and GERMAN[1] in bare["text"] and bare["author"] is None
        assert bare["published"] is None and bare["error"] is None
        moved = fetched["/news/moved"][0]
        assert moved["url"] == news.site.url("/news/moved-here") and moved["status"] == 200
        assert moved["title"] == "Statistics week opens" and moved["error"] is None
        errors = {path: rows[0]["error"] for path, rows in fetched.items() if rows[0]["error"]}
        assert errors == {
            "/news/missing": f"HTTP 404 from {news.site.url('/news/missing')}",
            "/news/huge-annex": f"response from {news.site.url('/news/huge-annex')} is larger than the size limit"
                                f" (max_bytes = {MAX_BYTES} bytes): download stopped",
            "/files/report.pdf": f"not an HTML page (Content-Type application/pdf) at {news.site.url('/files/report.pdf')}",
            "/private/embargoed": f"forbidden by robots.txt: {news.other.url('/private/embargoed')}",
        }
        assert fetched["/news/missing"][0]["status"] == 404 and fetched["/files/report.pdf"][0]["status"] == 200
        assert "/private/embargoed" not in news.other.requests  # robots.txt asked, the article never
        assert full.hits == [] and brief.hits == [] and smtp.messages == []

        # Run 2: one new release; the 404 page exists now.
        news.site.pages["/news/missing"] = news.site.pages["/news/luftqualitaet"]
        new_url = news.add_article("ministers-sign", "Ministers sign the water accord", ENGLISH,
                                   author="Press Office", published="2024-03-09")
        run()
        fetched = articles_by_path(db)
        assert len(fetched["/news/ministers-sign"]) == 1 and fetched["/news/ministers-sign"][0]["error"] is None
        assert [r["error"] is None for r in fetched["/news/missing"]] == [False, True]  # retried, and fetched
        assert len(fetched["/news/water-framework"]) == 1  # followed once, never again

        # The item's alert carries its article: excerpt and language; the full text only where asked for.
        assert len(full.hits) == 1 and len(brief.hits) == 1 and len(smtp.messages) == 1
        [item] = full.hits[0].json["items"]
        assert item["url"] == new_url and item["article"]["language"] == "en"
        assert item["article"]["excerpt"].startswith(ENGLISH[0][:60])
        assert ENGLISH[2] in item["article"]["text"] and item["article"]["author"] == "Press Office"
        [item] = brief.hits[0].json["items"]
        assert item["article"]["excerpt"].startswith(ENGLISH[0][:60]) and "text" not in item["article"]
        text, html = parts(smtp.messages[0])
        assert "Article (en): " + ENGLISH[0][:60] in text
        assert ENGLISH[0][:60] in html and ENGLISH[2] not in text

        # Lasting failures (too large, not HTML, robots.txt) are final: never tried again.
        for path in ("/news/huge-annex", "/files/report.pdf", "/private/embargoed"):
            assert len(fetched[path]) == 1 and fetched[path][0]["error"], path
        assert news.fetches("/news/huge-annex") == 1 and news.fetches("/files/report.pdf") == 1
        assert query(db, "SELECT * FROM article_queue") == []
        assert news.fetches("/news/water-framework") == 1 and news.fetches("/news/ministers-sign") == 1
        # Never a second alert for an item, whatever its article did.
        assert len(full.hits) == 1 and len(brief.hits) == 1 and len(smtp.messages) == 1
    finally:
        full.stop()
        brief.stop()
        smtp.stop()


def test_failures_a_retry_cannot_change_are_final_and_the_others_are_retried_up_to_follow_retries(tmp_path, news):
    news.add_article("gone", "A withdrawn release", ENGLISH)
    news.site.pages["/news/gone"] = Page("<html><body>gone</body></html>", status=410)
    news.add_article("overloaded", "A release on a busy server", ENGLISH)
    news.site.pages["/news/overloaded"] = Page("<html><body>try later</body></html>", status=503)
    db, run = runner(tmp_path, [{"name": "news", "url": news.listing_url, "follow": True, "follow_retries": 3}])
    for _ in range(4):
        run()
    tries = {path: len(rows) for path, rows in articles_by_path(db).items() if rows[-1]["error"]}
    assert tries == {
        "/news/gone": 1, "/files/report.pdf": 1, "/news/huge-annex": 1, "/private/embargoed": 1,  # final at once
        "/news/overloaded": 3, "/news/missing": 3,  # may pass: follow_retries attempts, one per run
    }
    asked = {path: news.fetches(path) for path in ("/news/gone", "/files/report.pdf", "/news/huge-annex",
                                                   "/news/overloaded", "/news/missing")}
    assert asked == {"/news/gone": 1, "/files/report.pdf": 1, "/news/huge-annex": 1, "/news/overloaded": 3,
                     "/news/missing": 3}
    assert "/private/embargoed" not in news.other.requests
    assert query(db, "SELECT * FROM article_queue") == []


def test_items_the_sources_filter_holds_back_are_archived_but_their_articles_never_fetched(tmp_path, news):
    held_back = ["/news/luftqualitaet", "/news/huge-annex", "/files/report.pdf"]
    db, run = runner(tmp_path, [{"name": "news", "url": news.listing_url, "follow": True,
                                 "exclude": ["Luftqualität", "/annex|pdf/"]}])
    run()
    news.add_article("luft-winter", "Luftqualität im Winter", GERMAN)
    news.add_article("water-week", "Water week opens", ENGLISH)
    run()
    assert len(query(db, "SELECT * FROM items")) == 9  # the archive stays complete
    assert set(articles_by_path(db)) == {"/news/water-framework", "/news/missing", "/news/moved",
                                         "/private/embargoed", "/news/water-week"}
    run(command="follow")  # a backfill holds them back too
    assert {path: news.fetches(path) for path in [*held_back, "/news/luft-winter"]} == dict.fromkeys(
        [*held_back, "/news/luft-winter"], 0)

    config = tmp_path / "tidings.toml"  # the filter dropped: a backfill fetches what it held back
    config.write_text("".join(line for line in config.read_text().splitlines(keepends=True)
                              if not line.startswith("exclude =")))
    assert run(command="follow").stdout.strip().endswith("(4 newly queued)")
    assert {"/news/luftqualitaet", "/news/luft-winter", "/news/huge-annex", "/files/report.pdf"} <= set(
        articles_by_path(db))


def test_follow_limit_leaves_the_rest_for_later_runs_oldest_first(tmp_path, news):
    db, run = runner(tmp_path, [{"name": "news", "url": news.listing_url, "follow": True, "follow_limit": 3,
                                 "follow_retries": 1}])
    def followed() -> list[int]:
        return sorted(r["item_id"] for r in query(db, "SELECT item_id FROM articles"))

    run()
    assert followed() == [1, 2, 3]  # oldest first (archive order: listing order within one crawl)
    news.add_article("later", "A later release", ENGLISH)
    run()
    assert followed() == [1, 2, 3, 4, 5, 6]  # those waiting since the first run before the new one
    run()
    run()
    assert followed() == [1, 2, 3, 4, 5, 6, 7, 8]  # each once (one try each: follow_retries = 1)


def test_an_edited_item_is_followed_again_only_with_refollow(tmp_path, news):
    db, run = runner(tmp_path, [
        {"name": "once", "url": news.listing_url, "follow": True},
        {"name": "again", "url": news.listing_url, "follow": True, "refollow": True},
    ])
    run()
    news.items[0] = news.items[0].__class__(news.items[0].headline + " (updated)", news.items[0].summary,
                                            news.items[0].path, news.items[0].date)
    news.publish()
    run()
    counts = {r["name"]: r["n"] for r in query(
        db, "SELECT s.name, count(*) AS n FROM articles a JOIN items i ON i.id = a.item_id"
            " JOIN sources s ON s.id = i.source_id WHERE i.url LIKE '%water-framework' GROUP BY s.name")}
    assert counts == {"once": 1, "again": 2}


def test_backfill_follows_archived_items_in_parts_and_retries_failed_on_request(tmp_path, news):
    db, run = runner(tmp_path, [{"name": "news", "url": news.listing_url, "follow_retries": 1}])
    run()  # follow = false: items archived, no article
    assert query(db, "SELECT * FROM articles") == []

    missing = run("--source", "nope", command="follow", expect=2)
    assert "no source named 'nope'" in missing.stderr
    nothing = run(command="follow", expect=2)
    assert "no source has follow = true" in nothing.stderr

    first = run("--source", "news", "--limit", "3", command="follow")
    assert first.stdout.strip() == "2 articles fetched, 1 failed, 4 still queued (7 newly queued)"  # one 404
    assert sorted(r["item_id"] for r in query(db, "SELECT item_id FROM articles")) == [1, 2, 3]
    rest = run("--source", "news", command="follow")  # resumes: never fetches one of the first three again
    assert rest.stdout.strip() == "1 articles fetched, 3 failed, 0 still queued (0 newly queued)"
    assert news.fetches("/news/water-framework") == 1

    news.site.pages["/files/report.pdf"] = Page(news.site.pages["/news/water-framework"].body)
    again = run("--source", "news", "--retry-failed", command="follow")
    assert again.stdout.strip() == "1 articles fetched, 3 failed, 0 still queued (4 newly queued)"
    assert news.fetches("/news/water-framework") == 1


def test_search_export_and_feeds_use_the_article_text(tmp_path, news):
    feeds = tmp_path / "feeds"
    db, run = runner(tmp_path, [{"name": "news", "url": news.listing_url, "follow": True}],
                     f"feeds_dir = {toml_value(str(feeds))}")
    run()
    found = run("Feinstaub", "--json", command="search").json  # in the German item's summary and article
    assert [(r["headline"], r["matched"]) for r in found] == [("Bericht zur Luftqualität veröffentlicht",
                                                               ["summary", "article"])]
    found = run("statistical", "--json", command="search").json  # only in articles' text
    assert {r["headline"] for r in found} == {"Commission adopts water cooperation framework",
                                              "Statistics week opens with a new portal"}
    assert all(r["matched"] == ["article"] for r in found)
    assert "[article]" in run("statistical", command="search").stdout

    import json

    exported = [json.loads(line) for line in run("--format", "ndjson", "--articles", command="export").stdout.splitlines()]
    water = next(r for r in exported if r["url"].endswith("/news/water-framework"))
    assert water["article_author"] == "Maria Keller" and water["article_language"] == "en"
    assert water["article_published"] == "2024-03-05" and ENGLISH[0] in water["article_text"]
    pdf = next(r for r in exported if r["url"].endswith(".pdf"))
    assert pdf["article_text"] is None and pdf["article_error"].startswith("not an HTML page")
    plain = json.loads(run("--format", "ndjson", command="export").stdout.splitlines()[0])
    assert not any(key.startswith("article_") for key in plain)

    atom = (feeds / "sources" / "news.atom").read_text(encoding="utf-8")
    assert ENGLISH[2] in atom  # the full text as the entry's content

    # Datasette's canned queries over the same archive.
    import asyncio

    from datasette.app import Datasette

    metadata = json.loads((Path(__file__).parent.parent / "metadata.json").read_text(encoding="utf-8"))

    async def fetch(*urls: str) -> list:
        ds = Datasette([str(db)], metadata=metadata)
        await ds.invoke_startup()
        answers = []
        for url in urls:
            response = await ds.client.get(url)
            assert response.status_code == 200, (url, response.text[:500])
            answers.append(response.json())
        return answers

    languages, failed = asyncio.run(fetch("/tidings/articles_by_source_and_language.json?_shape=array",
                                          "/tidings/failed_articles.json?_shape=array"))
    assert sorted((r["language"], r["articles"]) for r in languages) == [("de", 1), ("en", 2)]
    assert {r["url"].rsplit("/", 1)[1]: r["will_retry"] for r in failed} == {
        "embargoed": 0, "huge-annex": 0, "missing": 1, "report.pdf": 0}  # only the 404 may pass
    assert all(r["attempts"] == 1 and r["last_error"] for r in failed)


def test_an_archive_written_before_articles_migrates_without_losing_a_row(tmp_path, news):
    db = tmp_path / "tidings.db"
    shutil.copy(FIXTURES / "archive-schema-12.db", db)
    tables = ("sources", "crawls", "items", "item_versions", "sightings", "deliveries", "pages")
    before = {t: query(db, f"SELECT * FROM {t}") for t in tables}
    config = write_config(tmp_path / "tidings.toml", [{"name": "news", "url": news.listing_url, "follow": True}],
                          crawl={"max_bytes": MAX_BYTES})
    result = tidings("run", "--config", str(config), "--db", str(db))
    assert result.code == 0, result.stderr
    for table in tables:
        after = query(db, f"SELECT * FROM {table}")
        assert after[: len(before[table])] == before[table], table
    assert {r["key"] for r in query(db, "SELECT key FROM meta")} >= {"migration:12", "migration:13"}
    assert len(query(db, "SELECT * FROM articles")) == 7
    assert query(db, "SELECT count(*) AS n FROM items_fts WHERE items_fts MATCH 'Wasser'")[0]["n"] == 1


class Gate:
    """Article pages that answer the first `open_for` requests, then hold each later one (server
    side) until `release()`: a run can be stopped at a known point, with no sleep."""

    def __init__(self, open_for: int) -> None:
        import threading

        self.open_for = open_for
        self.asked = 0
        self.held: list[str] = []
        self._lock = threading.Lock()
        self._released = threading.Event()

    def release(self) -> None:
        self._released.set()

    def wrap(self, page: Page):
        def answer(request) -> None:
            with self._lock:
                self.asked += 1
                hold = self.asked > self.open_for and not self._released.is_set()
                if hold:
                    self.held.append(request.path)
            if hold:
                self._released.wait(timeout=60)
            send_page(request, page)  # the run may have been killed while this page was held

        return answer


def test_a_run_killed_while_fetching_articles_loses_no_listing_record_and_fetches_no_article_twice(tmp_path, news):
    import os
    import signal
    import subprocess
    import sys

    from tests.alert_receivers import wait_for
    from tests.helpers import ROOT

    receiver = Receiver().start()
    news.site._server.handle_error = lambda *args: None  # the killed run resets its connections
    gate = Gate(open_for=2)
    try:
        hook = notify_table(type="webhook", name="hook", url=receiver.url, timeout=5)
        db, run = runner(tmp_path, [{"name": "news", "url": news.listing_url, "follow": True, "follow_retries": 1}],
                         hook)
        config = tmp_path / "tidings.toml"
        config.write_text(config.read_text().replace("per_domain = 8", "per_domain = 1"))  # one article at a time
        run()  # the baseline, followed whole
        paths = [f"/news/slow-{n}" for n in range(8)]
        for n, path in enumerate(paths):
            news.add_article(path.rsplit("/", 1)[1], f"Slow release {n}", ENGLISH)
            news.site.pages[path] = gate.wrap(news.site.pages[path])
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def slow_articles() -> list[int]:
            try:
                return [r["item_id"] for r in query(db, "SELECT a.item_id FROM articles a JOIN items i ON"
                                                        " i.id = a.item_id WHERE i.url LIKE '%/slow-%'")]
            except sqlite3.OperationalError:  # locked for a moment by the run
                return []

        try:
            # Two articles answered and recorded, a third being fetched (held by the server): kill then.
            wait_for(lambda: gate.held and len(slow_articles()) == 2, timeout=60,
                     what="two articles recorded and a third in flight")
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
            gate.release()
        recorded = set(slow_articles())
        assert len(recorded) == 2 and len(gate.held) == 1  # per_domain = 1: the held one was the only one asked
        # The listing's crawl, its items and their alert were committed before any article.
        assert len(query(db, "SELECT * FROM items WHERE url LIKE '%/slow-%'")) == len(paths)
        assert [r["new"] for r in query(db, "SELECT new FROM crawls ORDER BY id")] == [0, len(paths)]
        assert len(query(db, "SELECT * FROM deliveries")) == 1 and receiver.hits == []
        asked = {path: news.fetches(path) for path in paths}

        run()  # after the restart
        rows = query(db, "SELECT a.item_id, i.url, a.error FROM articles a JOIN items i ON i.id = a.item_id"
                         " WHERE i.url LIKE '%/slow-%'")
        assert sorted(r["item_id"] for r in rows) == sorted({r["item_id"] for r in rows})  # one row per article
        assert len(rows) == len(paths) and all(r["error"] is None for r in rows)
        for row in rows:
            path = "/" + row["url"].split("/", 3)[3]
            if row["item_id"] in recorded:  # recorded before the kill: never fetched again
                assert news.fetches(path) == asked[path] == 1, path
            else:  # never asked, or held when the run was killed: fetched once by the restarted run
                assert news.fetches(path) == asked[path] + 1, path
        assert query(db, "SELECT * FROM article_queue") == []
        # The item alert went out once, from the restarted run.
        assert len(receiver.hits) == 1 and len(receiver.hits[0].json["items"]) == len(paths)
        assert len(query(db, "SELECT * FROM crawls")) == 3 and query(db, "PRAGMA integrity_check") == [
            {"integrity_check": "ok"}]
    finally:
        gate.release()
        receiver.stop()


def test_sources_crawled_by_worker_processes_have_their_articles_fetched_in_the_same_run(tmp_path, news):
    db, run = runner(tmp_path, [{"name": f"copy-{n}", "url": news.listing_url, "follow": True} for n in range(4)])
    config = tmp_path / "tidings.toml"
    config.write_text(config.read_text().replace("[crawl]", "[crawl]\nprocesses = 2"))
    run()
    per_source = query(db, "SELECT s.name, count(a.id) AS n FROM sources s JOIN items i ON i.source_id = s.id"
                           " LEFT JOIN articles a ON a.item_id = i.id GROUP BY s.name ORDER BY s.name")
    assert [(r["name"], r["n"]) for r in per_source] == [(f"copy-{n}", 7) for n in range(4)]
    assert query(db, "SELECT count(*) AS n FROM article_queue WHERE attempts = 0")[0]["n"] == 0


def test_a_source_rendered_in_a_browser_has_its_articles_rendered_there_too(tmp_path, news):
    from tests.browser_processes import require_chromium

    chromium = require_chromium()
    import json

    json_list = json.dumps(ENGLISH)
    news.site.pages["/news/scripted"] = Page(
        "<!DOCTYPE html><html lang=en><head><title>Scripted release</title></head><body><main><article>"
        "<h1>Scripted release</h1><div id=body></div></article></main><script>"
        f"for (const text of {json_list}) {{ const p = document.createElement('p'); p.textContent = text;"
        " document.getElementById('body').appendChild(p); }</script></body></html>")
    news.items[:] = [news.items[0].__class__("A release whose text is drawn by a script", ["Scripted."],
                                             "/news/scripted", "2024-03-10")]
    news.publish()
    db, run = runner(tmp_path, [{"name": "drawn", "url": news.listing_url, "follow": True, "render": "browser"}],
                     f"[browser]\nexecutable = {toml_value(chromium)}\n")
    run()
    [article] = query(db, "SELECT * FROM articles")
    assert article["error"] is None and ENGLISH[0] in article["text"] and ENGLISH[2] in article["text"]


def test_follow_keys_are_source_keys_settable_in_defaults_and_checked():
    from monitor.config import parse_config
    from monitor.errors import ConfigError

    config = parse_config({
        "defaults": {"follow": True, "follow_limit": 5},
        "source": [{"name": "a", "url": "https://a.example/news"},
                   {"name": "b", "url": "https://b.example/news", "follow": False, "refollow": True,
                    "follow_retries": 1}],
    })
    a, b = config.sources
    assert (a.follow, a.follow_limit, a.refollow, a.follow_retries) == (True, 5, False, 3)
    assert (b.follow, b.follow_limit, b.refollow, b.follow_retries) == (False, 5, True, 1)
    plain = parse_config({"source": [{"name": "c", "url": "https://c.example/news"}]}).sources[0]
    assert (plain.follow, plain.follow_limit, plain.refollow, plain.follow_retries) == (False, 50, False, 3)
    with pytest.raises(ConfigError, match=r"source 'a': key 'follow_limit'"):
        parse_config({"source": [{"name": "a", "url": "https://a.example/news", "follow_limit": 0}]})
    with pytest.raises(ConfigError, match=r"key 'include_article'"):
        parse_config({"source": [{"name": "a", "url": "https://a.example/news"}],
                      "notify": [{"type": "webhook", "url": "https://hooks.example/x", "include_article": "yes"}]})
