"""The articles items link to, in the archive: the queue of those to fetch, and each fetch.

An item enters `article_queue` in the very transaction that archives it
(monitor/record.py), so a crash can never leave an archived item that no
later run would follow.  Each article fetch is then recorded in a
transaction of its own (`record_fetch`): one `articles` row, and the item
leaves the queue on success, on a failure no retry could change (410,
not HTML, too large, robots.txt: `ArticleFetch.final`), or after
`follow_retries` failed attempts.  A
failed or lost article therefore never touches the listing's records or its
alerts, and an article whose fetch committed is never fetched again (the
queue no longer holds it); one cut short by a crash is fetched by the next
run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Sequence

from monitor.archive.connection import Connection
from scraper.items import ArticleFetch, ArticleTarget

# Why an item is in the queue.
QUEUED_NEW = "new"  # archived for the first time (baseline items too)
QUEUED_EDITED = "edited"  # its text changed and the source says refollow = true
QUEUED_BACKFILL = "backfill"  # `tidings follow`: archived before its source followed articles
QUEUED_RETRY = "retry"  # `tidings follow --retry-failed`: given up on, tried again


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What recording one fetch did to the queue."""

    item_id: int
    done: bool  # out of the queue: fetched, or given up after the last attempt
    attempts: int


@dataclass(frozen=True, slots=True)
class QueueCandidate:
    """An archived item a backfill may queue, with the text its source's filter reads."""

    item_id: int
    headline: str
    summary: str | None


