"""One test per way a watched site can break, on real processes.

All faulty sources and one healthy `control` source share three runs of the
real CLI against a real local server (sharing keeps the file fast; each fault
still gets its own test):

1. baseline: every source shows the same 20 items;
2. fault: each faulty source misbehaves in its own way, while `control`
   publishes one new item;
3. healthy: every source is back and shows one really new item.

For each fault the test checks that the fault run finished, `control` was
unaffected, the faulty source is failed or suspect with a one-line reason a
person understands (or, for encoding quirks and duplicates, read right), that
nothing was reported new, updated or lost, and that the healthy run reports
exactly the one really new item.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import Callable

import pytest

from tests.alert_receivers import Receiver
from tests.faults import Counter, huge, never_answers, redirect, trickles, truncated
from tests.helpers import Page, Site, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Item, Listing, extra_item, seed_items

ACCENTED = Item(
    "Ministers’ “Genève” declaration – €5 million for Côte d’Ivoire",
    ["Naïve café résumé: 10 °C warmer, ½ the water."],
    "/media/news/geneve-declaration",
    "2021-12-20",
)
BASE = seed_items() + [extra_item(n) for n in range(1, 10)] + [ACCENTED]  # 20 items
CONTROL_NEW = extra_item(21)  # published by `control` during the fault run
REALLY_NEW = extra_item(30)  # published by every source in the healthy run
DUPLICATED = extra_item(31)  # shown twice on the duplicates page
MAX_BYTES = 1024 * 1024  # [crawl] max_bytes for these runs
FIFTY_MB = 50 * 1024 * 1024
SHORT_TIMEOUT = {"timeout": 1}
html = Listing(BASE).render


def encoded(encoding: str, meta: str | None, content_type: str) -> Page:
    """The listing in `encoding`, declaring `meta` in the page (None: no <meta charset>)."""
    text = html().replace('<meta charset="utf-8">', f'<meta charset="{meta}">' if meta else "")
    return Page(text.encode(encoding), headers={"Content-Type": content_type})


def deeply_nested(depth: int) -> Page:
    """A page whose listing sits under `depth` nested <div>s (a broken template)."""
    text = html().replace('<main role="main"', "<div>" * depth + '<main role="main"').replace(
        "</main>", "</main>" + "</div>" * depth
    )
    return Page(text)


@dataclass
class Fault:
    serve: Callable[["Scenario"], object]  # what /f/NAME serves during the fault run
    status: str  # expected verdict: failed, suspect (or ok for quirks read right)
    reason: str | None  # words the one-line reason must contain
    source: dict = field(default_factory=dict)  # extra source keys
    url: Callable[["Scenario"], str] | None = None  # the source's URL in the fault run
    new: tuple[str, ...] = ()  # headlines the fault run must report new


FAULTS: dict[str, Fault] = {
    "http-404": Fault(lambda s: Page("<h1>Not found</h1>", status=404), "failed", "HTTP 404 from http://"),
    "http-410": Fault(lambda s: Page("<h1>Gone</h1>", status=410), "failed", "HTTP 410 from http://"),
    "http-500": Fault(lambda s: Page("<h1>Oops</h1>", status=500), "failed", "HTTP 500 from http://"),
    "http-503-retry-after": Fault(
        lambda s: Page("<h1>Busy</h1>", status=503, headers={"Retry-After": "120", "Content-Type": "text/html"}),
        "failed", "(Retry-After: 120)",
    ),
    "connection-refused": Fault(
        lambda s: Page(html()), "failed", "connection refused by 127.0.0.1:",
        url=lambda s: f"http://127.0.0.1:{s.closed_port}/f/connection-refused",
    ),
    "never-answers": Fault(lambda s: never_answers, "failed", "timed out: no complete response", SHORT_TIMEOUT),
    "trickles-forever": Fault(lambda s: trickles, "failed", "timed out: no complete response", SHORT_TIMEOUT),
    "redirect-loop": Fault(lambda s: redirect("/f/redirect-loop"), "failed", "too many redirects"),
    "redirect-to-ftp": Fault(
        lambda s: redirect("ftp://127.0.0.1/news.html", 301), "failed",
        "redirected to ftp://127.0.0.1/news.html: only http and https are fetched",
    ),
    "redirect-to-file": Fault(
        lambda s: redirect("file:///etc/passwd"), "failed",
        "redirected to file:///etc/passwd: only http and https are fetched",
    ),
    "robots-txt": Fault(lambda s: Page(html()), "failed", "forbidden by robots.txt"),
    "huge-streamed": Fault(
        lambda s: huge(FIFTY_MB, s.sent, declare_length=False), "failed", "larger than the size limit (max_bytes"
    ),
    "huge-declared": Fault(
        lambda s: huge(FIFTY_MB, s.sent, declare_length=True), "failed", "larger than the size limit (max_bytes"
    ),
    "pdf-body": Fault(
        lambda s: Page(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", headers={"Content-Type": "application/pdf"}),
        "failed", "not an HTML page (Content-Type application/pdf)",
    ),
    "json-body": Fault(
        lambda s: Page('{"items": []}', headers={"Content-Type": "application/json"}),
        "failed", "not an HTML page (Content-Type application/json)",
    ),
    "windows-1252-no-charset": Fault(lambda s: encoded("cp1252", None, "text/html"), "ok", None),
    "utf-16-with-bom": Fault(lambda s: encoded("utf-16", "utf-16", "text/html"), "ok", None),
    "header-says-latin-1-body-is-utf-8": Fault(
        lambda s: encoded("utf-8", "utf-8", "text/html; charset=ISO-8859-1"), "ok", None
    ),
    "header-says-utf-8-body-is-windows-1252": Fault(
        lambda s: encoded("cp1252", "windows-1252", "text/html; charset=utf-8"), "ok", None
    ),
    "truncated-transfer": Fault(
        lambda s: truncated(html().encode()), "failed", "broke before the response was complete"
    ),
    "truncated-markup": Fault(
        lambda s: Page(html()[: html().index(BASE[8].headline)]), "suspect",
        "only 8 items found where the last good crawl saw 20",
    ),
    "deep-nesting": Fault(lambda s: deeply_nested(10_000), "failed", "nested too deeply"),
    "layout-changed": Fault(
        lambda s: Page(html().replace("views-row", "news-card")), "suspect",
        "no items found: the page layout probably changed",
    ),
    "one-item-instead-of-20": Fault(
        lambda s: Page(Listing(BASE[:1]).render()), "suspect", "only 1 item found where the last good crawl saw 20"
    ),
    "duplicates-on-one-page": Fault(
        lambda s: Page(Listing([DUPLICATED, *BASE, DUPLICATED, *BASE]).render()), "ok", None,
        new=(DUPLICATED.headline,),
    ),
}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Run:
    code: int
    seconds: float
    sources: dict[str, dict]
    stderr: str
    requests: list[str]  # paths the site was asked for during the run
    alerts: dict[str, list[tuple[str, str]]]  # webhook alerts of the run: source -> [(change, headline)]


@dataclass
class Scenario:
    site: Site
    db: str
    receiver: Receiver
    closed_port: int = field(default_factory=free_port)
    sent: Counter = field(default_factory=Counter)
    runs: dict[str, Run] = field(default_factory=dict)
    snapshots: dict[str, dict[str, set]] = field(default_factory=dict)

    def run(self, phase: str, tmp) -> Run:
        sources = [{"name": "control", "url": self.site.url("/control"), **DRUPAL_SOURCE}]
        for name, fault in FAULTS.items():
            url = fault.url(self) if (phase == "fault" and fault.url) else self.site.url(f"/f/{name}")
            sources.append({"name": name, "url": url, **DRUPAL_SOURCE, **fault.source})
        webhook = f'[[notify]]\ntype = "webhook"\nurl = "{self.receiver.url}"\non = ["new", "updated", "broken"]\n'
        config = write_config(tmp / f"{phase}.toml", sources, crawl={"max_bytes": MAX_BYTES}, extra=webhook)
        started = time.monotonic()
        first_request, first_hit = len(self.site.requests), len(self.receiver.hits)
        result = tidings("run", "--config", str(config), "--db", self.db, "--json", timeout=180)
        seconds = time.monotonic() - started
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        by_name = {s["name"]: s for s in result.json["sources"]}
        alerts: dict[str, list[tuple[str, str]]] = {}
        for hit in self.receiver.hits[first_hit:]:
            alerts.setdefault(hit.json["source"], []).extend((i["change"], i["headline"]) for i in hit.json["items"])
        run = self.runs[phase] = Run(result.code, seconds, by_name, result.stderr,
                                     self.site.requests[first_request:], alerts)
        self.snapshots[phase] = self.items()
        return run

    def items(self) -> dict[str, set]:
        """Every archived item of every source: (key, headline, summary, url)."""
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute(
                "SELECT s.name, i.key, i.headline, i.summary, i.url FROM items i JOIN sources s ON s.id = i.source_id"
            ).fetchall()
        by_source: dict[str, set] = {}
        for name, *item in rows:
            by_source.setdefault(name, set()).add(tuple(item))
        return by_source


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    site = Site()
    scenario = Scenario(site, str(tmp / "archive.db"), Receiver().start())
    try:
        serve_everywhere(site, Listing(BASE).render())
        baseline = scenario.run("baseline", tmp)
        assert baseline.code == 0, baseline.stderr[-3000:]
        assert {s["status"] for s in baseline.sources.values()} == {"baseline"}

        site.pages["/control"] = Page(Listing([CONTROL_NEW, *BASE]).render())
        for name, fault in FAULTS.items():
            site.pages[f"/f/{name}"] = fault.serve(scenario)
        site.pages["/robots.txt"] = Page("User-agent: *\nDisallow: /f/robots-txt\n", headers={"Content-Type": "text/plain"})
        scenario.run("fault", tmp)

        del site.pages["/robots.txt"]
        serve_everywhere(site, Listing([REALLY_NEW, *BASE]).render())
        scenario.run("healthy", tmp)
        yield scenario
    finally:
        site.close()
        scenario.receiver.stop()


def serve_everywhere(site: Site, body: str) -> None:
    site.pages["/control"] = Page(body)
    for name in FAULTS:
        site.pages[f"/f/{name}"] = Page(body)


def test_the_fault_run_finishes_in_bounded_time_and_the_healthy_source_is_unaffected(scenario):
    run = scenario.runs["fault"]
    assert run.code == 1  # some sources failed: cron gets a non-zero exit
    assert run.seconds < 90, f"the fault run took {run.seconds:.0f} s"
    control = run.sources["control"]
    assert (control["status"], control["error"]) == ("ok", None)
    assert [n["headline"] for n in control["new"]] == [CONTROL_NEW.headline]
    assert control["updated"] == []
    assert control["items_seen"] == 21
    # The fault run alerts the healthy source's new item and what is really new elsewhere, once.
    expected = {name: [("new", h) for h in fault.new] for name, fault in FAULTS.items() if fault.new}
    assert run.alerts == {"control": [("new", CONTROL_NEW.headline)], **expected}


def test_robots_txt_is_obeyed_by_every_source_of_a_site(scenario, site, tmp_path):
    # Scrapy 2.19 let all but the first two requests waiting for robots.txt
    # through unchecked (scraper.middlewares); here 26 sources share a host.
    assert "/f/robots-txt" not in scenario.runs["fault"].requests
    names = [f"blocked-{n}" for n in range(8)]
    for name in names:
        site.pages[f"/blocked/{name}"] = Page(html())
    site.pages["/robots.txt"] = Page("User-agent: *\nDisallow: /blocked/\n", headers={"Content-Type": "text/plain"})
    config = write_config(tmp_path / "t.toml", [{"name": n, "url": site.url(f"/blocked/{n}"), **DRUPAL_SOURCE} for n in names])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"), "--json")
    assert result.code == 1
    assert {(s["status"], s["error"]) for s in result.json["sources"]} == {
        ("failed", f"forbidden by robots.txt: {site.url('/blocked/' + n)}") for n in names
    }
    assert [p for p in site.requests if p.startswith("/blocked/")] == []


def test_a_busy_server_is_not_asked_again_at_once(scenario):
    requests = scenario.runs["fault"].requests
    assert requests.count("/f/http-503-retry-after") == 1  # it said Retry-After: 120
    assert requests.count("/f/http-500") == 2  # one retry for a plain server error


def test_a_50_mb_response_is_cut_off_near_the_size_limit(scenario):
    # The server offered 50 MB twice; the crawler hung up after about max_bytes
    # (plus what socket buffers held), instead of reading it all.
    assert scenario.sent.sent < 2 * FIFTY_MB / 4


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault(scenario, name):
    fault = FAULTS[name]
    assert scenario.runs["fault"].seconds < 90  # the run this fault was part of finished
    report = scenario.runs["fault"].sources[name]
    # The verdict, and a one-line reason a person understands.
    assert report["status"] == fault.status, report
    if fault.reason is None:
        assert report["error"] is None
    else:
        assert fault.reason in report["error"]
        assert "\n" not in report["error"] and len(report["error"]) < 300
        assert "Traceback" not in report["error"] and "<" not in report["error"]
    # Nothing reported new or updated (but what really is new, once).
    assert [n["headline"] for n in report["new"]] == list(fault.new)
    assert report["updated"] == []
    # Nothing lost or changed in the archive: only the really new items were added.
    before, after = scenario.snapshots["baseline"][name], scenario.snapshots["fault"][name]
    assert before <= after
    assert sorted(item[1] for item in after - before) == sorted(fault.new)
    assert scenario.runs["fault"].alerts.get(name, []) == [("new", h) for h in fault.new]
    # The next healthy run reports (and alerts) exactly what is really new, and no false edit.
    assert scenario.runs["healthy"].alerts[name] == [("new", REALLY_NEW.headline)]
    healthy = scenario.runs["healthy"].sources[name]
    assert (healthy["status"], healthy["error"]) == ("ok", None)
    assert [n["headline"] for n in healthy["new"]] == [REALLY_NEW.headline]
    assert healthy["updated"] == []
    assert healthy["items_seen"] == 21


@pytest.mark.parametrize("name", [n for n, f in FAULTS.items() if f.status == "ok"])
def test_quirky_pages_are_read_right(scenario, name):
    """Encodings and duplicates: the text archived is the text on the page."""
    report = scenario.runs["fault"].sources[name]
    assert report["items_seen"] == 20 + len(FAULTS[name].new)
    headlines = {item[1] for item in scenario.snapshots["fault"][name]}
    assert ACCENTED.headline in headlines
    summaries = {item[2] for item in scenario.snapshots["fault"][name]}
    assert ACCENTED.summary_text in summaries
