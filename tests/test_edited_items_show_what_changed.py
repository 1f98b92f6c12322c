"""What changed in an edited item, end to end: the real CLI against a local
listing whose items are edited between runs, a real SMTP server and a real
webhook receiver; `tidings history` and the Atom feed read the archive.

An edited headline and an edited summary each show up as the item's
`previous` text in `run --json` and the webhook body, as word marks in the
terminal report and the email's text part, and as <del>/<ins> in its HTML.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.alert_receivers import Receiver, SmtpServer, parts
from tests.helpers import ROOT, Page, tidings, toml_value, write_config
from tests.pages import DRUPAL_SOURCE, Item, Listing, seed_items

ATOM = "{http://www.w3.org/2005/Atom}"


def _notify(kind: str, name: str, **keys) -> str:
    return "[[notify]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in {"type": kind, "name": name, **keys}.items())


def _retitled(item: Item, headline: str) -> Item:
    return Item(headline, item.summary, item.path, item.date)


def _resummarised(item: Item, old: str, new: str) -> Item:
    assert old in item.summary[0]
    return Item(item.headline, [item.summary[0].replace(old, new), *item.summary[1:]], item.path, item.date)


@pytest.fixture
def edited_site(tmp_path, site):
    """A source crawled once (baseline), with a webhook and an email notifier
    that both want "updated" alerts, in a Berlin-time configuration."""
    receiver, smtp = Receiver().start(), SmtpServer().start()
    items = seed_items()
    site.pages["/news"] = Page(Listing().with_items(items).render())
    tables = "\n".join([
        '[defaults]\ntimezone = "Europe/Berlin"\n',
        _notify("webhook", "hook", url=receiver.url, on=["new", "updated"], timeout=5),
        _notify("email", "mail", smtp_host="127.0.0.1", smtp_port=smtp.port, security="none",
                **{"from": "tidings@example.org"}, to=["team@example.org"], on=["new", "updated"], timeout=5),
    ])
    config = write_config(tmp_path / "tidings.toml", [{"name": "un-news", "url": site.url("/news"), **DRUPAL_SOURCE}],
                          extra=tables)
    db = tmp_path / "tidings.db"

    def run(*args: str):
        result = tidings(*args, "--config", str(config), "--db", str(db))
        return result

    assert run("run").code == 0
    try:
        yield site, items, run, receiver, smtp, db
    finally:
        receiver.stop()
        smtp.stop()


def _feed_entries(run) -> dict:
    """The source's Atom feed entries by title."""
    feed = run("feed", "--source", "un-news")
    assert feed.code == 0, feed.stderr
    return {e.findtext(f"{ATOM}title"): e for e in ET.fromstring(feed.stdout.encode()).iter(f"{ATOM}entry")}


def _publish(site, items) -> None:
    site.pages["/news"] = Page(Listing().with_items(items).render())


