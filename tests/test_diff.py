"""The verdict rules, as a table: no I/O."""

from __future__ import annotations

from dataclasses import replace

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


@pytest.mark.parametrize("edited, alerted", [(1, True), (2, True), (5, True), (6, False), (10, False)])
def test_most_known_items_edited_at_once_is_a_restyling_archived_not_alerted(edited, alerted):
    # Editors correct a story or two; a template change ("Read more" now ends every
    # teaser) or an upgrade that reads the headline span of a card edits them all.
    old = [rec(n) for n in range(10)]
    now = [rec(n, summary="s Read more") if n < edited else old[n] for n in range(10)]
    verdict = judge(now, known(*old), TEN)
    assert verdict.status == "ok" and verdict.new == []
    assert len(verdict.updated) == (edited if alerted else 0)
    assert len(verdict.restyled) == (0 if alerted else edited)
    assert [r.summary for _, r in verdict.updated + verdict.restyled] == ["s Read more"] * edited


def test_a_restyling_is_judged_against_the_known_items_on_the_page():
    # Three of four known items edited while six new ones arrive: a restyling.
    old = [rec(n) for n in range(4)]
    now = [rec(n, summary="new look") for n in range(3)] + [old[3]] + [rec(n) for n in range(10, 16)]
    verdict = judge(now, known(*old), TEN)
    assert verdict.updated == [] and len(verdict.restyled) == 3 and len(verdict.new) == 6


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


# --- false floods (issue 18): a page of strangers, and a redesign that moves every link ---

def moved(n: int, *, url: str | None = None, published: str | None = None, headline: str | None = None) -> Record:
    """Story n under a new link (a redesign's URL scheme)."""
    return Record("src", headline or f"Headline {n}", "s", url or f"https://e.org/news/2024/{n}-story", published, n)


def by_headline(*records: Record) -> dict[str, KnownItem]:
    return {k.headline: k for k in known(*records).values()}


def test_a_page_where_nothing_was_seen_before_is_suspect_not_a_flood():
    old = [rec(n) for n in range(10)]
    most_read = [Record("src", f"Most read {n}", "", f"https://e.org/popular/{n}", None, n) for n in range(8)]
    verdict = judge(most_read, {}, TEN, by_headline={})
    assert verdict.status == "suspect" and verdict.new == []
    assert verdict.reason.startswith("none of the 8 items on the page was seen before, where the last good crawl saw 10")
    # One item known is enough to trust the page: a busy site replacing most of its list.
    assert judge([*most_read, old[0]], known(old[0]), TEN).status == "ok"


@pytest.mark.parametrize(
    "streak, status",
    [(0, "suspect"), (1, "suspect"), (2, "ok")],  # the same page three crawls in a row: the site really changed
)
def test_a_total_turnover_is_trusted_once_it_persists(streak, status):
    state = SourceState(id=1, items=10, last_good_items_seen=10, turnover_streak=streak)
    strangers = [Record("src", f"Other {n}", "", f"https://e.org/o/{n}", None, n) for n in range(6)]
    verdict = judge(strangers, {}, state)
    assert verdict.status == status
    assert len(verdict.new) == (6 if status == "ok" else 0)


@pytest.mark.parametrize("count", [1, 2])
def test_small_pages_are_not_judged_by_turnover(count):
    records = [Record("src", f"Other {n}", "", f"https://e.org/o/{n}", None, n) for n in range(count)]
    assert judge(records, {}, SourceState(1, 2, 2)).status == "ok"


def test_a_redesign_that_moves_every_story_reports_nothing_new():
    old = [rec(n) for n in range(10)]
    now = [moved(n) for n in range(10)]
    verdict = judge(now, {}, TEN, by_headline=by_headline(*old))
    assert verdict.status == "ok"
    assert verdict.new == []
    assert [(k.headline, r.url) for k, r in verdict.moved] == [(f"Headline {n}", f"https://e.org/news/2024/{n}-story")
                                                                for n in range(10)]


def test_a_redesign_with_one_real_new_story_reports_just_that_one():
    old = [rec(n) for n in range(10)]
    fresh = Record("src", "A story nobody saw", "s", "https://e.org/news/2024/new-story", None, 0)
    verdict = judge([fresh, *[moved(n) for n in range(9)]], {}, TEN, by_headline=by_headline(*old))
    assert (verdict.status, [r.headline for r in verdict.new], len(verdict.moved)) == ("ok", ["A story nobody saw"], 9)


def test_a_recurring_title_under_a_new_link_is_news():
    """One "Weekly briefing" a week, each at its own link: not a move."""
    last_week = Record("src", "Weekly briefing", "s", "https://e.org/briefing/41", "2024-10-07", 0)
    this_week = Record("src", "Weekly briefing", "s", "https://e.org/briefing/42", "2024-10-14", 0)
    others = [rec(n) for n in range(1, 10)]
    verdict = judge([this_week, *others], known(*others), TEN, by_headline=by_headline(last_week))
    assert [r.url for r in verdict.new] == ["https://e.org/briefing/42"] and verdict.moved == []
    # Even without dates: a single known title under a new link is news, not a move.
    undated = Record("src", "Weekly briefing", "s", "https://e.org/briefing/42", None, 0)
    verdict = judge([undated, *others], known(*others), TEN, by_headline=by_headline(replace(last_week, published=None)))
    assert [r.url for r in verdict.new] == ["https://e.org/briefing/42"]


def test_a_story_now_told_apart_by_its_anchor_keeps_its_identity():
    bare = Record("src", "Statement on the drought", "s", "https://e.org/press", None, 0)
    anchored = replace(bare, url="https://e.org/press#pr-1")
    verdict = judge([anchored, *[rec(n) for n in range(1, 10)]], known(*[rec(n) for n in range(1, 10)]), TEN,
                    by_headline=by_headline(bare))
    assert verdict.new == [] and [r.url for _, r in verdict.moved] == ["https://e.org/press#pr-1"]


def test_a_full_page_of_new_items_is_a_busy_listing_not_suspect():
    """As many items as the last good crawl, all new: the listing moved on between two crawls."""
    busy = [Record("src", f"Fresh {n}", "", f"https://e.org/f/{n}", None, n) for n in range(10)]
    verdict = judge(busy, {}, TEN)
    assert verdict.status == "ok" and len(verdict.new) == 10
