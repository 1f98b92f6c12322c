"""The verdict on a crawl whose automatic detection picked another part of the page, as a table: no I/O."""

from __future__ import annotations

import pytest

from monitor.archive import KnownItem, SourceState
from monitor.diff import judge
from scraper.items import Record


def rec(n: int) -> Record:
    return Record("src", f"Headline {n}", "", f"https://e.org/{n}", None, n)


LISTING = [rec(n) for n in range(10)]
KNOWN = {r.key: KnownItem(i, r.key, r.headline, r.summary, None) for i, r in enumerate(LISTING, 1)}
SIDEBAR = [rec(n) for n in range(100, 110)]
STATE = SourceState(id=1, items=10, last_good_items_seen=10, last_good_detected="div.post")


@pytest.mark.parametrize(
    "records, detected, state, status",
    [
        (SIDEBAR, "li.widget li", STATE, "suspect"),  # another region, every item new
        (LISTING[:4] + SIDEBAR[:6], "li.widget li", STATE, "suspect"),  # another region, most items new
        (LISTING[:6] + SIDEBAR[:4], "li.widget li", STATE, "ok"),  # most known: the same list, named otherwise
        (SIDEBAR, "div.post", STATE, "ok"),  # the same selector: the listing moved on
        (SIDEBAR, None, STATE, "ok"),  # configured selectors: nothing detected
        (SIDEBAR, "li.widget li", SourceState(1, 10, 10), "ok"),  # no selector kept (crawled before migration 8)
        (SIDEBAR, "li.widget li", SourceState(1, 0, None, "div.post"), "baseline"),  # nothing archived yet
    ],
)
def test_a_flip_with_mostly_new_items_is_suspect(records, detected, state, status):
    verdict = judge(records, KNOWN, state, detected_item=detected)
    assert verdict.status == status
    if status == "suspect":
        assert verdict.new == [] and not verdict.records_changes


def test_the_reason_names_both_selectors_and_the_way_out():
    verdict = judge(SIDEBAR, KNOWN, STATE, detected_item="li.widget li")
    assert verdict.reason == (
        "automatic detection switched to another part of the page: item selector 'li.widget li' where the last "
        "good crawl used 'div.post', and 10 of 10 items would be new; "
        "pin the selectors of the listing you want (tidings preview --emit-config)"
    )
