"""A source's crawls in the archive: what the diff needs to know, and a crawl's writes.

`record_crawl` (monitor/record.py) reads a source's state and known items,
judges, and writes the crawl row, new items, versions and sightings, all
inside one `archive.transaction()`: the methods here never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Iterable

from monitor.archive.connection import Connection
from monitor.statuses import GOOD_STATUSES, SUSPECT, TURNOVER_REASON, sql_list
from scraper.items import Record

GOOD = sql_list(GOOD_STATUSES)


@dataclass(frozen=True, slots=True)
class KnownItem:
    """What the archive holds of an item: enough to decide new/updated."""

    id: int
    key: str
    headline: str
    summary: str
    published: str | None


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the diff needs to know of a source's past crawls."""

    id: int
    items: int  # distinct items archived
    # Items seen by the last ok/baseline crawl: the size a new crawl is compared
    # with.  Not the previous crawl: a broken layout that keeps matching one
    # stray block must stay suspect (and raise a "broken" alert), never become
    # the new normal whose stray block is then reported as news.
    last_good_items_seen: int | None
    # The item selector automatic detection used in that crawl (None when the
    # source's selectors are configured): a new crawl whose detection picked
    # another region is judged against it.
    last_good_detected: str | None = None
    # Crawls in a row, just before this one, that were suspect because nothing
    # on the page was seen before (monitor.diff._turnover).
    turnover_streak: int = 0


@dataclass(frozen=True, slots=True)
class HealthFacts:
    """A source's recent record around one crawl, for "broken"/"recovered" alerts."""

    source_id: int
    status: str  # of this crawl
    runs: int  # failed/suspect crawls in a row: ending with this one if it is a problem, else just before it
    since: str | None  # when the first of those started
    items_seen_before: int | None  # items seen by the last good crawl before them


FEW_SOURCES = 200  # up to this many, read a run's sources' page validators by name, not all


