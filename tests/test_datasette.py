"""The archive in Datasette with the shipped metadata.json, as a researcher
uses it: what counts as new, searching the readable items view, its columns."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote

from monitor.archive import Archive
from monitor.record import record_crawl
from scraper.items import Record, SourceCrawl
from tests.helpers import ROOT

METADATA = json.loads((ROOT / "metadata.json").read_text(encoding="utf-8"))


def _at(days_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days_ago)).isoformat(timespec="milliseconds")


def _archive(path) -> None:
    """A source added two days ago (its page showed two items), one really new item since."""
    old = [Record("water", "Drought plan adopted", "Reservoirs at half.", "https://w.example/1", None, 0),
           Record("water", "Flood warning lifted", "Rivers back to normal.", "https://w.example/2", None, 1)]
    new = Record("water", "Water convention signed", "Ten countries " * 40, "https://w.example/3", None, 0)
    with Archive(path) as archive:
        for run, (when, records) in enumerate([(_at(2), old), (_at(0.1), [new, *old])], 1):
            crawl = SourceCrawl("water", "https://w.example/news", when, when, records, http_status=200, pages=1)
            record_crawl(archive, crawl, run_id=f"run-{run}")


def _get(path, *urls: str) -> list:
    from datasette.app import Datasette

    async def fetch() -> list:
        ds = Datasette([str(path)], metadata=METADATA)
        await ds.invoke_startup()
        answers = []
        for url in urls:
            response = await ds.client.get(url)
            assert response.status_code == 200, (url, response.text[:500])
            answers.append(response.json() if ".json" in url else response.text)
        return answers

    return asyncio.run(fetch())


def test_new_means_reported_new_not_archived_by_a_baseline(tmp_path):
    path = tmp_path / "tidings.db"
    _archive(path)
    week, per_day = _get(path, "/tidings/new_this_week.json?_shape=array",
                         "/tidings/new_items_by_source.json?_shape=array&source=water")
    assert [row["headline"] for row in week] == ["Water convention signed"]
    assert sum(row["new_items"] for row in per_day) == 1
    assert sum(row["baseline_items"] for row in per_day) == 2


def test_items_view_is_searchable_and_reads_in_order(tmp_path):
    path = tmp_path / "tidings.db"
    _archive(path)
    found, page = _get(path, "/tidings/items_with_source.json?_shape=array&_search=drought",
                       "/tidings/items_with_source")
    assert [row["headline"] for row in found] == ["Drought plan adopted"]
    assert list(found[0])[:7] == ["item_id", "source", "published", "first_seen", "headline", "summary", "url"]
    assert 'name="_search"' in page  # the search box on the view's page
    assert 'href="data:text/css,' in page  # with the shipped reading widths (below)


def test_summaries_get_a_reading_width():
    """Datasette lets a cell break between any two letters, so beside long
    unbroken links a summary was squeezed to a letter per line."""
    css = unquote(" ".join(METADATA["extra_css_urls"]))
    assert css.startswith("data:text/css,")
    assert "td.col-summary" in css and "min-width:22em" in css
