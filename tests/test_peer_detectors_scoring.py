"""The side-by-side bench scores rss-proxy exactly as Tidings is scored.

bench/peer_detectors.py runs rss-proxy under node at bench time only; these
tests need neither node nor rss-proxy.  They check what makes the two
columns comparable: rss-proxy's items go through the same scoring function
as Tidings' records (same whitespace and link normalisation), and the bench
says in one line what is missing when rss-proxy's build is not there.
"""

from __future__ import annotations

import pytest

from bench.extraction_quality import CORPORA, load_corpus, score_page
from bench.peer_detectors import PeerOutput, ensure_runtime, peer_result

LABELLED = CORPORA["labelled"]
PAGE = "06-wordpress-blog.html"


def test_the_same_items_score_the_same_from_either_detector():
    label = load_corpus(LABELLED)[PAGE]
    ours = score_page(PAGE, label, LABELLED)
    # rss-proxy keeps the whitespace around a link's text.
    items = [{"title": f"\n  {r.headline}  ", "link": r.url} for r in ours.extraction.records]
    theirs = peer_result(PAGE, label, PeerOutput(items=items))
    assert (theirs.headlines, theirs.links) == (ours.headlines, ours.links)


def test_link_spelling_and_spacing_do_not_count_against_rss_proxy():
    label = {"url": "http://example.org/", "items": [
        {"headline": "Päivän uutiset", "url": "http://example.org/päivä"},
        {"headline": "Second story", "url": "http://example.org"},
    ]}
    items = [{"title": " Päivän\n\t uutiset ", "link": "http://example.org/p%c3%a4iv%c3%a4"},
             {"title": "Second\u00a0story", "link": "http://example.org/"}]
    result = peer_result("page", label, PeerOutput(items=items))
    assert result.headlines.f1 == 1.0 and result.links.f1 == 1.0


def test_a_whole_card_title_is_a_wrong_headline_but_a_right_link():
    label = {"url": "http://example.org/", "items": [{"headline": "Kelp returns", "url": "http://example.org/kelp"}]}
    items = [{"title": "27 February 2024 Kelp returns Divers counted three times more", "link": "http://example.org/kelp"}]
    result = peer_result("page", label, PeerOutput(items=items))
    assert result.headlines.f1 == 0.0 and result.links.f1 == 1.0


def test_an_error_or_no_listing_scores_as_an_empty_extraction():
    label = load_corpus(LABELLED)[PAGE]
    result = peer_result(PAGE, label, PeerOutput(error="No article-rules found"))
    assert (result.headlines.precision, result.headlines.recall, result.links.f1) == (0.0, 0.0, 0.0)


def test_a_missing_rss_proxy_build_is_named_in_one_line(tmp_path):
    with pytest.raises(SystemExit) as raised:
        ensure_runtime(tmp_path / "nowhere")
    message = str(raised.value)
    assert "\n" not in message and str(tmp_path / "nowhere" / "core" / "index.js") in message