class ArticleStore:
    """The article queue and the fetched articles of an open archive."""

    def __init__(self, db: Connection):
        self.conn = db.conn

    # --- queueing (inside the listing's transaction) --------------------------------

    def queue_new(self, crawl_id: int, queued: str, *, except_keys: Sequence[str] = ()) -> int:
        """Queue every linked item this crawl archived for the first time, but those with `except_keys`
        (the items the source's filter holds back)."""
        sql = ("INSERT OR IGNORE INTO article_queue (item_id, source_id, queued, reason)"
               " SELECT id, source_id, ?, ? FROM items WHERE first_crawl_id = ? AND url IS NOT NULL")
        args: tuple = (queued, QUEUED_NEW, crawl_id)
        if except_keys:
            sql += " AND key NOT IN (SELECT value FROM json_each(?))"
            args += (json.dumps(list(except_keys)),)
        return self.conn.execute(sql, args).rowcount

    def queue_items(self, item_ids: Iterable[int], queued: str, reason: str) -> int:
        """Queue these items again (edited ones under refollow; backfill); those queued already stay as they are."""
        cur = self.conn.executemany(
            "INSERT INTO article_queue (item_id, source_id, queued, reason)"
            " SELECT id, source_id, ?, ? FROM items WHERE id = ? AND url IS NOT NULL"
            " ON CONFLICT (item_id) DO NOTHING",
            [(queued, reason, item_id) for item_id in item_ids],
        )
        return cur.rowcount

    # --- reads ---------------------------------------------------------------------

    def due(self, source_id: int, limit: int) -> list[ArticleTarget]:
        """The next `limit` items of a source to follow, oldest queued first."""
        rows = self.conn.execute(
            "SELECT q.item_id, i.url, q.attempts FROM article_queue q JOIN items i ON i.id = q.item_id"
            " WHERE q.source_id = ? ORDER BY q.queued, q.item_id LIMIT ?",
            (source_id, limit),
        ).fetchall()
        return [ArticleTarget(item_id=item_id, url=url, attempt=attempts + 1) for item_id, url, attempts in rows]

    def due_in(self, source_ids: Sequence[int], limit: int) -> list[tuple[int, ArticleTarget]]:
        """(source id, target) of the next `limit` items of these sources, oldest queued first."""
        marks = ",".join("?" * len(source_ids))
        rows = self.conn.execute(
            "SELECT q.source_id, q.item_id, i.url, q.attempts FROM article_queue q JOIN items i ON i.id = q.item_id"
            f" WHERE q.source_id IN ({marks}) ORDER BY q.queued, q.item_id LIMIT ?",
            (*source_ids, limit),
        ).fetchall()
        return [(source_id, ArticleTarget(item_id, url, attempts + 1)) for source_id, item_id, url, attempts in rows]

    def queued_count(self, source_ids: Sequence[int]) -> int:
        marks = ",".join("?" * len(source_ids))
        return self.conn.execute(f"SELECT count(*) FROM article_queue WHERE source_id IN ({marks})",
                                 tuple(source_ids)).fetchone()[0]

    def never_followed(self, source_id: int) -> list[QueueCandidate]:
        """Linked items of a source with no article row and not queued (what a backfill queues), oldest first."""
        rows = self.conn.execute(
            "SELECT id, headline, summary FROM items i WHERE source_id = ? AND url IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.item_id = i.id)"
            " AND NOT EXISTS (SELECT 1 FROM article_queue q WHERE q.item_id = i.id)"
            " ORDER BY first_seen, id",
            (source_id,),
        ).fetchall()
        return [QueueCandidate(*row) for row in rows]

    def given_up(self, source_id: int) -> list[QueueCandidate]:
        """Items of a source whose every fetch failed and that left the queue (what --retry-failed queues)."""
        rows = self.conn.execute(
            "SELECT id, headline, summary FROM items i WHERE source_id = ? AND url IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM articles a WHERE a.item_id = i.id)"
            " AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.item_id = i.id AND a.error IS NULL)"
            " AND NOT EXISTS (SELECT 1 FROM article_queue q WHERE q.item_id = i.id)"
            " ORDER BY first_seen, id",
            (source_id,),
        ).fetchall()
        return [QueueCandidate(*row) for row in rows]

    def fetched_in_run(self, source_id: int, key: str, run_id: str) -> dict | None:
        """The item's article as fetched by this run (the last good fetch), as a dict of its columns."""
        cur = self.conn.execute(
            "SELECT a.* FROM articles a JOIN items i ON i.id = a.item_id"
            " WHERE i.source_id = ? AND i.key = ? AND a.run_id = ? AND a.error IS NULL ORDER BY a.id DESC LIMIT 1",
            (source_id, key, run_id),
        )
        row = cur.fetchone()
        return dict(zip([c[0] for c in cur.description], row)) if row else None

    # --- a fetch's writes (call inside transaction()) ----------------------------------

    def record_fetch(self, fetch: ArticleFetch, *, run_id: str | None, retries: int) -> FetchOutcome:
        """Store one fetch and move the queue on: out on success, on a final failure (one a
        retry could not change: `ArticleFetch.final`), or after `retries` attempts."""
        article = fetch.article
        self.conn.execute(
            "INSERT INTO articles (item_id, run_id, requested_url, url, status, fetched, title, author, published,"
            " published_origin, language, language_origin, description, site_name, tags, categories, excerpt, text,"
            " content_hash, error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                fetch.item_id, run_id, fetch.requested_url, fetch.url, fetch.status, fetch.fetched,
                *(_article_values(article) if article is not None else (None,) * 13),
                fetch.error,
            ),
        )
        row = self.conn.execute("SELECT attempts FROM article_queue WHERE item_id = ?", (fetch.item_id,)).fetchone()
        attempts = (row[0] if row else 0) + 1
        done = fetch.error is None or fetch.final or attempts >= retries
        if done:
            self.conn.execute("DELETE FROM article_queue WHERE item_id = ?", (fetch.item_id,))
        else:
            self.conn.execute("UPDATE article_queue SET attempts = ?, last_error = ? WHERE item_id = ?",
                              (attempts, fetch.error, fetch.item_id))
        return FetchOutcome(fetch.item_id, done, attempts)


def _article_values(article) -> tuple:
    """An Article's columns, title to content_hash, in the INSERT's order (lists as comma-separated text)."""
    return (
        article.title or None, article.author or None, article.published, article.published_origin or None,
        article.language or None, article.language_origin or None, article.description or None,
        article.site_name or None, ", ".join(article.tags) or None, ", ".join(article.categories) or None,
        article.excerpt or None, article.text, article.content_hash,
    )
