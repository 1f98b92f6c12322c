"""Automatic detection of a listing page's items: an lxml tree in, selectors out.

Detection infers ordinary selectors (the same CSS a person would write in
tidings.toml) and `extract_tree` applies them, so the records of an
automatic crawl and of a crawl with the printed selectors pinned are the
same by construction.

One module per stage (see docs/autodetect.md), in the order they run:

- elements: what every stage reads off an element: its tag, its stable
  classes, its place in the page (navigation? main content?); texts: its
  visible text, a link's text, whether that reads as a title, its first link;
  headings: what the page's headings hold (links in or around one, elements
  holding one), found once.
- candidates (1): every link with headline-like text is a clue.  From each,
  climb a few levels; every element met is a candidate item block, grouped
  with the elements of the same tag under parents with the same
  tag-and-class path.
- scoring (2): each group is scored: its blocks, their headline text, their
  other text (summaries, dates); more inside the main content, much less
  inside navigation, header, footer, sidebars, pagers, share bars.  The best
  group is the main listing; at equal score the outer level wins, so a block
  holds its headline, summary and date.
- item_selector (3): the simplest CSS selector that selects that group
  (plus, at most, other item-like blocks next to it, such as a featured
  first item); widening: a lead story above the listing and a "more
  headlines" list after it join it.
- headlines (4): where a block's headline is, by its look.
- fields (4): within a sample of blocks, headline, link, summary and date
  are located by their look, and the relative selector that finds them in
  most blocks is kept.
- pager: the "next page" link.
- confidence: how sure the choice is (a rival listing close in score, one or
  two items, headlines that read like menu links), and why not.
- listing: the stages run in order, and the Detection they give.

Everything is linear in the size of the page: links climb a bounded number
of levels and ancestor facts are memoised, so no recursion follows the
page's nesting depth.  Nothing here imports scraper.extract: extraction
calls detection, never the reverse.
"""

from scraper.autodetect.confidence import Detection
from scraper.autodetect.listing import detect, detect_blocks, detect_listing

__all__ = ["Detection", "detect", "detect_blocks", "detect_listing"]
