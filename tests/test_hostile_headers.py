"""Headers and replies from hostile servers never drive the terminal.

Escape sequences in `Retry-After`, `Location` or `Content-Type` (an OSC
window title, an OSC 52 clipboard write, a C1 CSI) are quoted in the reason
a crawl failed.  Every control character is stripped from anything that came
from the network before it is printed by `run` or `status` or stored in
`crawls.error`; the reason still says what happened.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3

from tests.helpers import Page, tidings, write_config
from tests.faults import redirect
from tests.pages import DRUPAL_SOURCE, Listing

OSC_TITLE = "\x1b]0;PWNED-TITLE\x07"
OSC_CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"
C1_CSI = "\x9b31m"
HOSTILE = OSC_TITLE + OSC_CLIPBOARD + C1_CSI
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # every C0/C1 control but the newline


def test_escape_sequences_in_headers_reach_neither_terminal_nor_archive(tmp_path, site):
    site.pages["/busy"] = Page("<h1>Busy</h1>", status=503,
                               headers={"Retry-After": "120" + HOSTILE, "Content-Type": "text/html"})
    site.pages["/moved"] = redirect("ftp://evil.example/" + HOSTILE, status=301)
    site.pages["/odd"] = Page(Listing().render(), headers={"Content-Type": "application/x-odd" + HOSTILE})
    sources = [{"name": name, "url": site.url(f"/{name}"), **DRUPAL_SOURCE} for name in ("busy", "moved", "odd")]
    config = write_config(tmp_path / "t.toml", sources)
    db = tmp_path / "archive.db"
    run = tidings("run", "--config", str(config), "--db", str(db))
    assert run.code == 1, run.stderr
    status = tidings("status", "--config", str(config), "--db", str(db))
    assert status.code == 0, status.stderr
    with contextlib.closing(sqlite3.connect(db)) as conn:
        errors = dict(conn.execute("SELECT sources.name, error FROM crawls JOIN sources ON sources.id = source_id"))
    for text in (run.stdout, run.stderr, status.stdout, status.stderr, *errors.values()):
        assert not CONTROL.search(text), repr(text)
    # The reasons still say what happened.
    assert "HTTP 503" in errors["busy"] and "Retry-After: 120" in errors["busy"]
    assert "only http and https are fetched" in errors["moved"] and "ftp://evil.example/" in errors["moved"]
    assert "not an HTML page" in errors["odd"] and "application/x-odd" in errors["odd"]
    assert "Retry-After: 120" in run.stdout


def http09(request) -> None:
    """An HTTP/0.9 answer: the body alone, no status line or headers."""
    request.close_connection = True
    request.wfile.write(b"<html><body><h3>No status line</h3></body></html>\n")


def test_an_http09_reply_is_named_not_dumped(tmp_path, site):
    site.pages["/old"] = http09
    config = write_config(tmp_path / "t.toml", [{"name": "old", "url": site.url("/old"), **DRUPAL_SOURCE}])
    run = tidings("run", "--config", str(config), "--db", str(tmp_path / "archive.db"), "--json")
    assert run.code == 1, run.stderr
    [source] = run.json["sources"]
    assert source["status"] == "failed"
    error = source["error"]
    assert "not a valid HTTP response" in error and "127.0.0.1" in error, error
    assert not re.search(r"<twisted|Failure|\[<|>\]|_newclient", error), error


def test_a_meta_refresh_to_a_local_file_is_refused_not_blamed_on_selectors(tmp_path, site):
    site.pages["/refresh"] = Page('<html><head><meta http-equiv="refresh" content="0; url=file:///etc/passwd">'
                                  "</head><body><p>Moved</p></body></html>")
    config = write_config(tmp_path / "t.toml", [{"name": "refresh", "url": site.url("/refresh"), **DRUPAL_SOURCE}])
    run = tidings("run", "--config", str(config), "--db", str(tmp_path / "archive.db"), "--json")
    assert run.code == 1, run.stderr
    [source] = run.json["sources"]
    assert source["status"] == "failed", source
    assert "file:///etc/passwd" in source["error"] and "only http and https are fetched" in source["error"], source
    assert "selector" not in source["error"]
