"""`tidings add URL` and `tidings remove NAME` on a hand-written configuration:
every byte outside the one block stays, and the added source crawls with
the items its preview showed (the real CLI against a local site)."""

from __future__ import annotations

import difflib
import sqlite3
import tomllib

import pytest

from monitor.config import source_name_for, unique_name
from monitor.config.edit import EditError, add_source, remove_source, source_block, source_blocks
from tests.helpers import Page, tidings
from tests.pages import Listing, extra_item, seed_items

HAND_WRITTEN = """\
# Tidings for the press office.
# Kept by hand: please keep the comments.

[crawl]
delay = 0            # loopback test site: no pause
autothrottle = false
per_domain = 8

[defaults]
timeout = 10   # seconds per page

# The agency's environment news, pinned.
[[source]]
name = "pinned"
url = "{other}"
item = 'div.view-content div.views-row'
headline = 'h3'   # the title
# summary = '.summary p'   (off on purpose)

# Alerts go to the team's hook.
[[notify]]
type = "webhook"
name = "team"
url = "http://127.0.0.1:9/hook"    # a placeholder nobody listens on
sources = ["pinned"]

# A second source, after the notifier.
[[source]]
name = "later"
url = "{later}"
item = "div.views-row"
headline = "h3"

[alerts]
broken_after = 5
"""


def _config(tmp_path, site) -> tuple:
    for page in ("/other", "/later"):
        site.pages[page] = Page(Listing().render())
    text = HAND_WRITTEN.format(other=site.url("/other"), later=site.url("/later"))
    path = tmp_path / "tidings.toml"
    path.write_bytes(text.encode("utf-8"))
    return path, text


def _only_insertion(before: str, after: str) -> str:
    """The one run of lines `after` added to `before`; fails if anything else changed."""
    ops = difflib.SequenceMatcher(None, before.splitlines(True), after.splitlines(True), autojunk=False).get_opcodes()
    changes = [op for op in ops if op[0] != "equal"]
    assert len(changes) == 1 and changes[0][0] == "insert", changes
    _, _, _, j1, j2 = changes[0]
    return "".join(after.splitlines(True)[j1:j2])


def test_add_then_crawl_then_remove_keeps_every_other_byte(tmp_path, site):
    config, original = _config(tmp_path, site)
    site.pages["/media/news"] = Page(Listing().render())
    url = site.url("/media/news")
    db = tmp_path / "tidings.db"

    added = tidings("add", url, "--config", str(config), "--yes", "--schedule", "6h")
    assert added.code == 0, added.stdout + added.stderr
    shown = [item.headline for item in seed_items()]
    assert all(headline in added.stdout for headline in shown)
    assert f"added source '127-0-0-1-media-news' to {config}" in added.stderr

    edited = config.read_text(encoding="utf-8")
    block = _only_insertion(original, edited)
    table = tomllib.loads(block)["source"][0]
    assert table["name"] == "127-0-0-1-media-news" and table["url"] == url and table["schedule"] == "6h"
    assert table["item"] and table["headline"]  # pinned: the detected selectors
    # After the last [[source]] (and its comment), before [alerts].
    assert edited.index(block) > edited.index('headline = "h3"') and edited.index(block) < edited.index("[alerts]")

    # The new source crawls with the items its preview showed.
    run = tidings("run", "--config", str(config), "--db", str(db), "--source", table["name"], "--json")
    assert run.code == 0, run.stdout + run.stderr
    (report,) = run.json["sources"]
    assert report["status"] == "baseline" and report["items_seen"] == len(shown)
    conn = sqlite3.connect(db)
    archived = [h for (h,) in conn.execute("SELECT headline FROM items ORDER BY position")]
    conn.close()
    assert archived == shown

    # A duplicate URL or name is refused in one line, and nothing is written.
    again = tidings("add", url, "--config", str(config), "--yes")
    assert again.code == 2 and again.stderr.count("\n") == 1
    assert f"source '127-0-0-1-media-news' already watches {url}" in again.stderr
    respelt = url.replace("http://127.0.0.1", "HTTP://127.0.0.1") + "#latest"  # the same listing, spelt otherwise
    assert tidings("add", respelt, "--config", str(config), "--yes").code == 2
    taken = tidings("add", site.url("/later?page=2"), "--config", str(config), "--yes", "--name", "pinned")
    assert taken.code == 2 and "a source named 'pinned' exists already" in taken.stderr
    assert config.read_text(encoding="utf-8") == edited

    # Removing it gives back the file as written, byte for byte; its archive rows stay.
    removed = tidings("remove", "127-0-0-1-media-news", "--config", str(config), "--db", str(db))
    assert removed.code == 0, removed.stderr
    assert f"its {len(shown)} archived items stay" in removed.stderr
    assert config.read_bytes() == original.encode("utf-8")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == len(shown)
    conn.close()


def test_remove_takes_only_the_block_and_its_comment(tmp_path, site):
    config, original = _config(tmp_path, site)
    result = tidings("remove", "later", "--config", str(config))
    assert result.code == 0, result.stderr
    expected = original.replace(
        '\n\n# A second source, after the notifier.\n[[source]]\nname = "later"\nurl = "' + site.url("/later")
        + '"\nitem = "div.views-row"\nheadline = "h3"\n', "\n")
    assert config.read_text(encoding="utf-8") == expected
    assert "[alerts]\nbroken_after = 5\n" in expected and "# Alerts go to the team's hook." in expected


