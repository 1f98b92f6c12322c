"""Where automatic detection loses on the web corpus: a class of loss per page.

    python bench/detection_oracle.py [--split dev|holdout|all] [--verbose]

Every page of tests/corpus/web/ falls in exactly one class, tried in this order:

- `empty`: detection found nothing.
- `right`: headline F1 >= 0.8 as detected.
- `headline-only`: the detected links match the labels (link F1 >= 0.8) but
  the headlines do not: headline selection or cleaning is the loss.
- `ranked-wrong`: another candidate group, run through the rest of detection
  as listing.py runs the winner (`_selectors_for`, then `extract_tree`),
  gives link F1 >= 0.8, but it lost the ranking.  Its rank is its place in
  the knock-out order: `rank_groups` run again with the winner and every
  level of it (`scoring._overlap`) taken out, so rank 2 is the real
  runner-up listing; "aside" when it never wins within KNOCKOUTS rounds:
  a level of a winner, taken out with it (judged as scoring._overlap judges
  the runner-up, by the first blocks of each); or "outscored" (rank_groups
  takes it when it is the only group: it lost on score, beyond KNOCKOUTS
  rounds or outside the six groups weighed in full per round); or
  "filtered out" (rank_groups rejects it even alone: its filters set it
  aside).
- `no-candidate`: no candidate group gives link F1 >= 0.8: the listing is
  never proposed (candidate generation is the loss).

The candidate groups are those the ranking sees: `candidate_groups` (plus
`heading_groups` when detection falls back to headings, as `_detect` does),
after `join_split_boxes`; each of two blocks or more is run through the
selectors.  (Sieving out groups whose blocks' hrefs hold under half the
labelled links, to save time, lost the right group on 2 hold-out pages:
records' links are not always their blocks' raw hrefs.)

Printed per split: the count of each class and the headline F1 it loses,
as a share of the split's gap to 1.0 (the shares add up to 1 - mean F1) and
as a mean over its own pages.  Per-page lines only with `--split dev
--verbose`: hold-out pages stay unseen.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.extraction_quality import CORPORA, PageResult, load_corpus, option, page_result, page_text  # noqa: E402
from scraper.autodetect.split_boxes import join_split_boxes  # noqa: E402
from scraper.autodetect.candidates import candidate_groups, heading_groups  # noqa: E402
from scraper.autodetect.elements import Paths  # noqa: E402
from scraper.autodetect.texts import LINK_TEXTS, TEXTS  # noqa: E402
from scraper.autodetect.listing import _selectors_for  # noqa: E402
from scraper.autodetect.scoring import MIN_ITEMS, _overlap, headed, rank_groups, sample_blocks  # noqa: E402
from scraper.extract import extract, extract_tree  # noqa: E402
from scraper.markup import parse_html_checked  # noqa: E402

GOOD = 0.8  # F1 at which a page, or a group's links, count as right
KNOCKOUTS = 30  # rounds of the knock-out ranking: ranks 1 to 30
CLASSES = ("right", "headline-only", "ranked-wrong", "no-candidate", "empty")
WEB = CORPORA["web"]


@dataclass(frozen=True)
class Candidate:
    """One candidate group's listing: its rank in the knock-out order (None: never
    ranked first) and its score against the labels when extracted."""

    rank: int | None
    blocks: int
    result: PageResult
    level_of: int | None = None  # never ranked: the rank of the winner it is a level of (taken out with it), if any
    finer: bool = False  # ... its blocks lie inside that winner's blocks (else they hold them)
    alone: bool = False  # no level of a winner: rank_groups takes it when it is the only group (so it was outscored)
    elements: tuple = field(default=(), compare=False, repr=False)  # the blocks extracted (for experiments' features)
    group: int = 0  # the group's own blocks, as ranked (`blocks`: those its item selector then picks)

    @property
    def place(self) -> str:
        if self.rank is not None:
            return str(self.rank)
        if self.level_of:
            return f"aside ({'a finer' if self.finer else 'a coarser'} level of rank {self.level_of})"
        return "aside (outscored)" if self.alone else "aside (filtered out)"


@dataclass(frozen=True)
class Verdict:
    """A page's class of loss, as detected, and the best-matching candidate group."""

    name: str
    split: str
    loss: str
    detected: PageResult
    match: Candidate | None  # the first group (by rank) giving link F1 >= GOOD, if any
    best_links: float  # the highest link F1 any candidate group gives (how near a no-candidate page comes)
    winner_blocks: int  # how many blocks detection's own listing has
    agrees: bool  # the knock-out's rank 1 gives detection's own selectors (the oracle sees what detection sees)
    winner_group: int = 0  # how many blocks the group that won the ranking has (the item selector may pick more)

    @property
    def lost(self) -> float:
        return 1.0 - self.detected.headlines.f1


