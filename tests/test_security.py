"""Security checks that back docs/security.md.

- A secret planted in the environment (named by a webhook notifier's
  `secret_env`) never appears in stdout, stderr, the log file or any file the
  runs leave (archive, WAL, locks); it only signs what the receiver gets.
- A hostile listing cannot expand entities, read local files or smuggle
  non-web links into the archive.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

from tests.alert_receivers import Receiver
from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items
from scraper.extract import extract
from scraper.selectors import Selectors


def test_a_planted_secret_never_reaches_output_logs_or_archive(tmp_path, site):
    secret = "planted-" + secrets.token_hex(16)
    receiver = Receiver().start()
    try:
        site.pages["/news"] = Page(Listing().render())
        config = write_config(
            tmp_path / "t.toml",
            [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}],
            extra=f'[[notify]]\ntype = "webhook"\nurl = "{receiver.url}"\nsecret_env = "TIDINGS_WEBHOOK_SECRET"\n',
        )
        db, log = tmp_path / "archive.db", tmp_path / "tidings.log"
        env = {"TIDINGS_WEBHOOK_SECRET": secret}
        outputs = []
        for page in (Listing().render(), Listing([extra_item(1), *seed_items()]).render()):
            site.pages["/news"] = Page(page)
            result = tidings("run", "--config", str(config), "--db", str(db), "--json", "-vv", "--log-file", str(log), env=env)
            assert result.code == 0, result.stderr
            outputs += [result.stdout, result.stderr]
        assert [n["headline"] for n in json.loads(outputs[2])["sources"][0]["new"]] == [extra_item(1).headline]
        # The archive, its WAL, lock files, the log: every file the runs left.
        stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
        assert log.stat().st_size > 0 and stored
        for place, text in [("stdout/stderr", "".join(outputs).encode()), ("log file", log.read_bytes()), ("files", stored)]:
            assert secret.encode() not in text, f"the secret leaked into the {place}"
        # The webhook got the one new item; the secret signed it and never travelled.
        [hit] = receiver.hits
        assert [i["headline"] for i in hit.json["items"]] == [extra_item(1).headline]
        assert secret.encode() not in hit.raw and secret not in json.dumps(hit.headers)
        expected = "sha256=" + hmac.new(secret.encode(), hit.raw, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(hit.headers["X-Tidings-Signature"], expected)
    finally:
        receiver.stop()


HOSTILE = """<?xml version="1.0"?>
<!DOCTYPE html [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY lol "lollollollollollollollol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<html><head><base href="javascript:alert(1)//"></head><body><ul>
<li class="item"><h2><a href="javascript:alert(document.cookie)">Entity &xxe; and &lol3;</a></h2></li>
<li class="item"><h2><a href="data:text/html,&lt;script&gt;x&lt;/script&gt;">Data link</a></h2></li>
<li class="item"><h2><a href="file:///etc/passwd">File link</a></h2></li>
<li class="item"><h2><a href=" /news/ok#comments ">Good link</a></h2><p>&lt;script&gt;alert(1)&lt;/script&gt; teaser</p></li>
<li class="item"><h2 onclick="steal()"><script>document.write('injected')</script><style>h2{}</style>Hidden parts</h2></li>
</ul></body></html>"""


def test_a_hostile_listing_cannot_expand_entities_or_smuggle_links():
    records = extract(HOSTILE, "https://news.example.org/list", Selectors("li.item", "h2", summary="p"), "s").records
    text = " ".join(r.headline + " " + r.summary for r in records)
    assert "root:" not in text and "lollol" not in text  # no external or expanding entities
    assert "injected" not in text and "h2{}" not in text  # script and style text is not headline text
    assert [r.url for r in records] == [None, None, None, "https://news.example.org/news/ok", None]
    # Scraped markup stays text: the archive holds the characters, never live HTML.
    assert records[3].summary == "<script>alert(1)</script> teaser"


def test_the_crawler_itself_refuses_non_web_schemes(tmp_path):
    """Defence in depth: even a URL that skipped config validation is not fetched."""
    import subprocess
    import sys

    from tests.helpers import ROOT

    secret_file = tmp_path / "private.html"
    secret_file.write_text("<p>private</p>")
    script = (
        "import sys\n"
        "from monitor.config import CrawlSettings, Source\n"
        "from monitor.run import preview\n"
        "result = preview(Source(name='x', url=sys.argv[1], item='p', headline='p'), CrawlSettings(delay=0))\n"
        "print(result.error, len(result.records))\n"
    )
    for url in (secret_file.as_uri(), "data:text/html,<p>inline</p>"):
        proc = subprocess.run([sys.executable, "-c", script, url], cwd=ROOT, capture_output=True, text=True,
                              timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
        out = proc.stdout.strip()
        assert out.startswith(f"refused to fetch {url.split(':')[0]}:"), proc.stderr[-2000:]
        assert out.endswith(": only http and https are fetched 0")


def test_terminal_escape_sequences_in_a_listing_never_reach_the_terminal(tmp_path, site):
    import sqlite3

    evil = "Breaking\x1b]0;pwned\x07 news \x1b[2J\x9b1mnow"
    site.pages["/news"] = Page(
        f'<ul><li class="item"><h2><a href="/n/1">{evil}</a></h2><p>Teaser\x1b[31m red</p></li></ul>'
    )
    config = write_config(tmp_path / "t.toml", [{"name": "news", "url": site.url("/news"), "item": "li.item",
                                                 "headline": "h2", "summary": "p", "alert_on_first_run": True}])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert result.code == 0, result.stderr
    assert "Breaking]0;pwned news [2J1mnow" in result.stdout  # the visible characters, not the controls
    assert not any(ord(c) < 32 and c != "\n" or 0x7F <= ord(c) < 0xA0 for c in result.stdout)
    with sqlite3.connect(tmp_path / "a.db") as conn:
        assert conn.execute("SELECT headline, summary FROM items").fetchall() == [
            ("Breaking]0;pwned news [2J1mnow", "Teaser[31m red")
        ]
