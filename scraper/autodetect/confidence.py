"""How sure detection is of the listing it chose, and why not.

Detection always answers with its best guess; this says when the guess is
shaky, so a person looks before trusting it: another listing scores nearly
as high, the listing has one or two items, or its headlines read like menu
or pager links ("Home", "More", "Contact").  Pure: scores and texts in, a
number and reasons out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scraper.selectors import Selectors
from scraper.text import is_navigation_text

UNSURE_BELOW = 0.7  # a detection whose confidence is lower says it is unsure
CLOSE_RUNNER_UP = 0.75  # a runner-up scoring this share of the winner's score or more is a rival


@dataclass(frozen=True)
class Detection:
    """What automatic detection found on a page.

    `selectors` pick the listing; `confidence` is 1.0 when nothing casts doubt
    on it and falls towards 0 with each doubt in `reasons`; `runner_up` are
    the selectors of the best other listing when it is a rival (else None);
    `blocks` are the elements the item selector picks (so extraction need not
    select them again).
    """

    selectors: Selectors
    confidence: float = 1.0
    reasons: tuple[str, ...] = ()
    runner_up: Selectors | None = None
    blocks: list = field(default_factory=list, repr=False, compare=False)

    @property
    def unsure(self) -> bool:
        """Whether a person should check the listing before trusting it."""
        return self.confidence < UNSURE_BELOW

    def describe(self) -> str:
        """One line: how sure, and why not."""
        how = "unsure" if self.unsure else "sure"
        why = "; ".join(self.reasons) if self.reasons else "one clear listing"
        return f"detection is {how} of the listing (confidence {self.confidence:.2f}): {why}"


@dataclass(frozen=True)
class Doubt:
    """One reason for doubt and how much it lowers confidence (a factor in 0..1)."""

    reason: str
    factor: float


def doubts(score: float, runner_up_score: float, items: int, headlines: list[str]) -> list[Doubt]:
    """Every reason to doubt a listing: its score against the runner-up's, its
    number of items and its headlines' texts (those of a sample of blocks)."""
    found = []
    if score > 0 and runner_up_score >= CLOSE_RUNNER_UP * score:
        ratio = runner_up_score / score
        found.append(Doubt(f"another listing scores nearly as high ({ratio:.0%} of the chosen one's score)",
                           max(0.0, min(1.0, (1 - ratio) * 2))))
    if items <= 2:
        found.append(Doubt(f"the listing has only {items} item{'s' if items != 1 else ''}", 0.5 if items == 2 else 0.3))
    navigation = sum(1 for h in headlines if _reads_as_navigation(h))
    if navigation >= 2 and navigation * 4 >= len(headlines):
        share = navigation / len(headlines)
        found.append(Doubt(f"{share:.0%} of its headlines read like menu or pager links", 0.6 if share < 0.5 else 0.3))
    return found


def confidence_of(found: list[Doubt]) -> float:
    """1.0 without doubts; each doubt multiplies in its factor."""
    value = 1.0
    for doubt in found:
        value *= doubt.factor
    return round(value, 2)


def _reads_as_navigation(headline: str) -> bool:
    """A menu or pager link's text ("Home", "More", "Contact", "Page 2")."""
    return is_navigation_text(headline)
