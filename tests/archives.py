"""Real archives for the export, feed, search and schema tests.

`build_sample` records crawls through monitor.record.record_crawl (the
code `tidings run` uses), with fixed crawl times so date filters can be
tested, and keeps a plain model of what the archive must then hold: per
item its current text, first/last seen, and every version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from monitor.archive import Archive
from monitor.record import record_crawl
from scraper.items import Record, SourceCrawl

SOURCE_URLS = {"water": "https://water.example/news", "air": "https://air.example/news"}

DAY1 = "2026-01-10T08:00:00.000+00:00"
DAY1_AIR = "2026-01-10T08:05:00.000+00:00"
DAY2 = "2026-01-12T09:30:00.000+00:00"
DAY3 = "2026-01-15T18:00:00.000+00:00"

MARKUP = "<b>Bold</b> ]]> & ampersand &amp; 1 < 2"

W1 = ("Über «Wasser» — 水 protection, with commas", 'Line one\nline two, "quoted"\n\nSecond paragraph ✓', "https://water.example/news/1", "2026-01-09")
W1_EDITED = ("Über «Wasser» — 水 protection (corrected)", W1[1], W1[2], "2026-01-09")
W2 = (MARKUP, "", None, None)  # no link of its own: keyed by headline
W3 = ("Drought report for the basin", "Dry summer.", "https://water.example/news/3", "2026-01-08T10:30:00+01:00")
W4 = ("Flood warning issued", "Rivers rising.\r\nStay away.", "https://water.example/news/4", None)
A1 = ("Smog alert in Zürich", "Stay inside.", "https://air.example/news/1", "2026-01-10")
A1_EDITED = ("Smog alert in Zürich", "Stay inside; the alert is lifted at 18:00.", A1[2], "2026-01-10")
A2 = ("Ozone levels normal", "Nothing to report.", "https://air.example/news/2", None)
A3 = ("Clean air act mentions water quality", "Cross-border rules.", "https://air.example/news/3", "2026-01-15")

# (source, finished, records in page order)
CRAWLS = [
    ("water", DAY1, [W1, W2, W3]),
    ("air", DAY1_AIR, [A1, A2]),
    ("water", DAY2, [W4, W1_EDITED, W2, W3]),
    ("air", DAY3, [A3, A1_EDITED, A2]),
]


@dataclass
class Expected:
    """The model: items in archive order (item_id = index + 1)."""

    items: list[dict] = field(default_factory=list)
    versions: dict[int, list[dict]] = field(default_factory=dict)

    def rows(self, *, source: str | None = None) -> list[dict]:
        return [i for i in self.items if source in (None, i["source"])]

    def version_rows(self) -> list[dict]:
        ordered = sorted(self.items, key=lambda i: (i["first_seen"], i["item_id"]))
        return [v for item in ordered for v in self.versions[item["item_id"]]]


def make_record(source: str, spec: tuple, position: int) -> Record:
    headline, summary, url, published = spec
    return Record(source, headline, summary, url, published, position)


def build_sample(path: Path) -> Expected:
    """Record CRAWLS into a new archive at `path`; return what it must hold."""
    expected = Expected()
    by_key: dict[tuple[str, str], dict] = {}
    with Archive(path) as archive:
        for run, (source, finished, specs) in enumerate(CRAWLS, 1):
            records = [make_record(source, spec, pos) for pos, spec in enumerate(specs)]
            crawl = SourceCrawl(source, SOURCE_URLS[source], finished, finished, records, http_status=200, pages=1)
            report = record_crawl(archive, crawl, run_id=f"run-{run}")
            assert report.status in ("ok", "baseline"), report
            for record in records:
                item = by_key.get((source, record.key))
                if item is None:
                    item = {
                        "item_id": len(expected.items) + 1, "source": source, "headline": record.headline,
                        "summary": record.summary, "url": record.url, "published": record.published,
                        "first_seen": finished, "last_seen": finished, "versions": 1,
                    }
                    expected.items.append(item)
                    by_key[(source, record.key)] = item
                    expected.versions[item["item_id"]] = []
                elif (item["headline"], item["summary"]) != (record.headline, record.summary):
                    item.update(headline=record.headline, summary=record.summary, versions=item["versions"] + 1)
                else:
                    item["last_seen"] = finished
                    continue
                item["last_seen"] = finished
                item["published"] = record.published or item["published"]
                expected.versions[item["item_id"]].append({
                    "item_id": item["item_id"], "version": item["versions"], "source": source, "url": record.url,
                    "seen_at": finished, "headline": record.headline, "summary": record.summary,
                    "published": record.published,
                })
    return expected
