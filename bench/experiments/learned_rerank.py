"""Experiment (fourth session, not part of detection): would a small learned
re-ranking of the candidate listings pick the right one more often than
`rank_groups`?  Dev pages only, leave-one-site-out cross-validation.

    python bench/experiments/learned_rerank.py

Candidates per page are bench/detection_oracle.py's: the knock-out order of
`rank_groups` (rank 1 is detection's choice) and the groups it never ranks
first, each run through the rest of detection and extracted.  A candidate is
right when its links reach F1 0.8 against the labels.  Each gets a few
features of what detection already reads (its rank, its blocks' place in
main/nav/aside, headings, class words, its records' headline length,
summaries, dates, links to the page's own site and path, links to tag or
archive pages, how many blocks); a linear model is trained pairwise
(logistic regression on feature differences, numpy: the page's best right
candidate must score above each wrong one) on the pages of all sites but
one, and picks on that site's pages: with the rank among the features,
without it, and without it among the top three ranks only.  Printed: how
often the pick is right and the mean headline F1 of the picks, against
rank 1's, on the same pages; per-site lines never.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.detection_oracle import GOOD, WEB, Candidate, candidate_listings  # noqa: E402
from bench.extraction_quality import load_corpus, page_text, site_of  # noqa: E402
from scraper.autodetect.elements import Paths, classes_of  # noqa: E402
from scraper.autodetect.headings import HEADINGS  # noqa: E402
from scraper.autodetect.scoring import _TAXONOMY  # noqa: E402

_GOOD_WORDS = re.compile(r"post|article|news|item|entry|story|teaser|card|release|result|row", re.I)
_BAD_WORDS = re.compile(r"widget|sidebar|side|menu|nav|footer|archive|related|popular|tag|slide|carousel|comment", re.I)


@dataclass(frozen=True)
class Example:
    """One candidate of one page: its features, whether it is right, the headline F1 it gives."""

    features: tuple[float, ...]
    right: bool
    headline_f1: float
    rank: int | None


@dataclass(frozen=True)
class PageCandidates:
    name: str
    site: str
    examples: list[Example]


def features(c: Candidate, page_url: str) -> tuple[float, ...]:
    """What a candidate looks like, each feature within about 0..1."""
    records = c.result.extraction.records
    n = len(records) or 1
    page = urlsplit(page_url)
    folder = page.path.rsplit("/", 1)[0] + "/"
    top = "/" + page.path.strip("/").split("/")[0] if page.path.strip("/") else "/"
    hosts = [urlsplit(r.url or "") for r in records]
    blocks = list(c.elements)[:20] or [None]
    paths = Paths()
    nodes = [paths.of(b) for b in blocks if b is not None]
    m = len(nodes) or 1

    def share(flags) -> float:
        return sum(1 for f in flags if f) / n

    def block_share(flags) -> float:
        return sum(1 for f in flags if f) / m

    def words(b, pattern) -> bool:
        return any(pattern.search(" ".join(classes_of(el))) for el in (b, *list(b.iterancestors())[:3]))

    return (
        1.0 if c.rank == 1 else 0.0,
        1.0 / c.rank if c.rank else 0.0,
        1.0 if c.level_of else 0.0,
        math.log1p(len(records)) / math.log(1000),
        1.0 if not records else 0.0,
        share(h.hostname == page.hostname for h in hosts),
        share(h.path.startswith(folder) for h in hosts),
        share(h.path.startswith(top) for h in hosts),
        share(_TAXONOMY.search(r.url or "") for r in records),
        sum(min(len(r.headline), 120) for r in records) / n / 120,
        sum(min(len(r.headline.split()), 15) for r in records) / n / 15,
        share(r.summary for r in records),
        share(r.published for r in records),
        len({r.url for r in records}) / n,
        block_share(node.main for node in nodes),
        block_share(node.content for node in nodes),
        block_share(node.bad for node in nodes),
        block_share(b.find(".//h1") is not None or any(True for _ in b.iter(*HEADINGS)) for b in blocks if b is not None),
        block_share(words(b, _GOOD_WORDS) for b in blocks if b is not None),
        block_share(words(b, _BAD_WORDS) for b in blocks if b is not None),
        1.0,  # bias (cancels in pairs; kept for a fixed width)
    )


def page_candidates(name: str, label: dict) -> PageCandidates:
    found = candidate_listings(page_text(WEB, name, label), name, label)
    examples = [Example(features(c, label["url"]), c.result.links.f1 >= GOOD, c.result.headlines.f1, c.rank)
                for c in found]
    return PageCandidates(name, site_of(label["url"]), examples)


def train(pages: list[PageCandidates], steps: int = 300, rate: float = 0.5, decay: float = 0.01) -> list[float]:
    """Pairwise logistic regression (gradient descent): each page's best right
    candidate should score above each wrong one of the same page."""
    pairs = []
    for page in pages:
        right = [e for e in page.examples if e.right]
        if not right:
            continue
        best = max(right, key=lambda e: e.headline_f1)
        pairs += [np.subtract(best.features, e.features) for e in page.examples if not e.right]
    if not pairs:
        return []
    d = np.array(pairs)
    w = np.zeros(d.shape[1])
    for _ in range(steps):
        margin = d @ w
        grad = -(d * (1 / (1 + np.exp(margin)))[:, None]).mean(axis=0) + decay * w
        w -= rate * grad
    return list(w)


def pick(weights: list[float], page: PageCandidates) -> Example | None:
    """The candidate the model scores highest; rank order breaks ties (so no model is rank 1)."""
    if not page.examples:
        return None
    return max(page.examples, key=lambda e: (sum(w * f for w, f in zip(weights, e.features)), -(e.rank or 99)))


@dataclass(frozen=True)
class Outcome:
    pages: int
    right: int
    mean_headline_f1: float
    changed: int = 0  # pages whose pick is not rank 1
    fixed: int = 0  # ... and right where rank 1 is wrong
    broken: int = 0  # ... and wrong where rank 1 is right


def outcome(chosen: list[Example | None], ranked: list[Example | None] | None = None) -> Outcome:
    n = len(chosen) or 1
    ok = lambda e: e is not None and e.right  # noqa: E731
    pairs = list(zip(chosen, ranked or chosen))
    return Outcome(len(chosen), sum(1 for e in chosen if ok(e)),
                   sum(e.headline_f1 for e in chosen if e is not None) / n,
                   sum(1 for c, r in pairs if c is not r),
                   sum(1 for c, r in pairs if ok(c) and not ok(r)),
                   sum(1 for c, r in pairs if ok(r) and not ok(c)))


def without(pages: list[PageCandidates], dropped: range) -> list[PageCandidates]:
    """The pages with some features left out (the ranking's own order, to see what the rest can do alone)."""
    return [PageCandidates(p.name, p.site, [Example(tuple(f for i, f in enumerate(e.features) if i not in dropped),
                                                    e.right, e.headline_f1, e.rank) for e in p.examples]) for p in pages]


def cross_validate(pages: list[PageCandidates]) -> tuple[Outcome, Outcome]:
    """(rank 1's outcome, the learned pick's outcome), each page judged by a model trained without its site."""
    ranked, learned = [], []
    for site in sorted({p.site for p in pages}):
        held = [p for p in pages if p.site == site]
        weights = train([p for p in pages if p.site != site])
        for page in held:
            ranked.append(next((e for e in page.examples if e.rank == 1), None))
            learned.append(pick(weights, page))
    return outcome(ranked), outcome(learned, ranked)


def main() -> int:
    labels = {n: label for n, label in load_corpus(WEB).items() if label.get("split") == "dev"}
    pages = [page_candidates(n, label) for n, label in labels.items()]
    reachable = sum(1 for p in pages if any(e.right for e in p.examples))
    print(f"dev: {len(pages)} pages of {len({p.site for p in pages})} sites; a right candidate exists on {reachable}")
    ranked, learned = cross_validate(pages)
    _, alone = cross_validate(without(pages, range(0, 3)))
    top = [PageCandidates(p.name, p.site, [e for e in p.examples if e.rank and e.rank <= 3]) for p in pages]
    _, top_alone = cross_validate(without(top, range(0, 3)))
    for title, o in (("rank_groups (rank 1)", ranked), ("learned, with the rank as features", learned),
                     ("learned, without the rank", alone), ("learned, without the rank, top 3 only", top_alone)):
        print(f"  {title:38} right {o.right:3}/{o.pages}  mean headline F1 {o.mean_headline_f1:.3f}"
              + (f"  (other pick than rank 1 on {o.changed}: fixes {o.fixed}, breaks {o.broken})" if o is not ranked else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