class CrawlStore:
    """The crawls, items, versions, sightings and page validators of an open archive."""

    def __init__(self, db: Connection):
        self.conn = db.conn

    # --- reads ------------------------------------------------------------

    def source_state(self, name: str, url: str) -> SourceState:
        """The source's row (created on first sight) and its history."""
        row = self.conn.execute("SELECT id, url FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            cur = self.conn.execute("INSERT INTO sources (name, url) VALUES (?, ?)", (name, url))
            source_id = cur.lastrowid
        else:
            source_id = row[0]
            if row[1] != url:
                self.conn.execute("UPDATE sources SET url = ? WHERE id = ?", (url, source_id))
        items = self.conn.execute("SELECT count(*) FROM items WHERE source_id = ?", (source_id,)).fetchone()[0]
        last = self.conn.execute(
            f"SELECT items_seen, detected_item FROM crawls WHERE source_id = ? AND status IN {GOOD} "
            "AND items_seen IS NOT NULL ORDER BY id DESC LIMIT 1",
            (source_id,),
        ).fetchone()
        recent = self.conn.execute(
            "SELECT status, error FROM crawls WHERE source_id = ? ORDER BY id DESC LIMIT 10", (source_id,)
        ).fetchall()
        streak = 0
        for status, error in recent:
            if status != SUSPECT or not (error or "").startswith(TURNOVER_REASON + " "):
                break
            streak += 1
        return SourceState(source_id, items, last[0] if last else None, last[1] if last else None, streak)

    def known_by_headline(self, source_id: int, headlines: Iterable[str]) -> dict[str, KnownItem]:
        """Archived items with these headlines (the most recently seen one per
        headline), to recognise an item that moved to a new link."""
        found: dict[str, KnownItem] = {}
        headlines = list(dict.fromkeys(headlines))
        for start in range(0, len(headlines), 500):
            chunk = headlines[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT id, key, headline, summary, published FROM items WHERE source_id = ? AND headline IN ({marks})"
                " ORDER BY last_seen",
                (source_id, *chunk),
            ):
                found[row[2]] = KnownItem(*row)
        return found

    def move_items(self, moves: Iterable[tuple[KnownItem, Record]]) -> None:
        """Give known items the link (and so the key) they were found under now."""
        self.conn.executemany("UPDATE items SET key = ?, url = ? WHERE id = ?",
                              [(record.key, record.url, item.id) for item, record in moves])

    def source_id(self, name: str) -> int | None:
        """A source's id, None when it was never crawled."""
        row = self.conn.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def known_items(self, source_id: int, keys: Iterable[str]) -> dict[str, KnownItem]:
        """The archived items among `keys`: lookups by index, whatever the archive size."""
        known: dict[str, KnownItem] = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT id, key, headline, summary, published FROM items WHERE source_id = ? AND key IN ({marks})",
                (source_id, *chunk),
            ):
                known[row[1]] = KnownItem(*row)
        return known

    def page_validators(self, names: Collection[str] | None = None) -> dict[str, dict]:
        """Each (named) source's stored ETag / Last-Modified of its first page, by source name.

        Read once before a run so the spider can ask "has it changed?"
        (If-None-Match / If-Modified-Since) instead of fetching every page whole.
        A few names are looked up one by one: a daemon batch of 100 sources
        must not read the rows of all 50,000.
        """
        select = ("SELECT sources.name, pages.url, pages.etag, pages.last_modified, pages.crawl_id, crawls.started"
                  " FROM pages JOIN sources ON sources.id = pages.source_id"
                  " LEFT JOIN crawls ON crawls.id = pages.crawl_id")
        if names is not None and len(names) <= FEW_SOURCES:
            rows = [row for name in names for row in self.conn.execute(select + " WHERE sources.name = ?", (name,))]
        else:
            rows = self.conn.execute(select).fetchall()
        # "fetched": when the page was read, so a Last-Modified of that very
        # second (a weak validator, stored by older versions) is not asked with.
        return {name: {"url": url, "etag": etag, "last_modified": modified, "crawl_id": crawl, "fetched": fetched}
                for name, url, etag, modified, crawl, fetched in rows}

    def health_facts(self, crawl_id: int) -> HealthFacts:
        """How long the source of this crawl has been failing (or had been, before it)."""
        source_id, status = self.conn.execute("SELECT source_id, status FROM crawls WHERE id = ?", (crawl_id,)).fetchone()
        good = self.conn.execute(
            f"SELECT id, items_seen FROM crawls WHERE source_id = ? AND id < ? AND status IN {GOOD}"
            " ORDER BY id DESC LIMIT 1",
            (source_id, crawl_id),
        ).fetchone()
        last_streak_id = crawl_id if status not in GOOD_STATUSES else crawl_id - 1
        runs, since = self.conn.execute(
            "SELECT count(*), min(started) FROM crawls WHERE source_id = ? AND id > ? AND id <= ?",
            (source_id, good[0] if good else 0, last_streak_id),
        ).fetchone()
        return HealthFacts(source_id, status, runs, since, good[1] if good else None)

    # --- writes (call inside transaction()) ----------------------------------

    def add(
        self,
        *,
        run_id: str,
        source_id: int,
        started: str,
        finished: str,
        status: str,
        http_status: int | None,
        items_seen: int | None,
        new: int,
        updated: int,
        error: str | None,
        pages: int,
        detected_item: str | None = None,
    ) -> int:
        """Store the crawl's row; its id ties the items, versions, sightings and alerts to it."""
        cur = self.conn.execute(
            "INSERT INTO crawls (run_id, source_id, started, finished, status, http_status, items_seen,"
            " new, updated, error, pages, detected_item) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, source_id, started, finished, status, http_status, items_seen, new, updated, error, pages,
             detected_item),
        )
        return cur.lastrowid

    def add_items(self, source_id: int, crawl_id: int, seen_at: str, records: list[Record]) -> None:
        """Archive items never seen before, each with its first version.

        A fixed number of statements whatever the number of items: the
        versions are copied from the rows just inserted (found by rowid range,
        since the items table holds more than any index on crawls would help).
        """
        if not records:
            return
        before = self.conn.execute("SELECT coalesce(max(id), 0) FROM items").fetchone()[0]
        self.conn.executemany(
            "INSERT INTO items (source_id, key, url, headline, summary, published, first_seen, last_seen,"
            " first_crawl_id, last_crawl_id, position, versions) VALUES (?,?,?,?,?,?,?,?,?,?,?,1)",
            [(source_id, r.key, r.url, r.headline, r.summary, r.published, seen_at, seen_at, crawl_id, crawl_id,
              r.position) for r in records],
        )
        self.conn.execute(
            "INSERT INTO item_versions (item_id, crawl_id, seen_at, headline, summary, published)"
            " SELECT id, ?, ?, headline, summary, published FROM items WHERE id > ? AND first_crawl_id = ? ORDER BY id",
            (crawl_id, seen_at, before, crawl_id),
        )

    def update_items(self, crawl_id: int, seen_at: str, changes: list[tuple[KnownItem, Record]]) -> None:
        """Store a new version of each edited item and make it the current text."""
        self.conn.executemany(
            "UPDATE items SET headline = ?, summary = ?, published = ?, versions = versions + 1 WHERE id = ?",
            [(record.headline, record.summary, record.published, known.id) for known, record in changes],
        )
        self.conn.executemany(
            "INSERT INTO item_versions (item_id, crawl_id, seen_at, headline, summary, published) VALUES (?,?,?,?,?,?)",
            [(known.id, crawl_id, seen_at, record.headline, record.summary, record.published)
             for known, record in changes],
        )

    def mark_seen(self, source_id: int, crawl_id: int, seen_at: str, records: list[Record]) -> None:
        """Record which items this crawl saw, where, and move their last_seen."""
        ids = {key: item.id for key, item in self.known_items(source_id, [r.key for r in records]).items()}
        self.conn.executemany(
            "UPDATE items SET last_seen = ?, last_crawl_id = ?, position = ?,"
            " published = coalesce(?, published) WHERE id = ?",
            [(seen_at, crawl_id, r.position, r.published, ids[r.key]) for r in records],
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO sightings (crawl_id, item_id, position) VALUES (?,?,?)",
            [(crawl_id, ids[r.key], r.position) for r in records],
        )

    def save_validators(self, source_id: int, crawl_id: int, url: str, etag: str | None, last_modified: str | None) -> None:
        """Keep the validators of a source's first page, and the crawl that read
        that page (forget them when it sent none)."""
        if not etag and not last_modified:
            self.conn.execute("DELETE FROM pages WHERE source_id = ?", (source_id,))
            return
        self.conn.execute(
            "INSERT INTO pages (source_id, url, etag, last_modified, crawl_id) VALUES (?,?,?,?,?)"
            " ON CONFLICT (source_id) DO UPDATE SET url = excluded.url, etag = excluded.etag,"
            " last_modified = excluded.last_modified, crawl_id = excluded.crawl_id",
            (source_id, url, etag, last_modified, crawl_id),
        )

    def mark_unchanged(self, source_id: int, crawl_id: int, seen_at: str, confirmed: int | None) -> None:
        """A 304: the page is the one the validators sent describe (those the
        `confirmed` crawl read; the stored ones when not known), so the items
        that crawl saw are on the listing still; move their last_seen, never
        back (another process may have recorded a later sighting meanwhile).
        (No sightings: nothing was parsed, and positions are those of that crawl.)"""
        self.conn.execute(
            "UPDATE items SET last_seen = ?, last_crawl_id = ? WHERE source_id = ? AND last_seen <= ? AND id IN"
            " (SELECT item_id FROM sightings WHERE crawl_id ="
            "  coalesce(?, (SELECT crawl_id FROM pages WHERE source_id = ?)))",
            (seen_at, crawl_id, source_id, seen_at, confirmed, source_id),
        )
