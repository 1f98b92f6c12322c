"""Deciding what a crawl means: records and archive state in, a verdict out.

Pure: no I/O, so the rules that decide whether people get alerted are tested
as a table of cases.  The rules guard against false alerts first: a crawl
that failed or collapsed is never diffed, so an outage cannot turn into
"everything removed" followed by "everything new".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from monitor.archive import KnownItem, SourceState
from scraper.items import Record

from monitor.statuses import BASELINE, FAILED, OK, SUSPECT, TURNOVER_REASON


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str | None = None
    new: list[Record] = field(default_factory=list)
    updated: list[tuple[KnownItem, Record]] = field(default_factory=list)
    # Known items found under a new link (a redesign moved them; a press page
    # now told apart by #fragment): the same items, not news.
    moved: list[tuple[KnownItem, Record]] = field(default_factory=list)
    # Known items whose text changed all at once (see MASS_EDIT): archived
    # as their new versions, not alerted.
    restyled: list[tuple[KnownItem, Record]] = field(default_factory=list)

    @property
    def records_changes(self) -> bool:
        """Whether the archive's items should take this crawl's records."""
        return self.status in (OK, BASELINE)


def judge(
    records: list[Record],
    known: dict[str, KnownItem],
    state: SourceState,
    *,
    error: str | None = None,
    alert_on_first_run: bool = False,
    suggestion: str | None = None,
    not_modified: bool = False,
    detected_item: str | None = None,
    script_built: str | None = None,
    by_headline: dict[str, KnownItem] | None = None,
) -> Verdict:
    """Classify one crawl of one source against what the archive knows.

    `suggestion` (selectors automatic detection found on the page) is added
    to the reason when the configured selectors matched nothing.
    `not_modified`: the server answered 304 to the validators of the last
    good crawl, so the listing is what that crawl saw: ok, nothing new.
    `detected_item`: the item selector automatic detection chose for this
    crawl (None when the source's selectors are configured).
    `script_built`: why the page served with no listing looks built by its
    scripts (scraper.script_built); the reason then says to render it in a browser.
    `by_headline`: known items of the source with the headlines of this
    crawl's unknown records, to recognise items that moved to a new link.
    """
    if error is not None:
        return Verdict(FAILED, error)
    if not_modified:
        return Verdict(OK)
    suspicion = _suspicion(len(records), state)
    if suspicion and not records and suggestion:
        suspicion += f"; automatic detection suggests {suggestion}"
    elif suspicion and not records and script_built:
        suspicion += f'; this page builds its listing with JavaScript ({script_built}): try render = "browser"'
    if suspicion:
        return Verdict(SUSPECT, suspicion)
    fresh = [r for r in records if r.key not in known]
    moved = _moved(fresh, by_headline or {}, {r.key for r in records})
    moved_ids = {id(record) for _, record in moved}
    new = [r for r in fresh if id(r) not in moved_ids]
    flip = _flipped(detected_item, state, len(new), len(records))
    if flip:
        return Verdict(SUSPECT, flip)
    updated = [(known[r.key], _keep_summary(known[r.key], r)) for r in records
               if r.key in known and _edited(known[r.key], r)]
    restyled = []
    if _restyled(len(updated), sum(1 for r in records if r.key in known)):
        restyled, updated = updated, []
    if state.items == 0 and not alert_on_first_run:
        return Verdict(BASELINE, None, new, [], moved)
    turnover = _turnover(len(records), len(new), state)
    if turnover:
        return Verdict(SUSPECT, turnover)
    return Verdict(OK, None, new, updated, moved, restyled)


MASS_MOVE = 3
"""Known headlines under new links in one crawl from which they count as moved
(a redesign moves many at once; one story whose title recurs under a new
link, "Weekly briefing", is news)."""
MASS_EDIT = 3
"""Known items edited in one crawl from which, when they are more than half of
the known items on the page, the edit is the page's markup or Tidings' reading
of it, not news: a template now ends every teaser with "Read more", an upgrade
of Tidings reads the headline span of a card rather than the whole card.
Their new text is archived (versions kept), but no one is alerted."""
TURNOVER_MIN = 3
TURNOVER_TRUSTED_AFTER = 3


def _moved(fresh: list[Record], by_headline: dict[str, KnownItem], keys: set[str]) -> list[tuple[KnownItem, Record]]:
    """Records with an unknown link that are known items moved to it.

    The same headline, the old link no longer on the page, no other
    publication date; and either the new link is the old one plus a
    `#fragment`, or enough items moved together to be a redesign.
    """
    candidates: list[tuple[KnownItem, Record]] = []
    taken: set[int] = set()
    for record in fresh:
        old = by_headline.get(record.headline)
        if old is None or old.id in taken or old.key in keys:
            continue
        if old.published and record.published and old.published[:10] != record.published[:10]:
            continue
        candidates.append((old, record))
        taken.add(old.id)
    anchored = [(o, r) for o, r in candidates if r.url and o.key == "url:" + r.url.split("#", 1)[0]]
    return candidates if len(candidates) >= MASS_MOVE else anchored


def _turnover(count: int, new: int, state: SourceState) -> str | None:
    """Suspicion of a shorter page where nothing was seen before: a "back
    soon" page with a "most read" list, another list in the listing's place.
    (A page as long as before, all new, is a busy listing that moved on.)

    Trusted once the same has been seen TURNOVER_TRUSTED_AFTER crawls in a row
    (the site really replaced every item), so it never stays suspect forever.
    """
    previous = state.last_good_items_seen or 0
    if not state.items or previous < TURNOVER_MIN or count < TURNOVER_MIN or new < count:
        return None
    if count >= previous:  # a full page of new items: a busy listing that moved on between two crawls
        return None
    if state.turnover_streak + 1 >= TURNOVER_TRUSTED_AFTER:
        return None
    return (f"{TURNOVER_REASON} {count} items on the page was seen before, where the last good crawl saw "
            f"{previous}: the page probably shows something else (a maintenance page, another list)")



def _edited(known: KnownItem, record: Record) -> bool:
    """Whether a seen-before item's text changed.

    A summary that disappeared is no edit: the summary selector stopped
    matching (a layout change), and every item would otherwise be reported
    updated at once.  The archive keeps the last summary it had.
    """
    if record.headline != known.headline:
        return True
    return bool(record.summary) and record.summary != known.summary


def _restyled(edited: int, known_on_page: int) -> bool:
    """Whether the edits of one crawl are a restyling (see MASS_EDIT) rather than editors' work."""
    return edited >= MASS_EDIT and edited * 2 > known_on_page


def _keep_summary(known: KnownItem, record: Record) -> Record:
    """The record with the archived summary when it has none of its own (see _edited)."""
    return record if record.summary else replace(record, summary=known.summary)


def _suspicion(count: int, state: SourceState) -> str | None:
    """Why a crawl that fetched fine is not to be trusted, if it is not."""
    if count == 0:
        if state.items:
            return "no items found: the page layout probably changed (selectors match nothing)"
        return "no items found on the page: check the selectors"
    previous = state.last_good_items_seen
    if previous and state.items and count * 2 < previous:
        return (
            f"only {count} item{'s' if count != 1 else ''} found where the last good crawl saw {previous}: "
            "the page layout probably changed"
        )
    return None


def _flipped(detected_item: str | None, state: SourceState, new: int, count: int) -> str | None:
    """Why a crawl whose automatic detection switched to another region of the
    page is not to be trusted, if it switched.

    Detection picked another item selector than in the last good crawl, and
    most items are new: it is reading another list (a sidebar, a carousel),
    and its items would be reported as news.  A listing that merely moved on
    keeps its selector, and a new selector over mostly known items is the same
    list named differently.
    """
    before = state.last_good_detected
    if not detected_item or not before or detected_item == before or not state.items or new * 2 <= count:
        return None
    return (
        f"automatic detection switched to another part of the page: item selector {detected_item!r} where the "
        f"last good crawl used {before!r}, and {new} of {count} items would be new; "
        "pin the selectors of the listing you want (tidings preview --emit-config)"
    )