def test_edited_headline_and_summary_are_diffed_everywhere(edited_site):
    site, items, run, receiver, smtp, db = edited_site
    original = list(items)
    edited = list(items)
    edited[2] = _retitled(items[2], "Corrected: " + items[2].headline)
    edited[4] = _resummarised(items[4], "over 218 deaths", "over 220 deaths")
    _publish(site, edited)

    # The terminal report (stdout is a pipe here: plain marks, no colour codes).
    second = run("run")
    assert second.code == 0, second.stderr
    out = second.stdout
    assert "\x1b[" not in out
    assert f"* {{+Corrected: +}}{items[2].headline}" in out
    assert "[-218-]{+220+}" in out
    assert "Updated on un-news:" in out

    # The webhook body: the current fields, change "updated" and the previous text.
    [hit] = receiver.hits
    by_url = {i["url"]: i for i in hit.json["items"]}
    headline_edit = by_url[site.url(items[2].path)]
    assert headline_edit["change"] == "updated" and headline_edit["headline"] == edited[2].headline
    assert headline_edit["previous"] == {"headline": original[2].headline, "summary": original[2].summary_text}
    summary_edit = by_url[site.url(items[4].path)]
    assert summary_edit["summary"] == edited[4].summary_text
    assert summary_edit["previous"] == {"headline": original[4].headline, "summary": original[4].summary_text}

    # The email: struck-through removals and highlighted additions in HTML, marks in text.
    [message] = smtp.messages
    assert message["Subject"] == "2 updated on un-news"
    text, html = parts(message)
    assert f"Updated: {{+Corrected: +}}{items[2].headline}" in text
    assert "[-218-]{+220+}" in text
    assert re.search(r"<ins style=\"[^\"]*\">Corrected: </ins>", html)
    assert re.search(r"<del style=\"[^\"]*line-through[^\"]*\">218</del><ins style=\"[^\"]*\">220</ins>", html)

    # Edited again, read as JSON: `previous` is the version the last run archived.
    again = list(edited)
    assert "exchange good practices" in edited[2].headline
    again[2] = _retitled(edited[2], edited[2].headline.replace("exchange good", "exchange best"))
    again[4] = _resummarised(edited[4], "at least 15 billion", "at least 16 billion")
    _publish(site, again)
    third = run("run", "--json")
    assert third.code == 0, third.stderr
    [source] = third.json["sources"]
    assert source["new"] == [] and source["status"] == "ok"
    updated = {u["url"]: u for u in source["updated"]}
    assert set(updated) == {site.url(items[2].path), site.url(items[4].path)}
    first = updated[site.url(items[2].path)]
    assert set(first) == {"headline", "summary", "url", "published", "previous"}
    assert first["headline"] == again[2].headline
    assert first["previous"] == {"headline": edited[2].headline, "summary": edited[2].summary_text}
    second_item = updated[site.url(items[4].path)]
    assert second_item["summary"] == again[4].summary_text
    assert second_item["previous"]["summary"] == edited[4].summary_text

    # `tidings history` by URL: every archived version, each diffed with the one before.
    history = run("history", site.url(items[2].path))
    assert history.code == 0, history.stderr
    lines = history.stdout.splitlines()
    assert lines[0].startswith("Item ") and "un-news" in lines[0] and site.url(items[2].path) in lines[0]
    assert "3 versions" in lines[1]
    assert [line.split(",")[0] for line in lines if line.startswith("Version ")] == ["Version 1", "Version 2", "Version 3"]
    assert f"  {items[2].headline}" in lines
    assert f"  {{+Corrected: +}}{items[2].headline}" in lines
    assert "[-good-]{+best+}" in history.stdout
    assert re.search(r"Version 1, seen \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d CET", history.stdout)

    # By id, as JSON (the id from the first document).
    as_json = run("history", site.url(items[4].path), "--json")
    doc = as_json.json
    by_id = run("history", str(doc["item_id"]), "--json").json
    assert by_id == doc
    assert [v["version"] for v in doc["versions"]] == [1, 2, 3]
    assert [v["summary"] for v in doc["versions"]] == [original[4].summary_text, edited[4].summary_text,
                                                       again[4].summary_text]
    assert doc["versions"][0]["diff"] is None
    assert doc["versions"][1]["diff"]["headline"] is None
    assert "[-218-]{+220+}" in doc["versions"][1]["diff"]["summary"]
    assert "[-15-]{+16+}" in doc["versions"][2]["diff"]["summary"]

    # The Atom feed: the edited item's entry says what changed.
    entries = _feed_entries(run)
    entry = entries[again[2].headline]
    summary = entry.findtext(f"{ATOM}summary")
    assert summary.startswith("Edited ") and "headline" in summary and "[-good-]{+best+}" in summary
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "<del>good</del><ins>best</ins>" in content.text
    unedited = entries[items[0].headline]
    assert unedited.findtext(f"{ATOM}summary") == items[0].summary_text
    assert unedited.find(f"{ATOM}content") is None


