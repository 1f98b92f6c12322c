"""The SQLite archive: schema, migrations, transactions and queries.

This is the only module that writes SQL.  Every write of one source's crawl
happens inside one `transaction()`, taken with BEGIN IMMEDIATE so that
concurrent `tidings run` processes queue for the write lock instead of
failing with "database is locked" when a read turns into a write.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from monitor.errors import ArchiveError
from monitor.statuses import GOOD_STATUSES, sql_list
from scraper.items import Record

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_SECONDS = 60



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


@dataclass(frozen=True, slots=True)
class HealthFacts:
    """A source's recent record around one crawl, for "broken"/"recovered" alerts."""

    source_id: int
    status: str  # of this crawl
    runs: int  # failed/suspect crawls in a row: ending with this one if it is a problem, else just before it
    since: str | None  # when the first of those started
    items_seen_before: int | None  # items seen by the last good crawl before them


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the alert outbox."""

    id: str
    notifier: str
    source_id: int | None
    run_id: str | None
    kind: str
    payload: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt: str
    created: str
    sent_at: str | None
    lease_owner: str | None
    lease_until: str | None


DELIVERY_COLUMNS = ", ".join(Delivery.__slots__)


def _describe(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "file is not a database" in text or "file is encrypted" in text:
        return "not a SQLite database (is --db pointing at the right file?)"
    if "malformed" in text:
        return f"the archive file is damaged ({text}): restore a backup, or try `sqlite3 FILE .recover`"
    if "disk I/O error" in text or "database or disk is full" in text:
        return f"cannot write ({text}: is the disk full?)"
    if "unable to open database file" in text:
        return "cannot open the database file (does the folder exist and is it writable?)"
    if "readonly database" in text or "attempt to write a readonly database" in text:
        return "the database file is read-only"
    if "database is locked" in text:
        return f"database is locked: another process held it longer than {BUSY_TIMEOUT_SECONDS} s"
    return text


class Archive:
    """An open archive.  Use as a context manager to close it."""

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False):
        self.path = Path(path)
        if self.path.is_dir():  # $TIDINGS_DB is not checked by the CLI's --db option
            raise ArchiveError(f"{self.path}: is a directory, not an archive file (pass --db FILE)")
        try:
            if readonly:
                if not self.path.exists():
                    raise ArchiveError(f"{self.path}: archive not found (run `tidings run` first, or pass --db PATH)")
                conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_SECONDS)
            else:
                if self.path.parent and not self.path.parent.exists():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
            self.conn = conn
            self._db: sqlite_utils.Database | None = None
            # As sqlite-utils sets it: its full-text triggers rely on it.
            conn.execute("PRAGMA recursive_triggers = ON")
            conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_foreign_database()
            if not readonly:
                journal = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                conn.execute("PRAGMA synchronous = NORMAL")
                if journal.lower() != "wal":
                    conn.execute("PRAGMA synchronous = FULL")
                self.migrate()
        except ArchiveError:
            raise
        except OSError as exc:
            raise ArchiveError(f"{self.path}: cannot create the archive: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise ArchiveError(f"{self.path}: {_describe(exc)}") from None

    @property
    def db(self) -> "sqlite_utils.Database":
        """sqlite-utils over the same connection, for migrations.

        Imported on first use: sqlite-utils and its plugin machinery cost about
        25 ms at every start, and a run on an up-to-date archive needs neither.
        No plugins: finding them scans every installed package's metadata.
        """
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    def has_table(self, name: str) -> bool:
        """Whether the table exists (an archive opened read-only is not migrated)."""
        return self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone() is not None

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Archive"]:
        """One atomic unit of writes; rolled back whole on any error."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise ArchiveError(f"{self.path}: {_describe(exc)}") from None
        try:
            yield self
        except sqlite3.Error as exc:  # a full disk or a read-only file meets us mid-transaction
            self.conn.rollback()
            raise ArchiveError(f"{self.path}: {_describe(exc)}") from None
        except BaseException:
            self.conn.rollback()
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.conn.rollback()
            raise ArchiveError(f"{self.path}: {_describe(exc)}") from None

    # --- schema -----------------------------------------------------------

    def schema_version(self) -> int:
        """The highest migration applied (0 for a new, empty file)."""
        applied = self.applied_migrations()
        return max(applied, default=0)

    def applied_migrations(self) -> set[int]:
        if not self.has_table("meta"):
            return set()
        rows = self.conn.execute("SELECT key FROM meta WHERE key LIKE 'migration:%'").fetchall()
        applied = {int(key.split(":", 1)[1]) for (key,) in rows}
        if not applied:  # archives written before migrations were recorded one by one
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            applied = set(range(1, int(row[0]) + 1)) if row else set()
        return applied

    def migrate(self) -> None:
        """Apply every migration this archive lacks, each in its own transaction.

        Migrations are recorded one by one (not just a version number), so one
        that was added later with a lower number is still applied.
        """
        applied = self.applied_migrations()
        newest = max(MIGRATIONS)
        if applied and max(applied) > newest:
            raise ArchiveError(
                f"{self.path}: archive schema version {max(applied)} is newer than this Tidings "
                f"understands ({newest}); upgrade Tidings"
            )
        for number in sorted(set(MIGRATIONS) - applied):
            with self.transaction():
                MIGRATIONS[number](self.db)
                self.conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [(f"migration:{number}", MIGRATIONS[number].__doc__ or ""),
                     ("schema_version", str(max(applied | {number})))],
                )
                applied.add(number)

    def _refuse_foreign_database(self) -> None:
        """Never touch another application's database (not even its journal mode)."""
        tables = [n for (n,) in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        if tables and "meta" not in tables:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise ArchiveError(
                f"{self.path}: a SQLite database of something else (tables: {shown}), not a Tidings archive; "
                "left untouched (pass --db with a new file)"
            )

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
            f"SELECT items_seen FROM crawls WHERE source_id = ? AND status IN {sql_list(GOOD_STATUSES)} "
            "AND items_seen IS NOT NULL ORDER BY id DESC LIMIT 1",
            (source_id,),
        ).fetchone()
        return SourceState(source_id, items, last[0] if last else None)

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

    def source_names(self) -> dict[int, str]:
        """Every archived source's name, by id."""
        return dict(self.conn.execute("SELECT id, name FROM sources"))

    def page_validators(self) -> dict[str, dict]:
        """Each source's stored ETag / Last-Modified of its first page, by source name.

        Read once before a run so the spider can ask "has it changed?"
        (If-None-Match / If-Modified-Since) instead of fetching every page whole.
        """
        rows = self.conn.execute(
            "SELECT sources.name, pages.url, pages.etag, pages.last_modified, pages.crawl_id"
            " FROM pages JOIN sources ON sources.id = pages.source_id"
        ).fetchall()
        return {name: {"url": url, "etag": etag, "last_modified": modified, "crawl_id": crawl}
                for name, url, etag, modified, crawl in rows}

    # --- writes (call inside transaction()) ----------------------------------

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

    def add_crawl(
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
    ) -> int:
        cur = self.conn.execute(
            "INSERT INTO crawls (run_id, source_id, started, finished, status, http_status, items_seen,"
            " new, updated, error, pages) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, source_id, started, finished, status, http_status, items_seen, new, updated, error, pages),
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

    # --- alert outbox (deliveries) --------------------------------------------

    def health_facts(self, crawl_id: int) -> HealthFacts:
        """How long the source of this crawl has been failing (or had been, before it)."""
        source_id, status = self.conn.execute("SELECT source_id, status FROM crawls WHERE id = ?", (crawl_id,)).fetchone()
        good = self.conn.execute(
            f"SELECT id, items_seen FROM crawls WHERE source_id = ? AND id < ? AND status IN {sql_list(GOOD_STATUSES)}"
            " ORDER BY id DESC LIMIT 1",
            (source_id, crawl_id),
        ).fetchone()
        last_streak_id = crawl_id if status not in GOOD_STATUSES else crawl_id - 1
        runs, since = self.conn.execute(
            "SELECT count(*), min(started) FROM crawls WHERE source_id = ? AND id > ? AND id <= ?",
            (source_id, good[0] if good else 0, last_streak_id),
        ).fetchone()
        return HealthFacts(source_id, status, runs, since, good[1] if good else None)

    def last_health_alert(self, notifier: str, source_id: int) -> str | None:
        """'broken' or 'recovered': the last health alert queued for this notifier and source."""
        row = self.conn.execute(
            "SELECT kind FROM deliveries WHERE notifier = ? AND source_id = ? AND kind IN ('broken', 'recovered')"
            " ORDER BY created DESC, rowid DESC LIMIT 1",
            (notifier, source_id),
        ).fetchone()
        return row[0] if row else None

    def add_delivery(self, *, id: str, notifier: str, source_id: int | None, run_id: str | None,
                     crawl_id: int | None, kind: str, payload: str, created: str) -> None:
        """Queue one alert (inside the crawl's transaction, so it commits with the items)."""
        self.conn.execute(
            "INSERT INTO deliveries (id, notifier, source_id, run_id, crawl_id, kind, payload, state, attempts,"
            " next_attempt, created) VALUES (?,?,?,?,?,?,?,'pending',0,?,?)",
            (id, notifier, source_id, run_id, crawl_id, kind, payload, created, created),
        )

    def pending_deliveries(self, *, due_by: str | None = None, run_id: str | None = None) -> list[Delivery]:
        """Pending deliveries, oldest first: all, those due by a time, or one run's."""
        sql, args = f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state = 'pending'", []
        if due_by is not None:
            sql += " AND next_attempt <= ?"
            args.append(due_by)
        if run_id is not None:
            sql += " AND run_id = ?"
            args.append(run_id)
        return [Delivery(*row) for row in self.conn.execute(sql + " ORDER BY created, rowid", args)]

    def list_deliveries(self, states: Iterable[str] = ("pending", "dead"), limit: int = 100) -> list[Delivery]:
        """Deliveries in the given states, newest first (for `tidings status`;
        none while the archive has no deliveries table, as read-only opens do not migrate)."""
        if not self.has_table("deliveries"):
            return []
        states = list(states)
        marks = ",".join("?" * len(states))
        return [
            Delivery(*row)
            for row in self.conn.execute(
                f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state IN ({marks}) ORDER BY created DESC, rowid DESC LIMIT ?",
                (*states, limit),
            )
        ]

    def claim_deliveries(self, ids: Iterable[str], owner: str, until: str, now: str,
                         is_free: Callable[[str], bool]) -> list[Delivery]:
        """Lease pending deliveries to `owner`, so two processes never send the same one at once.

        A lease held by another owner blocks only while it lasts and while
        `is_free(owner)` says that owner is still alive.
        """
        claimed = []
        with self.transaction():
            for delivery_id in ids:
                row = self.conn.execute(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
                if row is None:
                    continue
                delivery = Delivery(*row)
                held = delivery.lease_owner and delivery.lease_until and delivery.lease_until > now
                if delivery.state != "pending" or (held and not is_free(delivery.lease_owner)):
                    continue
                self.conn.execute("UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?",
                                  (owner, until, delivery_id))
                claimed.append(delivery)
        return claimed

    def mark_sent(self, delivery_id: str, now: str) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE deliveries SET state = 'sent', sent_at = ?, attempts = attempts + 1,"
                " lease_owner = NULL, lease_until = NULL WHERE id = ? AND state = 'pending'",
                (now, delivery_id),
            )

    def mark_failed(self, delivery_id: str, error: str, *, next_attempt: str, dead: bool, counts: bool = True) -> None:
        """Record a failed (or, with counts=False, a deferred) attempt; dead ends the retries."""
        with self.transaction():
            self.conn.execute(
                "UPDATE deliveries SET attempts = attempts + ?, last_error = ?, next_attempt = ?,"
                " state = CASE WHEN ? THEN 'dead' ELSE state END WHERE id = ? AND state = 'pending'",
                (1 if counts else 0, error, next_attempt, dead, delivery_id),
            )

    def release_deliveries(self, owner: str) -> None:
        with self.transaction():
            self.conn.execute("UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?", (owner,))

    # --- queries for the scheduler and `tidings status` --------------------

    def last_starts(self) -> dict[str, str]:
        """When each archived source's latest crawl started, by name (the daemon's
        only question of the archive: no item or delivery counts)."""
        return dict(self.conn.execute(
            "SELECT sources.name, c.started FROM sources"
            " JOIN crawls c ON c.id = (SELECT max(id) FROM crawls WHERE source_id = sources.id)"
        ))

    def source_overview(self, since: str) -> dict[str, "SourceOverview"]:
        """Per archived source: its latest crawl, items, new since `since`
        (an ISO time as stored), and its pending and dead alert deliveries
        (0 while the archive has no deliveries table)."""
        overview = {
            name: SourceOverview(started, finished, status, error)
            for name, started, finished, status, error in self.conn.execute(
                "SELECT sources.name, c.started, c.finished, c.status, c.error FROM sources"
                " LEFT JOIN crawls c ON c.id = (SELECT max(id) FROM crawls WHERE source_id = sources.id)"
            )
        }
        names = self.source_names()
        for source_id, count in self.conn.execute("SELECT source_id, count(*) FROM items GROUP BY source_id"):
            overview[names[source_id]].items = count
        for source_id, new in self.conn.execute(
            "SELECT source_id, coalesce(sum(new), 0) FROM crawls WHERE started >= ? GROUP BY source_id", (since,)
        ):
            overview[names[source_id]].new_since = new
        if self.has_table("deliveries"):
            for source_id, pending, dead in self.conn.execute(
                "SELECT source_id, sum(state = 'pending'), sum(state = 'dead') FROM deliveries"
                " WHERE source_id IS NOT NULL GROUP BY source_id"
            ):
                if source_id in names:
                    overview[names[source_id]].pending_deliveries = pending or 0
                    overview[names[source_id]].dead_deliveries = dead or 0
        return overview


@dataclass(slots=True)
class SourceOverview:
    """A source's state as `tidings status` and the daemon see it."""

    last_started: str | None = None
    last_finished: str | None = None
    last_status: str | None = None
    last_error: str | None = None
    items: int = 0
    new_since: int = 0
    pending_deliveries: int = 0
    dead_deliveries: int = 0


# --- migrations: MIGRATIONS[n] takes a schema at version n-1 to version n ---

def _v1(db: sqlite_utils.Database) -> None:
    """sources, crawls, items, item_versions, sightings, full-text search"""
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute(
        """CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            url TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE crawls (
            id INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            started TEXT NOT NULL,
            finished TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('ok', 'baseline', 'failed', 'suspect')),
            http_status INTEGER,
            items_seen INTEGER,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            pages INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX crawls_source ON crawls (source_id, id)")
    db.execute("CREATE INDEX crawls_run ON crawls (run_id)")
    db.execute(
        """CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            key TEXT NOT NULL,
            url TEXT,
            headline TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            published TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            first_crawl_id INTEGER REFERENCES crawls(id),
            last_crawl_id INTEGER REFERENCES crawls(id),
            position INTEGER,
            versions INTEGER NOT NULL DEFAULT 1,
            UNIQUE (source_id, key)
        )"""
    )
    db.execute("CREATE INDEX items_first_seen ON items (first_seen)")
    db.execute("CREATE INDEX items_source_first_seen ON items (source_id, first_seen)")
    db.execute(
        """CREATE TABLE item_versions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            crawl_id INTEGER REFERENCES crawls(id),
            seen_at TEXT NOT NULL,
            headline TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            published TEXT
        )"""
    )
    db.execute("CREATE INDEX item_versions_item ON item_versions (item_id, id)")
    db.execute(
        """CREATE TABLE sightings (
            crawl_id INTEGER NOT NULL REFERENCES crawls(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            position INTEGER,
            PRIMARY KEY (crawl_id, item_id)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX sightings_item ON sightings (item_id)")
    db["items"].enable_fts(["headline", "summary"], create_triggers=True)


def _v2(db: sqlite_utils.Database) -> None:
    """deliveries: the alert outbox"""
    db.execute(
        """CREATE TABLE deliveries (
            id TEXT PRIMARY KEY,
            notifier TEXT NOT NULL,
            source_id INTEGER REFERENCES sources(id),
            run_id TEXT,
            crawl_id INTEGER REFERENCES crawls(id),
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_attempt TEXT NOT NULL,
            created TEXT NOT NULL,
            sent_at TEXT,
            lease_owner TEXT,
            lease_until TEXT
        )"""
    )
    db.execute("CREATE INDEX deliveries_state ON deliveries (state, next_attempt)")
    db.execute("CREATE INDEX deliveries_run ON deliveries (run_id)")
    db.execute("CREATE INDEX deliveries_health ON deliveries (notifier, source_id, kind, created)")


def _v4(db: sqlite_utils.Database) -> None:
    """researchers' views (items_with_source, item_versions_with_source, new_items_per_day, latest_crawls) and indexes"""
    db.execute(
        """CREATE VIEW items_with_source AS
        SELECT items.id AS item_id, sources.name AS source, items.headline, items.summary, items.url,
               items.published, items.first_seen, items.last_seen, items.versions, items.position,
               items.key, items.first_crawl_id, items.last_crawl_id, sources.url AS source_url
        FROM items JOIN sources ON sources.id = items.source_id"""
    )
    db.execute(
        """CREATE VIEW item_versions_with_source AS
        SELECT item_versions.id AS version_id, item_versions.item_id, sources.name AS source, items.url,
               item_versions.seen_at, item_versions.headline, item_versions.summary,
               item_versions.published, item_versions.crawl_id
        FROM item_versions JOIN items ON items.id = item_versions.item_id
        JOIN sources ON sources.id = items.source_id"""
    )
    db.execute(
        """CREATE VIEW new_items_per_day AS
        SELECT sources.name AS source, substr(items.first_seen, 1, 10) AS day, count(*) AS new_items
        FROM items JOIN sources ON sources.id = items.source_id
        GROUP BY items.source_id, substr(items.first_seen, 1, 10)"""
    )
    db.execute(
        """CREATE VIEW latest_crawls AS
        SELECT sources.name AS source, crawls.*
        FROM crawls JOIN sources ON sources.id = crawls.source_id
        WHERE crawls.id IN (SELECT max(id) FROM crawls GROUP BY source_id)"""
    )
    # No expression index for new_items_per_day: `sqlite-utils transform` refuses tables that have one.
    # What a crawl found new, and which versions it recorded (Datasette's row pages count these).
    db.execute("CREATE INDEX items_first_crawl ON items (first_crawl_id)")
    db.execute("CREATE INDEX item_versions_crawl ON item_versions (crawl_id)")


def _v5(db: sqlite_utils.Database) -> None:
    """pages: first-page ETag/Last-Modified for conditional requests; FTS update trigger only on text changes"""
    # Every crawl moves last_seen/position of every item it saw; the update
    # trigger sqlite-utils made re-indexed the text each time.  Same trigger,
    # fired only when the indexed columns are written.
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'items_au'").fetchone():
        db.execute("DROP TRIGGER items_au")
        db.execute(
            """CREATE TRIGGER items_au AFTER UPDATE OF headline, summary ON items BEGIN
  INSERT INTO items_fts (items_fts, rowid, headline, summary) VALUES('delete', old.rowid, old.headline, old.summary);
  INSERT INTO items_fts (rowid, headline, summary) VALUES (new.rowid, new.headline, new.summary);
END"""
        )
    db.execute(
        """CREATE TABLE pages (
            source_id INTEGER PRIMARY KEY REFERENCES sources(id),
            url TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT
        )"""
    )


def _v6(db: sqlite_utils.Database) -> None:
    """pages.crawl_id: the crawl that read the page the validators describe (a 304 moves its items' last_seen)"""
    db.execute("ALTER TABLE pages ADD COLUMN crawl_id INTEGER REFERENCES crawls(id)")
    # Validators kept before this migration are those of the source's last good
    # crawl that read its page (a 304 reads none): else a 304 would move nothing
    # until the page next changes.
    db.execute(
        "UPDATE pages SET crawl_id = (SELECT max(id) FROM crawls WHERE crawls.source_id = pages.source_id"
        " AND status IN ('ok', 'baseline') AND http_status IS NOT 304)"
    )


def _v7(db: sqlite_utils.Database) -> None:
    """items: links re-spelt as crawls now spell them (upper-case escapes, non-ASCII percent-encoded, IDN hosts in ASCII)"""
    # An item's identity is its canonical link.  Links archived before
    # canonical_url wrote every escape in upper case and percent-encoded
    # non-ASCII characters would otherwise differ from the same links crawled
    # now, and their items would be reported new once more.  Only links with
    # an escape or a character outside printable ASCII can change.
    from scraper.urls import canonical_url

    rows = db.execute(
        "SELECT id, source_id, url FROM items WHERE key = 'url:' || url"
        " AND (url GLOB '*[^!-~]*' OR instr(url, '%') > 0)"
    ).fetchall()
    for item_id, source_id, url in rows:
        respelt = canonical_url(url, url)
        if not respelt or respelt == url:
            continue
        if db.execute("SELECT 1 FROM items WHERE source_id = ? AND key = ?", (source_id, "url:" + respelt)).fetchone():
            continue  # both spellings were archived as two items already: keep both as they are
        db.execute("UPDATE items SET url = ?, key = ? WHERE id = ?", (respelt, "url:" + respelt, item_id))


# Each feature that needs tables adds its own numbered migration here.
MIGRATIONS = {1: _v1, 2: _v2, 4: _v4, 5: _v5, 6: _v6, 7: _v7}
SCHEMA_VERSION = max(MIGRATIONS)
