"""The verdict rules, as a table: no I/O."""

from __future__ import annotations

import pytest

from monitor.archive import KnownItem, SourceState
from monitor.diff import judge
from scraper.items import Record


def rec(n: int, summary: str = "s", url: bool = True) -> Record:
    return Record("src", f"Headline {n}", summary, f"https://e.org/{n}" if url else None, None, n)


def known(*records: Record) -> dict[str, KnownItem]:
    return {r.key: KnownItem(i, r.key, r.headline, r.summary, None) for i, r in enumerate(records, 1)}


FRESH = SourceState(id=1, items=0, last_good_items_seen=None)
TEN = SourceState(id=1, items=10, last_good_items_seen=10)


def test_first_crawl_is_a_baseline_without_new_items():
    verdict = judge([rec(1), rec(2)], {}, FRESH)
    assert verdict.status == "baseline"
    assert [r.headline for r in verdict.new] == ["Headline 1", "Headline 2"]  # archived, not alerted


def test_alert_on_first_run_makes_the_first_crawl_ok():
    assert judge([rec(1)], {}, FRESH, alert_on_first_run=True).status == "ok"


def test_new_means_never_seen_before():
    records = [rec(n) for n in range(12)]
    verdict = judge(records, known(*records[2:]), TEN)
    assert verdict.status == "ok"
    assert [r.headline for r in verdict.new] == ["Headline 0", "Headline 1"]
    assert verdict.updated == []


def test_an_edit_of_headline_or_summary_is_updated():
    old = [rec(n) for n in range(10)]
    now = [rec(0, summary="edited"), *old[1:]]
    verdict = judge(now, known(*old), TEN)
    assert [(k.summary, r.summary) for k, r in verdict.updated] == [("s", "edited")]
    assert verdict.new == []


@pytest.mark.parametrize(
    "count, state, status",
    [
        (0, TEN, "suspect"),
        (0, FRESH, "suspect"),
        (4, TEN, "suspect"),
        (5, TEN, "ok"),
        (1, SourceState(1, 20, 20), "suspect"),
        (3, SourceState(1, 3, 3), "ok"),
    ],
)
def test_collapsed_listings_are_suspect(count, state, status):
    records = [rec(n) for n in range(count)]
    verdict = judge(records, known(*records), state)
    assert verdict.status == status
    if status == "suspect":
        assert verdict.new == [] and verdict.updated == [] and verdict.reason


def test_a_failed_crawl_is_never_diffed():
    verdict = judge([], {}, TEN, error="HTTP 503 from https://e.org/")
    assert (verdict.status, verdict.reason, verdict.new, verdict.updated) == ("failed", "HTTP 503 from https://e.org/", [], [])


def test_identity_survives_a_headline_edit_when_the_url_is_stable():
    before, after = rec(1), Record("src", "Headline one, corrected", "s", "https://e.org/1", None, 0)
    assert before.key == after.key
    no_url = rec(1, url=False)
    spaced = Record("src", "  headline   1 ", "s", None, None, 0)
    assert no_url.key == spaced.key


def test_a_summary_that_disappears_is_no_edit():
    old = [rec(n) for n in range(10)]
    # The summary selector stopped matching: no item is updated, not all ten.
    assert judge([rec(n, summary="") for n in range(10)], known(*old), TEN).updated == []
    # A headline edit at the same time is an edit, and the archived summary is kept.
    retitled = Record("src", "new title", "", old[0].url, None, 0)
    [(_, record)] = judge([retitled, *old[1:]], known(*old), TEN).updated
    assert (record.headline, record.summary) == ("new title", "s")