@dataclass(frozen=True)
class ClassFigures:
    pages: int
    share_of_gap: float  # F1 lost by these pages, over all the split's pages
    mean_lost: float  # F1 lost per page of the class


def classify_page(name: str, label: dict) -> Verdict:
    """The page's class of loss: detection as the user gets it, then every candidate group."""
    html = page_text(WEB, name, label)
    result = extract(html, label["url"], None)
    detected = page_result(name, label, [r.headline for r in result.records], [r.url for r in result.records], result)
    split = label.get("split", "all")
    candidates = candidate_listings(html, name, label)
    match = next((c for c in candidates if c.result.links.f1 >= GOOD), None)
    first = next((c for c in candidates if c.rank == 1), None)
    agrees = (first.result.extraction.selectors if first else None) == result.selectors
    best_links = max((c.result.links.f1 for c in candidates), default=0.0)
    winner_blocks = len(result.detection.blocks) if result.detection else 0
    winner_group = first.group if first else 0
    return Verdict(name, split, loss_class(detected, match), detected, match, best_links, winner_blocks, agrees,
                   winner_group)


def loss_class(detected: PageResult, match: Candidate | None) -> str:
    """Exactly one class, tried in the order of the module docstring."""
    if not detected.extraction.records:
        return "empty"
    if detected.headlines.f1 >= GOOD:
        return "right"
    if detected.links.f1 >= GOOD:
        return "headline-only"
    return "ranked-wrong" if match is not None else "no-candidate"


def candidate_listings(html: str, name: str, label: dict) -> list[Candidate]:
    """Every candidate group worth extracting, scored: the knock-out order first
    (rank 1 is detection's own choice), then the groups never ranked first."""
    root, problem = parse_html_checked(html, label["url"])
    if problem:
        return []
    texts, links = TEXTS.set({}), LINK_TEXTS.set({})  # the memos detection sets up (listing.detect_listing)
    try:
        groups, paths = _considered_groups(root, label["url"])
        found = []
        ranked_blocks: list[list] = []
        for rank, (best, set_apart) in enumerate(_knockout(groups, paths), 1):
            ranked_blocks.append(best)
            found.append(_candidate(root, best, paths, name, label, rank, set_apart))
        for members in join_split_boxes(groups, paths).values():
            blocks = list(members)
            if len(blocks) < MIN_ITEMS or blocks in ranked_blocks:  # ranked ones are scored already
                continue
            level_of = next((rank for rank, b in enumerate(ranked_blocks, 1) if _overlap(blocks, b)), None)
            finer = level_of is not None and _inside(blocks[0], ranked_blocks[level_of - 1])
            alone = level_of is None and rank_groups({"alone": members}, paths).best is not None
            found.append(_candidate(root, blocks, paths, name, label, None, level_of=level_of, finer=finer, alone=alone))
        return [c for c in found if c is not None]
    finally:
        LINK_TEXTS.reset(links)
        TEXTS.reset(texts)


def _considered_groups(root, page_url: str) -> tuple[dict, Paths]:
    """The groups detection ranks, with heading groups joined when it falls back to them
    (the control flow of listing._detect, calling the same stages)."""
    body = root.find("body")
    scope = body if body is not None else root
    paths = Paths()
    paths.page_url = page_url
    groups = candidate_groups(scope, paths)
    ranking = rank_groups(groups, paths)
    if ranking.best is None or not headed(sample_blocks(ranking.best)):
        for key, members in heading_groups(scope, paths).items():
            group = groups.setdefault(key, {})
            for block, title in members.items():
                group[block] = max(group.get(block, 0), title)
    return groups, paths


def _knockout(groups: dict, paths: Paths):
    """(blocks, set_apart) of the winner of rank_groups, then of the winner once it
    and every level of it are taken out, and so on, KNOCKOUTS times at most."""
    remaining = dict(groups)
    for _ in range(KNOCKOUTS):
        ranking = rank_groups(remaining, paths)
        if ranking.best is None:
            return
        yield ranking.best, ranking.set_apart
        left = {key: members for key, members in remaining.items()
                if not members or not _overlap(list(members), ranking.best)}
        if len(left) == len(remaining):
            return
        remaining = left


def _inside(block, blocks: list) -> bool:
    """Whether `block` lies strictly inside one of `blocks`."""
    outer = set(blocks)
    return any(anc in outer for anc in block.iterancestors())


