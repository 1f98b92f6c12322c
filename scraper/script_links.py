"""Rows of a listing whose title links to a script, not a page: no items.

A list of notices sometimes links a few rows to `javascript:;` (a copy of
the site that dropped them, an item not yet published, a login-only page):
a reader sees the row but has no page to open, and a monitor has nothing to
watch or alert with.  Such a row is left out when other rows of the same
listing lead to pages; when every row is script-linked (a site that opens
its items by script only) the rows are the listing and are kept, without a
link, rather than giving nothing.
"""

from __future__ import annotations

import re

_SCRIPT_HREF = re.compile(r"^\s*javascript:", re.I)


def script_linked(hrefs: list) -> bool:
    """Whether a headline's links (its own and the one around it) are all `javascript:` ones:
    the headline leads to no page.  False for a headline without a link."""
    return bool(hrefs) and all(href is not None and _SCRIPT_HREF.match(href) for href in hrefs)


def without_script_rows(drafts: list[tuple], chosen: list) -> tuple[list[tuple], list]:
    """The drafts (and their chosen links) less the rows whose headline links to a script
    and which found no page of their own, when some other row has a page.

    A draft's last field says whether its headline is script-linked; `chosen`
    holds each draft's link (None when it has none of its own)."""
    dead = [draft[-1] and url is None for draft, url in zip(drafts, chosen)]
    if not any(dead) or all(url is None for url in chosen):
        return drafts, chosen
    kept = [i for i, is_dead in enumerate(dead) if not is_dead]
    return [drafts[i] for i in kept], [chosen[i] for i in kept]
