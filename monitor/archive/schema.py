"""The archive's schema: its migrations, and bringing a file up to date.

MIGRATIONS[n] takes a schema at version n-1 to version n.  The migration
functions are historical records: once released, a migration is never
edited in what it does (a new one is added instead), and its docstring is
stored in `meta` as its description.  They spell statuses and states as SQL
literals on purpose: they describe the archive as it was when written.
"""

from __future__ import annotations

import sqlite3

from monitor.archive.connection import Connection
from monitor.errors import ArchiveError


def applied_migrations(db: Connection) -> set[int]:
    """The numbers of the migrations this archive has had."""
    if not db.has_table("meta"):
        return set()
    # NOT INDEXED: read the rows themselves.  Through its key index alone a
    # damaged table page would go unnoticed (the index covers `key`), and a
    # damaged index would read as "no migrations yet".
    rows = dict(db.conn.execute("SELECT key, value FROM meta NOT INDEXED").fetchall())
    index = db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'meta' AND name LIKE 'sqlite_autoindex_%'"
    ).fetchone()
    indexed = db.conn.execute(f'SELECT count(*) FROM meta INDEXED BY "{index[0]}"').fetchone()[0] if index else len(rows)
    if indexed != len(rows):
        raise ArchiveError(f"{db.path}: the archive file is damaged (its meta table and index disagree): "
                           "restore a backup, or try `sqlite3 FILE .recover`")
    applied = {int(key.split(":", 1)[1]) for key in rows if key.startswith("migration:")}
    if not applied and "schema_version" in rows:  # archives written before migrations were recorded one by one
        applied = set(range(1, int(rows["schema_version"]) + 1))
    return applied


def schema_version(db: Connection) -> int:
    """The highest migration applied (0 for a new, empty file)."""
    return max(applied_migrations(db), default=0)


def migrate(db: Connection) -> None:
    """Apply every migration this archive lacks, each in its own transaction.

    Migrations are recorded one by one (not just a version number), so one
    that was added later with a lower number is still applied.
    """
    applied = applied_migrations(db)
    newest = max(MIGRATIONS)
    if applied and max(applied) > newest:
        raise ArchiveError(
            f"{db.path}: archive schema version {max(applied)} is newer than this Tidings "
            f"understands ({newest}); upgrade Tidings"
        )
    for number in sorted(set(MIGRATIONS) - applied):
        with db.transaction():
            # Another process opening the archive at the same moment may have
            # applied it since we looked: look again under the write lock.
            if number in applied_migrations(db):
                applied.add(number)
                continue
            MIGRATIONS[number](db.conn)
            db.conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [(f"migration:{number}", MIGRATIONS[number].__doc__ or ""),
                 ("schema_version", str(max(applied | {number})))],
            )
            applied.add(number)


# --- the migrations ---------------------------------------------------------------

def _v1(db: sqlite3.Connection) -> None:
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
    # What sqlite-utils' `enable_fts(["headline", "summary"], create_triggers=True)`
    # ran (its 4.x spelling), written out so this record no longer changes
    # with the library's version (its populating INSERT is left out: `items`
    # is empty here).  FTS5 over `items` as external content, with the names
    # sqlite-utils and Datasette look for.
    db.execute(
        """CREATE VIRTUAL TABLE "items_fts" USING FTS5 (
    "headline", "summary",
    content="items"
)"""
    )
    db.execute(
        """CREATE TRIGGER "items_ai" AFTER INSERT ON "items" BEGIN
  INSERT INTO "items_fts" (rowid, "headline", "summary") VALUES (new.rowid, new."headline", new."summary");
END;"""
    )
    db.execute(
        """CREATE TRIGGER "items_ad" AFTER DELETE ON "items" BEGIN
  INSERT INTO "items_fts" ("items_fts", rowid, "headline", "summary") VALUES('delete', old.rowid, old."headline", old."summary");
END;"""
    )
    db.execute(
        """CREATE TRIGGER "items_au" AFTER UPDATE ON "items" BEGIN
  INSERT INTO "items_fts" ("items_fts", rowid, "headline", "summary") VALUES('delete', old.rowid, old."headline", old."summary");
  INSERT INTO "items_fts" (rowid, "headline", "summary") VALUES (new.rowid, new."headline", new."summary");
END;"""
    )


def _v2(db: sqlite3.Connection) -> None:
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


def _v4(db: sqlite3.Connection) -> None:
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


def _v5(db: sqlite3.Connection) -> None:
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


def _v6(db: sqlite3.Connection) -> None:
    """pages.crawl_id: the crawl that read the page the validators describe (a 304 moves its items' last_seen)"""
    db.execute("ALTER TABLE pages ADD COLUMN crawl_id INTEGER REFERENCES crawls(id)")
    # Validators kept before this migration are those of the source's last good
    # crawl that read its page (a 304 reads none): else a 304 would move nothing
    # until the page next changes.
    db.execute(
        "UPDATE pages SET crawl_id = (SELECT max(id) FROM crawls WHERE crawls.source_id = pages.source_id"
        " AND status IN ('ok', 'baseline') AND http_status IS NOT 304)"
    )


def _v7(db: sqlite3.Connection) -> None:
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


def _v8(db: sqlite3.Connection) -> None:
    """crawls.detected_item: the item selector automatic detection used (a flip to another region is suspect)"""
    db.execute("ALTER TABLE crawls ADD COLUMN detected_item TEXT")


