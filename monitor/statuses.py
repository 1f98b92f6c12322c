"""The crawl statuses: the one vocabulary for what a source's crawl came to.

Stored in `crawls.status`, printed in reports, counted in exit codes, and
tested in SQL, so every module names them from here.
"""

from __future__ import annotations

OK = "ok"  # compared with the archive: new and updated items are news
BASELINE = "baseline"  # the source's first good crawl: archived, not news
FAILED = "failed"  # fetched nothing usable (network, HTTP, selectors)
SUSPECT = "suspect"  # fetched, but too unlike the last good crawl to be diffed
SKIPPED = "skipped"  # another process was crawling it: never recorded, only reported

CRAWL_STATUSES = (OK, BASELINE, FAILED, SUSPECT)
"""What `crawls.status` may hold (skipped crawls are not recorded)."""
GOOD_STATUSES = (OK, BASELINE)
"""Crawls whose records the archive trusts."""
PROBLEM_STATUSES = (FAILED, SUSPECT)
"""Crawls a user is told about as a problem (exit code 1, broken alerts)."""
TURNOVER_REASON = "none of the"
"""How the reason of a crawl that is suspect because nothing on its page was
seen before begins (monitor.diff decides it; the archive counts them in a row)."""


def sql_list(statuses: tuple[str, ...]) -> str:
    """A status tuple as an SQL list literal, for `status IN (...)` in queries and CHECK constraints."""
    return "(" + ", ".join(f"'{s}'" for s in statuses) + ")"
