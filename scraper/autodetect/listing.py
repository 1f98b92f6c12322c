"""The whole detection: the stages run in order, and the Detection they give.

Kept apart from the stages so the order they run in, and the fallbacks
between them, read in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from scraper.autodetect.candidates import candidate_groups, heading_groups
from scraper.autodetect.confidence import CLOSE_RUNNER_UP, Detection, confidence_of, doubts
from scraper.autodetect.elements import Paths, common_ancestor
from scraper.autodetect.texts import LINK_TEXTS, TEXTS, has_link, text_of
from scraper.autodetect.fields import date_selector, headline_selector, link_selector, summary_selector
from scraper.autodetect.item_selector import choose_level
from scraper.autodetect.pager import next_page_selector
from scraper.autodetect.headlines import headline_element
from scraper.autodetect.kickers import badge_rows
from scraper.autodetect.scoring import Ranking, headed, rank_groups, sample_blocks
from scraper.autodetect.beside import with_featured_cards, with_list_beside, with_untitled_boxes
from scraper.autodetect.widening import with_lead_story, with_more_headlines
from scraper.selectors import Selectors


def detect(root: etree._Element, page_url: str) -> Selectors | None:
    """Selectors for the page's main listing, or None when it has none."""
    found = detect_listing(root, page_url)
    return found.selectors if found else None


def detect_blocks(root: etree._Element, page_url: str) -> tuple[Selectors, list] | None:
    """The selectors, and the blocks their item selector picks (so extraction
    need not select them again), or None when the page has no listing."""
    found = detect_listing(root, page_url)
    return (found.selectors, found.blocks) if found else None


def detect_listing(root: etree._Element, page_url: str) -> Detection | None:
    """The page's main listing as a Detection (selectors, blocks, how sure, the
    runner-up), or None when the page has no listing."""
    if root is None:
        return None
    token = TEXTS.set({})  # candidate selectors ask for the same blocks' text again and again
    links = LINK_TEXTS.set({})
    try:
        return _detect(root, page_url)
    finally:
        LINK_TEXTS.reset(links)
        TEXTS.reset(token)


@dataclass(frozen=True)
class _Listing:
    """Selectors inferred for one candidate listing, the blocks they pick and the headlines seen."""

    selectors: Selectors
    blocks: list
    headlines: list[str]


def _detect(root, page_url: str) -> Detection | None:
    """The stages in order; headings become clues when no link clue gives a listing of headed teasers."""
    body = root.find("body")
    scope = body if body is not None else root
    paths = Paths()
    paths.page_url = page_url
    groups = candidate_groups(scope, paths)
    ranking = rank_groups(groups, paths)
    if ranking.best is None or not headed(sample_blocks(ranking.best)):
        # No listing of headed teasers among the link clues: headings with a
        # bare "Read more" (card grids, press lists) compete, so a column of
        # blog links does not win because its links alone read as headlines.
        for key, members in heading_groups(scope, paths).items():
            group = groups.setdefault(key, {})
            for block, title in members.items():
                group[block] = max(group.get(block, 0), title)
        ranking = rank_groups(groups, paths)
    if ranking.best is None:
        return None
    listing = _selectors_for(root, ranking.best, paths, page_url, ranking.set_apart)
    if listing is None:
        return None
    return _judged(root, listing, ranking, paths, page_url)


def _judged(root, listing: _Listing, ranking: Ranking, paths: Paths, page_url: str) -> Detection:
    """The detection with its confidence; the runner-up's selectors when it is a rival."""
    found = doubts(ranking.score, ranking.runner_up_score, len(listing.blocks), listing.headlines)
    confidence = confidence_of(found)
    runner_up = None
    if ranking.runner_up is not None and ranking.runner_up_score >= CLOSE_RUNNER_UP * ranking.score:
        rival = _selectors_for(root, ranking.runner_up, paths, page_url)
        if rival is not None and rival.selectors.item != listing.selectors.item:
            runner_up = rival.selectors
    return Detection(listing.selectors, confidence, tuple(d.reason for d in found), runner_up, listing.blocks)


def _selectors_for(root, members: list, paths: Paths, page_url: str, set_apart=frozenset()) -> _Listing | None:
    """Item, headline, summary, link, date and pager selectors for one group of blocks."""
    chosen = choose_level(root, members, paths, avoid=set_apart)
    if chosen is None and set_apart:  # no selector leaves the other boxes out: take them rather than nothing
        chosen = choose_level(root, members, paths)
    if chosen is None:
        return None
    item, blocks = chosen.selector, chosen.blocks
    listing = blocks
    item, blocks = with_more_headlines(root, item, blocks, listing, paths, page_url)
    item, blocks = with_lead_story(root, item, blocks, listing, paths, page_url)
    item, blocks = with_featured_cards(root, item, blocks, listing, paths, page_url)
    item, blocks = with_list_beside(root, item, blocks, listing, paths, page_url)
    item, blocks = with_untitled_boxes(root, item, blocks, listing, paths, page_url)
    stray = chosen.stray + _linkless(blocks)
    items = _without(blocks, stray)
    sample = sample_blocks(items)
    badged = badge_rows(items, sample, headline_element)  # ("Alert" before a few headlines the sample misses)
    headline, heads = headline_selector(sample + badged, sample_blocks(stray))
    if headline is None and stray:  # every name of the headline finds one in the stray rows too: rather them than nothing
        headline, heads = headline_selector(sample)
    if headline is None:
        return None
    date = date_selector(sample, heads)
    summary = summary_selector(sample, heads, date)
    link = link_selector(sample, heads, page_url)
    pager_scope = common_ancestor(blocks)
    for _ in range(2):  # the pager sits next to the listing, a level or two up
        if pager_scope is not None and pager_scope.getparent() is not None:
            pager_scope = pager_scope.getparent()
    selectors = Selectors(item, headline, summary, link, date, next_page_selector(root, page_url, pager_scope))
    return _Listing(selectors, blocks, [text_of(h) for h in heads if h is not None])


def _without(blocks: list, stray: list) -> list:
    """The blocks less the stray ones (a set made once: a listing may hold thousands of rows)."""
    if not stray:
        return blocks
    apart = set(stray)
    return [b for b in blocks if b not in apart]


def _linkless(blocks: list) -> list:
    """Blocks without a link among a listing whose blocks link (a category heading
    styled like the posts below it): no item, so the headline selector should
    find nothing in them."""
    if len(blocks) < 3:
        return []
    linkless = [b for b in blocks if not has_link(b)]
    return linkless if len(linkless) * 5 <= len(blocks) else []