def test_remove_refuses_unknown_names_and_sources_a_notifier_names(tmp_path, site):
    config, original = _config(tmp_path, site)
    unknown = tidings("remove", "nosuch", "--config", str(config))
    assert unknown.code == 2 and unknown.stderr.count("\n") == 1
    assert "no source named 'nosuch' (configured: pinned, later)" in unknown.stderr
    named = tidings("remove", "pinned", "--config", str(config))
    assert named.code == 2 and "notifier 'team' names source 'pinned'" in named.stderr
    assert config.read_text(encoding="utf-8") == original


def test_add_asks_first_and_writes_nothing_on_no(tmp_path, site):
    config, original = _config(tmp_path, site)
    site.pages["/press"] = Page(Listing().with_items([extra_item(1), extra_item(2), *seed_items()]).render())
    for answer in ("n\n", ""):  # "no", and no answer at all (end of input)
        result = tidings_with_input(answer, "add", site.url("/press"), "--config", str(config))
        assert result.returncode == 1 and "Add this source to" in result.stderr and "nothing written" in result.stderr
        assert extra_item(1).headline in result.stdout
    assert config.read_text(encoding="utf-8") == original
    yes = tidings_with_input("y\n", "add", site.url("/press"), "--config", str(config), "--name", "press")
    assert yes.returncode == 0, yes.stderr
    assert 'name = "press"' in _only_insertion(original, config.read_text(encoding="utf-8"))


def test_add_without_a_listing_or_a_page_writes_nothing(tmp_path, site):
    config, original = _config(tmp_path, site)
    site.pages["/empty"] = Page("<html><body><p>Nothing to see.</p></body></html>")
    empty = tidings("add", site.url("/empty"), "--config", str(config), "--yes")
    assert empty.code == 1 and "found no listing" in empty.stderr and "nothing written" in empty.stderr
    missing = tidings("add", site.url("/gone"), "--config", str(config), "--yes")
    assert missing.code == 1 and "404" in missing.stderr
    bad = tidings("add", site.url("/other2"), "--config", str(config), "--yes", "--schedule", "every tuesday")
    assert bad.code == 2 and "key 'schedule'" in bad.stderr
    assert config.read_text(encoding="utf-8") == original


def test_add_creates_a_missing_configuration(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    config = tmp_path / "new.toml"
    result = tidings("add", site.url("/news"), "--config", str(config), "--yes", "--render", "http")
    assert result.code == 0, result.stderr
    (source,) = tomllib.loads(config.read_text(encoding="utf-8"))["source"]
    assert source["name"] == "127-0-0-1-news" and source["render"] == "http"


def tidings_with_input(answer: str, *args: str):
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "monitor", *args], input=answer, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


# --- the pure edits -------------------------------------------------------------

def test_headers_inside_multi_line_strings_are_not_tables():
    text = ('[[source]]\nname = "a"\nurl = "https://a.example/"\nnote = """\n[[source]]\nname = "fake"\n"""\n\n'
            '[[source]]\nname = "b"\nurl = "https://b.example/"\n')
    assert [b.name for b in source_blocks(text)] == ["a", "b"]
    assert remove_source(text, "b") == text[: text.index('\n\n[[source]]\nname = "b"')] + "\n"
    with pytest.raises(EditError):
        remove_source(text, "fake")


def test_crlf_files_stay_crlf_and_a_file_without_a_final_newline_gets_one():
    text = '# top\r\n[crawl]\r\ndelay = 0\r\n\r\n[[source]]\r\nname = "a"\r\nurl = "https://a.example/"'
    added = add_source(text, {"name": "b", "url": "https://b.example/", "item": "li.it's"})
    assert added.startswith(text) and "\n" not in added.replace("\r\n", "")
    assert tomllib.loads(added)["source"][1] == {"name": "b", "url": "https://b.example/", "item": "li.it's"}
    assert remove_source(added, "b") == text + "\r\n"


def test_new_blocks_quote_any_value():
    block = source_block({"name": "x", "url": "https://e.example/?q=\"a\"", "item": "xpath://div[@class='a\\b']"})
    assert tomllib.loads(block)["source"][0]["item"] == "xpath://div[@class='a\\b']"


@pytest.mark.parametrize("url, name", [
    ("https://www.un.org/press/en/", "un-org-press-en"),
    ("https://unece.org/media/news?f%5B0%5D=program%3A404", "unece-org-media-news"),
    ("https://example.org/news/index.html", "example-org-news"),
    ("https://example.org", "example-org"),
    ("https://example.org/%C3%A9t%C3%A9/Actualit%C3%A9s.aspx", "example-org-ete-actualites"),
])
def test_names_come_from_host_and_path(url, name):
    assert source_name_for(url) == name


def test_names_are_unique_in_the_file():
    assert unique_name("un-org-press", ["un-org-press", "un-org-press-2"]) == "un-org-press-3"
    assert unique_name("un-org-press", ["other"]) == "un-org-press"



def test_emit_config_names_two_listings_of_one_host_apart(site, tmp_path):
    """Rough edge: `preview --emit-config` named every page of a host after the host alone."""
    names = []
    for path in ("/media/news", "/media/press-releases"):
        site.pages[path] = Page(Listing().render())
        emitted = tidings("preview", site.url(path), "--emit-config", cwd=tmp_path)
        assert emitted.code == 0, emitted.stderr
        names.append(tomllib.loads(emitted.stdout)["source"][0]["name"])
    assert names == ["127-0-0-1-media-news", "127-0-0-1-media-press-releases"]