def test_every_item_edited_at_once_is_archived_but_not_alerted(edited_site):
    # The site's template now ends every teaser with the same words (or an upgrade of
    # Tidings reads the teasers differently): no story changed, nobody is told, and
    # the archive still keeps each item's new version.
    site, items, run, receiver, smtp, db = edited_site
    before = _feed_entries(run)
    restyled = [Item(i.headline, [i.summary[0] + " Read the full story.", *i.summary[1:]], i.path, i.date) for i in items]
    _publish(site, restyled)
    result = run("run", "--json")
    assert result.code == 0, result.stderr
    [source] = result.json["sources"]
    assert source["status"] == "ok" and source["new"] == [] and source["updated"] == []
    assert source["restyled"] == len(items)
    assert receiver.hits == [] and smtp.messages == []
    doc = run("history", site.url(items[0].path), "--json").json
    assert [v["summary"] for v in doc["versions"]] == [items[0].summary_text, restyled[0].summary_text]
    text = run("run")
    assert text.code == 0 and "restyled" not in text.stdout  # nothing changed since: quiet again

    # Nor does the feed call them edited: each entry carries the new text but
    # keeps its date, so a feed reader does not show every entry again.
    after = _feed_entries(run)
    for old, new in zip(items, restyled):
        entry, was = after[new.headline], before[old.headline]
        assert entry.findtext(f"{ATOM}summary") == new.summary_text
        assert entry.findtext(f"{ATOM}updated") == was.findtext(f"{ATOM}updated")

    # An editor's correction afterwards is news again.
    corrected = list(restyled)
    corrected[1] = _retitled(restyled[1], "Corrected: " + restyled[1].headline)
    _publish(site, corrected)
    [source] = run("run", "--json").json["sources"]
    assert [u["headline"] for u in source["updated"]] == [corrected[1].headline] and source["restyled"] == 0
    assert len(receiver.hits) == 1
    entry = _feed_entries(run)[corrected[1].headline]
    assert entry.findtext(f"{ATOM}summary").startswith("Edited ")
    assert entry.findtext(f"{ATOM}updated") != before[items[1].headline].findtext(f"{ATOM}updated")


def test_history_errors_are_one_line(edited_site, tmp_path):
    site, items, run, receiver, smtp, db = edited_site
    for ref, said in (("999999", "no archived item with id 999999"),
                      ("https://nowhere.example/x", "no archived item with URL https://nowhere.example/x")):
        result = run("history", ref)
        assert result.code == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and said in result.stderr, result.stderr
    unknown_source = run("history", "1", "--source", "nosuch")
    assert unknown_source.code == 2 and "no source named 'nosuch'" in unknown_source.stderr


def test_a_url_two_sources_share_needs_source(tmp_path, site):
    site.pages["/a"] = site.pages["/b"] = Page(Listing(absolute_base=site.base).render())
    config = write_config(tmp_path / "tidings.toml", [
        {"name": "first", "url": site.url("/a"), **DRUPAL_SOURCE},
        {"name": "second", "url": site.url("/b"), **DRUPAL_SOURCE},
    ])
    db = tmp_path / "tidings.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    url = site.url(seed_items()[1].path)
    ambiguous = tidings("history", url, "--db", str(db))
    assert ambiguous.code == 2
    assert "several sources (first, second)" in ambiguous.stderr and "--source" in ambiguous.stderr
    chosen = tidings("history", url, "--source", "second", "--db", str(db), "--json")
    assert chosen.code == 0 and chosen.json["source"] == "second"
    assert [v["headline"] for v in chosen.json["versions"]] == [seed_items()[1].headline]


def _in_terminal(args: list[str], env: dict) -> str:
    """Run the CLI with a pseudo-terminal as stdout, as a person at a shell would."""
    leader, follower = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_") and k != "NO_COLOR"}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", *args], cwd=ROOT, stdout=follower,
                            stderr=subprocess.PIPE, env={**full_env, "PYTHONPATH": str(ROOT), **env})
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8")


def test_a_terminal_gets_colours_and_no_color_turns_them_off(edited_site):
    site, items, run, receiver, smtp, db = edited_site
    edited = list(items)
    edited[0] = _retitled(items[0], items[0].headline.replace("strengthen", "improve"))
    _publish(site, edited)
    config = str(db.parent / "tidings.toml")
    report = _in_terminal(["run", "--config", config, "--db", str(db)], {})
    assert "\x1b[31;9mstrengthen\x1b[0m\x1b[32;4mimprove\x1b[0m" in report and "[-" not in report
    coloured = _in_terminal(["history", site.url(items[0].path), "--db", str(db)], {})
    assert "\x1b[31;9mstrengthen\x1b[0m\x1b[32;4mimprove\x1b[0m" in coloured
    plain = _in_terminal(["history", site.url(items[0].path), "--db", str(db)], {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "[-strengthen-]{+improve+}" in plain
