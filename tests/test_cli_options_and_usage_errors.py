"""Command-line edge cases (option clashes, odd archives, empty queries), checked through the real `tidings` command."""

from __future__ import annotations

import feedparser
import pytest

from tests.archives import build_sample
from tests.helpers import Page, tidings
from tests.pages import Listing


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("archive") / "tidings.db"
    build_sample(path)
    return path


@pytest.mark.parametrize("name, version", [("news.rss", "rss20"), ("news.atom", "atom10"), ("news.xml", "atom10")])
def test_feed_format_follows_the_output_file_extension(db, tmp_path, name, version):
    """`tidings feed -o news.rss` is an RSS feed, as `export -o x.json` is JSON."""
    out = tmp_path / name
    result = tidings("feed", "--db", str(db), "-o", str(out))
    assert result.code == 0, result.stderr
    assert feedparser.parse(out.read_bytes()).version == version


def test_feed_explicit_format_wins_over_the_extension(db, tmp_path):
    out = tmp_path / "news.rss"
    assert tidings("feed", "--db", str(db), "--format", "atom", "-o", str(out)).code == 0
    assert feedparser.parse(out.read_bytes()).version == "atom10"


def test_preview_json_and_emit_config_together_is_a_usage_error(site, tmp_path):
    site.pages["/news"] = Page(Listing().render())
    result = tidings("preview", site.url("/news"), "--json", "--emit-config", cwd=tmp_path)
    assert result.code == 2
    assert "--json or --emit-config" in result.stderr and result.stdout == ""


def test_preview_with_an_invalid_config_named_explicitly_says_so(site, tmp_path):
    site.pages["/news"] = Page(Listing().render())
    bad = tmp_path / "bad.toml"
    bad.write_text("[crawl]\nconcurency = 2\n", encoding="utf-8")
    result = tidings("preview", site.url("/news"), "--config", str(bad), cwd=tmp_path)
    assert result.code == 2
    assert result.stderr.strip().startswith("tidings: error: ") and "concurency" in result.stderr
    assert "Traceback" not in result.stderr
    # Without --config, a half-written ./tidings.toml does not stop a preview that needs none of it.
    (tmp_path / "tidings.toml").write_text("[crawl]\nconcurency = 2\n", encoding="utf-8")
    assert tidings("preview", site.url("/news"), "--json", cwd=tmp_path).code == 0


def test_every_command_takes_config_db_verbose_and_log_file():
    """README: every command takes --config, --db, -v and --log-file."""
    from monitor.cli import cli

    for name, command in cli.commands.items():
        opts = {o for p in command.params for o in p.opts}
        assert {"--config", "--db", "-v", "--log-file"} <= opts, name


def test_status_logs_to_the_named_file(db, tmp_path):
    config = tmp_path / "tidings.toml"
    config.write_text('[[source]]\nname = "water"\nurl = "https://example.org/water"\n', encoding="utf-8")
    log = tmp_path / "status.log"
    result = tidings("status", "--config", str(config), "--db", str(db), "-v", "--log-file", str(log), "--json")
    assert result.code == 0, result.stderr
    assert [s["name"] for s in result.json["sources"]] == ["water"]
    assert log.exists()


@pytest.mark.parametrize("command", [["status"], ["export"], ["feed"], ["search", "water"]])
@pytest.mark.parametrize("kind", ["other-application", "empty-file"])
def test_reading_commands_refuse_a_database_that_is_no_archive(tmp_path, command, kind):
    import sqlite3

    path = tmp_path / "other.db"
    if kind == "empty-file":
        path.write_bytes(b"")
    else:
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        db.commit()
        db.close()
    config = tmp_path / "tidings.toml"
    config.write_text('[[source]]\nname = "water"\nurl = "https://example.org/water"\n', encoding="utf-8")
    result = tidings(*command, "--config", str(config), "--db", str(path))
    assert result.code == 2
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0]  # one line
    assert result.stderr.startswith("tidings: error: ") and "not a Tidings archive" in result.stderr
    assert "Traceback" not in result.stderr


def test_automatic_detection_follows_the_pager_up_to_max_pages(site, tmp_path):
    """README: without `item`, next_page defaults to the pager link detection finds."""
    from tests.helpers import write_config
    from tests.pages import extra_item, seed_items

    site.pages["/news"] = Page(Listing(next_page="/news2").render())
    site.pages["/news2"] = Page(Listing(items=[extra_item(n) for n in range(1, 11)]).render())
    config = write_config(tmp_path / "tidings.toml", [{"name": "auto", "url": site.url("/news"), "max_pages": 2}])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "t.db"), "--json")
    assert result.code == 0, result.stderr
    [source] = result.json["sources"]
    assert source["status"] == "baseline" and source["items_seen"] == 20
    exported = tidings("export", "--db", str(tmp_path / "t.db"), "--format", "json").json
    assert [r["headline"] for r in exported] == [i.headline for i in seed_items()] + [
        extra_item(n).headline for n in range(1, 11)
    ]


@pytest.mark.parametrize("args", [["search", ""], ["search", "  "], ["export", "--search", ""]])
def test_an_empty_search_query_is_one_clear_line(db, args):
    """Before: an empty `search` query gave an FTS5 syntax error, and `export --search` exported everything."""
    result = tidings(*args, "--db", str(db))
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.strip() == "tidings: error: search query is empty: give one or more words"
