"""The detection oracle (bench/detection_oracle.py) puts real dev pages in the
class of loss they are known to have: it tells where unseen-page losses come
from only if it tells these apart.  Dev pages only: the hold-out stays unseen.
"""

from __future__ import annotations

import pytest

from bench.detection_oracle import WEB, classify_page
from bench.extraction_quality import load_corpus

# (page, its class, the rank of the group that would have been right, if one lost the ranking)
KNOWN = [
    # A news home page whose right group is a coarser level of the winner: it is taken
    # out with the winner, never ranked (headline F1 0.79 as detected, nearly right).
    ("de-diepresse-home-boxes.html", "ranked-wrong", None),
    # A blog's page 2 whose archive widget outranked the ten posts when this test was
    # written (ranked-wrong, the posts rank 2): detected as labelled since later rounds.
    ("en-flink-blog-page2-archive-sidebar.html", "right", None),
    # Detected as labelled.
    ("de-derstandard-home.html", "right", None),
]
# No dev page is headline-only any more (ja-kraiany-news-small.html was when this test was written).


@pytest.mark.parametrize("page, loss, rank", KNOWN)
def test_a_dev_page_falls_in_its_known_class_of_loss(page, loss, rank):
    label = load_corpus(WEB)[page]
    assert label["split"] == "dev"
    verdict = classify_page(page, label)
    assert verdict.loss == loss
    assert verdict.agrees  # the oracle's rank 1 is detection's own choice
    if loss == "ranked-wrong":
        assert verdict.match.rank == rank and verdict.match.result.links.f1 >= 0.8


def test_the_oracle_tells_a_group_as_ranked_from_the_blocks_its_item_selector_picks():
    # A news home page whose right group, a coarser level of the winner, is ranked with
    # a few dozen blocks and its item selector picks some hundred: the figures for wide
    # winners must say which of the two is wide.
    page = "de-diepresse-home-boxes.html"
    label = load_corpus(WEB)[page]
    assert label["split"] == "dev"
    verdict = classify_page(page, label)
    assert verdict.loss == "ranked-wrong"
    assert 0 < verdict.winner_group <= verdict.winner_blocks
    assert 0 < verdict.match.group < verdict.match.blocks