def _candidate(root, blocks: list, paths: Paths, name: str, label: dict, rank: int | None,
               set_apart=frozenset(), level_of: int | None = None, finer: bool = False,
               alone: bool = False) -> Candidate | None:
    """The group run through the rest of detection, as listing._detect runs the winner, then extracted."""
    listing = _selectors_for(root, blocks, paths, label["url"], set_apart)
    if listing is None:
        return None
    extraction = extract_tree(root, label["url"], listing.selectors, blocks=listing.blocks, drop_script_rows=True)
    records = extraction.records
    return Candidate(rank, len(listing.blocks),
                     page_result(name, label, [r.headline for r in records], [r.url for r in records], extraction), level_of, finer,
                     alone, tuple(listing.blocks), len(blocks))


def class_figures(verdicts: list[Verdict]) -> dict[str, ClassFigures]:
    """Per class: its pages, and the headline F1 they lose (over the split, and per page)."""
    n = len(verdicts) or 1
    figures = {}
    for loss in CLASSES:
        members = [v for v in verdicts if v.loss == loss]
        lost = sum(v.lost for v in members)
        figures[loss] = ClassFigures(len(members), lost / n, lost / len(members) if members else 0.0)
    return figures


def print_split(split: str, verdicts: list[Verdict]) -> None:
    mean = sum(v.detected.headlines.f1 for v in verdicts) / (len(verdicts) or 1)
    print(f"{split}: {len(verdicts)} pages, mean headline F1 {mean:.3f} (gap {1 - mean:.3f})")
    for loss, fig in class_figures(verdicts).items():
        print(f"  {loss:14} {fig.pages:3} pages  loses {fig.share_of_gap:.3f} of the mean  ({fig.mean_lost:.3f} per page)")
    places = [m.place for m in sorted((v.match for v in verdicts if v.loss == "ranked-wrong"),
                                      key=lambda m: (m.rank or KNOCKOUTS + 1, m.place))]
    if places:
        print(f"  ranked-wrong: the right group's rank {'; '.join(places)}")
        n = len(verdicts)
        level = [v for v in verdicts if v.loss == "ranked-wrong" and v.match.level_of]
        other = [v for v in verdicts if v.loss == "ranked-wrong" and not v.match.level_of]
        print(f"  ranked-wrong: another listing won {len(other)} pages, losing {sum(v.lost for v in other) / n:.3f}; "
              f"another level of the same listing {len(level)} pages, losing {sum(v.lost for v in level) / n:.3f}")
        for kind, members in (("another listing", other), ("another level", level)):
            if members:
                precision = sum(v.detected.links.precision for v in members) / len(members)
                recall = sum(v.detected.links.recall for v in members) / len(members)
                print(f"  ranked-wrong, {kind}: detection's links mean P {precision:.2f} R {recall:.2f}; "
                      f"blocks detected {sum(v.winner_blocks for v in members)}, in the right groups {sum(v.match.blocks for v in members)}")
                print(f"  ranked-wrong, {kind}: blocks of the groups as ranked: the winners' {sum(v.winner_group for v in members)}, "
                      f"the right ones' {sum(v.match.group for v in members)} (the item selector widens a group to the blocks above)")
    near = [v.best_links for v in verdicts if v.loss == "no-candidate"]
    if near:
        print(f"  no-candidate: the best candidate group's link F1, mean {sum(near) / len(near):.3f}, highest {max(near):.3f}")
    hidden = sum(1 for v in verdicts if v.loss == "empty" and v.match is not None)
    print(f"  empty pages where a candidate group would match: {hidden}")
    odd = sum(1 for v in verdicts if not v.agrees)
    print(f"  pages where the knock-out's rank 1 is not detection's choice (should be 0): {odd}")


def print_page(v: Verdict) -> None:
    m = v.match
    where = "" if m is None else f"  match: rank {m.place}, {m.blocks} blocks, link F1 {m.result.links.f1:.2f}, headline F1 {m.result.headlines.f1:.2f}"
    print(f"{v.name:46} {v.loss:14} head F1 {v.detected.headlines.f1:.2f} link F1 {v.detected.links.f1:.2f}"
          f"  best group's link F1 {v.best_links:.2f}{where}")


def main(argv: list[str]) -> int:
    split = option(argv, "--split", "all", ("dev", "holdout", "all"))
    verbose = "--verbose" in argv
    if verbose and split != "dev":
        raise SystemExit("--verbose prints pages: only with --split dev (hold-out pages stay unseen)")
    labels = {name: label for name, label in load_corpus(WEB).items() if split in ("all", label.get("split"))}
    verdicts = [classify_page(name, label) for name, label in labels.items()]
    if verbose:
        for v in verdicts:
            print_page(v)
        print()
    for which in ("dev", "holdout"):
        members = [v for v in verdicts if v.split == which]
        if members:
            print_split(which, members)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