def _v9(db: sqlite3.Connection) -> None:
    """schedule_lag: how late each source's latest scheduled run (tidings schedule) started"""
    db.execute(
        """CREATE TABLE schedule_lag (
            source_id INTEGER PRIMARY KEY REFERENCES sources(id),
            due TEXT NOT NULL,
            started TEXT NOT NULL,
            lag REAL NOT NULL
        )"""
    )


def _v10(db: sqlite3.Connection) -> None:
    """PRAGMA application_id: the file marked as a Tidings archive"""
    # The value of monitor.archive.connection.APPLICATION_ID when written ("TDNG"),
    # which tells Tidings' archives from other applications' databases.
    db.execute(f"PRAGMA application_id = {int.from_bytes(b'TDNG', 'big')}")


def _v11(db: sqlite3.Connection) -> None:
    """crawls.items_seen: 0, not NULL, for failed crawls (what reports and the CLI always said)"""
    db.execute("UPDATE crawls SET items_seen = 0 WHERE items_seen IS NULL")


def _v12(db: sqlite3.Connection) -> None:
    """views: new_items_per_day counts new and baseline items apart; items_with_source columns in reading order"""
    # A source's first (baseline) crawl archives what the page already showed:
    # those items were never reported new, and counting them as new made the
    # day a source was added look like a flood of news.
    db.execute("DROP VIEW IF EXISTS new_items_per_day")
    db.execute(
        """CREATE VIEW new_items_per_day AS
        SELECT sources.name AS source, substr(items.first_seen, 1, 10) AS day,
               sum(crawls.status = 'ok') AS new_items, sum(crawls.status IS NOT 'ok') AS baseline_items
        FROM items JOIN sources ON sources.id = items.source_id
        LEFT JOIN crawls ON crawls.id = items.first_crawl_id
        GROUP BY items.source_id, substr(items.first_seen, 1, 10)"""
    )
    # What a reader looks at first: where and when, then the text and its
    # link; the bookkeeping columns last.
    db.execute("DROP VIEW IF EXISTS items_with_source")
    db.execute(
        """CREATE VIEW items_with_source AS
        SELECT items.id AS item_id, sources.name AS source, items.published, items.first_seen,
               items.headline, items.summary, items.url, items.versions, items.last_seen, items.position,
               items.key, items.first_crawl_id, items.last_crawl_id, sources.url AS source_url
        FROM items JOIN sources ON sources.id = items.source_id"""
    )



def _v13(db: sqlite3.Connection) -> None:
    """articles: one row per article fetch (full text, metadata, or the error), full-text indexed; article_queue: items whose article is still to fetch"""
    db.execute(
        """CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            run_id TEXT,
            requested_url TEXT NOT NULL,
            url TEXT,
            status INTEGER,
            fetched TEXT NOT NULL,
            title TEXT,
            author TEXT,
            published TEXT,
            published_origin TEXT,
            language TEXT,
            language_origin TEXT,
            description TEXT,
            site_name TEXT,
            tags TEXT,
            categories TEXT,
            excerpt TEXT,
            text TEXT,
            content_hash TEXT,
            error TEXT
        )"""
    )
    db.execute("CREATE INDEX articles_item ON articles (item_id, id)")
    db.execute("CREATE INDEX articles_run ON articles (run_id)")
    db.execute(
        """CREATE TABLE article_queue (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            source_id INTEGER NOT NULL REFERENCES sources(id),
            queued TEXT NOT NULL,
            reason TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        )"""
    )
    db.execute("CREATE INDEX article_queue_source ON article_queue (source_id, queued, item_id)")
    # The articles' title and text, searchable like the items' headline and
    # summary (same layout: FTS5 over the table as external content).
    db.execute('CREATE VIRTUAL TABLE articles_fts USING FTS5 (title, text, content="articles")')
    db.execute(
        """CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END"""
    )
    db.execute(
        """CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES('delete', old.rowid, old.title, old.text);
END"""
    )
    db.execute(
        """CREATE VIEW articles_with_item AS
        SELECT articles.id AS article_id, articles.item_id, sources.name AS source, items.headline,
               items.url AS item_url, items.published AS listing_published, articles.url, articles.status,
               articles.fetched, articles.title, articles.author, articles.published, articles.published_origin,
               articles.language, articles.excerpt, articles.text, articles.content_hash, articles.error
        FROM articles JOIN items ON items.id = articles.item_id JOIN sources ON sources.id = items.source_id"""
    )


# 13 is taken by another branch (the articles table); migrate() applies whatever numbers exist, in order.
def _v14(db: sqlite3.Connection) -> None:
    """deliveries.first_attempt: give_up_after counts from a delivery's first attempt, not from when it was queued"""
    db.execute("ALTER TABLE deliveries ADD COLUMN first_attempt TEXT")
    # Deliveries tried before this migration: their first try is not known;
    # counting from when they were queued is what they were promised.
    db.execute("UPDATE deliveries SET first_attempt = created WHERE attempts > 0")


# Each feature that needs tables adds its own numbered migration here.
MIGRATIONS = {1: _v1, 2: _v2, 4: _v4, 5: _v5, 6: _v6, 7: _v7, 8: _v8, 9: _v9, 10: _v10, 11: _v11, 12: _v12, 13: _v13, 14: _v14}
SCHEMA_VERSION = max(MIGRATIONS)
