"""Read-only queries for researchers: export, full-text search and feeds.

Nothing here writes.  They use the base tables, not the views of
migration 4, so they also work on an older archive opened read-only.

Rows are yielded straight from the SQLite cursor, one at a time: an export
of a million items never holds more than one row in memory.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Iterator, Sequence

from monitor.archive.connection import Connection
from monitor.errors import ArchiveError, UsageError
from scraper.items import to_timestamp

ITEM_COLUMNS = ("item_id", "source", "headline", "summary", "url", "published", "first_seen", "last_seen", "versions")
VERSION_COLUMNS = ("item_id", "version", "source", "url", "seen_at", "headline", "summary", "published")


@dataclass(frozen=True)
class Selection:
    """Which items: by source name, first_seen range (inclusive) and full-text query."""

    sources: tuple[str, ...] = ()
    since: str | None = None  # lower bound on first_seen, in the archive's timestamp format
    until: str | None = None  # upper bound (inclusive)
    search: str | None = None  # an SQLite FTS5 query


# --- command-line values ---------------------------------------------------------

def parse_when(text: str, option: str, *, end_of_day: bool = False) -> str:
    """A date or date-time from the command line as an archive timestamp (UTC, ms).

    A bare date means the start of that day, or with `end_of_day` its last
    millisecond (so `--until 2026-11-29` includes the whole day).  A
    date-time without a UTC offset is taken as UTC, like the archive.
    """
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time.max if end_of_day else time.min, timezone.utc)
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
    except ValueError:
        raise UsageError(
            f"{option} {text!r}: not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+HH:MM])"
        ) from None
    return to_timestamp(moment)


# --- helpers ----------------------------------------------------------------------

def source_urls(archive: Connection) -> dict[str, str]:
    """Every archived source's name and listing URL."""
    return dict(_read(archive, "SELECT name, url FROM sources ORDER BY name", ()))


def _source_ids(archive: Connection, names: Sequence[str]) -> list[int]:
    """Ids of the named sources; an unknown name is a usage error listing the known ones."""
    marks = ",".join("?" * len(names))
    rows = dict(_read(archive, f"SELECT name, id FROM sources WHERE name IN ({marks})", tuple(names)))
    missing = [n for n in names if n not in rows]
    if missing:  # only now list every archived source (a run writes one feed per source: no full scan each)
        known = ", ".join(source_urls(archive)) or "none yet"
        raise UsageError(f"{archive.path}: no source named {missing[0]!r} in the archive (archived: {known})")
    return [rows[n] for n in names]


def check_search(archive: Connection, query: str) -> None:
    """Fail with one line before any output when the FTS query is malformed."""
    if not query.strip():
        raise UsageError("search query is empty: give one or more words")
    _read(archive, "SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT 1", (query,), query=query)


def _where(archive: Connection, selection: Selection) -> tuple[str, list]:
    clauses, params = [], []
    if selection.sources:
        ids = _source_ids(archive, selection.sources)
        clauses.append(f"i.source_id IN ({','.join('?' * len(ids))})")
        params.extend(ids)
    if selection.since:
        clauses.append("i.first_seen >= ?")
        params.append(selection.since)
    if selection.until:
        clauses.append("i.first_seen <= ?")
        params.append(selection.until)
    if selection.search is not None:
        check_search(archive, selection.search)
        clauses.append("i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
        params.append(selection.search)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def read_rows(archive: Connection, sql: str, params) -> list[tuple]:
    """Every row of a read-only statement, SQLite errors as one-line errors naming the archive."""
    return _read(archive, sql, params)


def _read(archive: Connection, sql: str, params, *, query: str | None = None) -> list:
    return list(_stream(archive, sql, params, query=query))


def _stream(archive: Connection, sql: str, params, *, query: str | None = None) -> Iterator[tuple]:
    """Rows one by one.  The statement runs now, so a bad query or a file that is
    not an archive fails before any output is written; SQLite errors become
    one-line errors naming the archive (or the search query)."""
    with _errors(archive, query):
        cursor = archive.conn.execute(sql, params)
        cursor.arraysize = 500
    return _fetch(archive, cursor, query)


def _fetch(archive: Connection, cursor: sqlite3.Cursor, query: str | None) -> Iterator[tuple]:
    with _errors(archive, query):
        while rows := cursor.fetchmany():
            yield from rows


def reading(archive: Connection) -> contextlib.AbstractContextManager[None]:
    """Reads made elsewhere (`tidings status`'s overview) fail as one line too:
    an empty file or another application's database is not a Tidings archive."""
    return _errors(archive, None)


@contextlib.contextmanager
def _errors(archive: Connection, query: str | None) -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if query is not None and "no such table" not in text:  # fts5 syntax, unknown column, unterminated string...
            raise UsageError(
                f"search query {query!r}: not a valid full-text query ({text}); "
                'put words with punctuation in double quotes, e.g. \'"water-related"\''
            ) from None
        if "no such table" in text or "no such column" in text:
            raise ArchiveError(f"{archive.path}: not a Tidings archive ({text})") from None
        raise archive.error(exc) from None
    except sqlite3.Error as exc:
        raise archive.error(exc) from None


# --- the queries --------------------------------------------------------------------

ORDER = " ORDER BY i.first_seen, i.id"
# ITEM_COLUMNS, from items i joined with sources s (export and search rows alike).
ITEM_SELECT = "SELECT i.id, s.name, i.headline, i.summary, i.url, i.published, i.first_seen, i.last_seen, i.versions"


def item_rows(archive: Connection, selection: Selection) -> Iterator[tuple]:
    """One tuple per item (ITEM_COLUMNS), oldest first_seen first."""
    where, params = _where(archive, selection)
    sql = ITEM_SELECT + " FROM items i JOIN sources s ON s.id = i.source_id" + where + ORDER
    return _stream(archive, sql, params)


def version_rows(archive: Connection, selection: Selection) -> Iterator[tuple]:
    """One tuple per version of each selected item (VERSION_COLUMNS), numbered from 1."""
    where, params = _where(archive, selection)
    sql = (
        "SELECT v.item_id, s.name, i.url, v.seen_at, v.headline, v.summary, v.published"
        " FROM items i JOIN sources s ON s.id = i.source_id JOIN item_versions v ON v.item_id = i.id"
        + where + ORDER + ", v.id"
    )
    return _numbered(_stream(archive, sql, params))


def _numbered(rows: Iterator[tuple]) -> Iterator[tuple]:
    """Insert each version's number (1, 2, ...) after its item_id; rows come grouped by item."""
    current, number = None, 0
    for item_id, *rest in rows:
        number = number + 1 if item_id == current else 1
        current = item_id
        yield (item_id, number, *rest)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """What a feed entry needs of an item."""

    source: str
    source_url: str
    key: str
    url: str | None
    headline: str
    summary: str
    published: str | None
    first_seen: str
    changed: str  # when it was last edited (a restyling is no edit), else first_seen
    # The version before the current one, for an item edited since first seen (else None).
    previous_headline: str | None = None
    previous_summary: str | None = None
    content: str | None = None  # the full text of its article, when one was fetched


def newest_items(archive: Connection, sources: Sequence[str] = (), limit: int = 50) -> list[FeedItem]:
    """The `limit` items most recently first seen (in page order within one crawl).

    Read in index order and stopped at `limit`, so item_versions is looked up
    (the current text's date, the previous version) for those items only.
    A version stored by a restyling crawl (one that archived edits but
    reported none: monitor.diff.MASS_EDIT) is no edit to a feed reader: it
    neither moves the entry's date nor gets an "Edited" note, or a template
    change would mark every entry of the feed as changed at once.
    """
    where, params = _where(archive, Selection(sources=tuple(sources)))
    edit = "coalesce(c.updated, 1) > 0 AND v.id > (SELECT min(f.id) FROM item_versions f WHERE f.item_id = i.id)"
    last_edit = ("(SELECT v.seen_at FROM item_versions v LEFT JOIN crawls c ON c.id = v.crawl_id"
                 f" WHERE v.item_id = i.id AND {edit} ORDER BY v.id DESC LIMIT 1)")
    newest_is_edit = ("(SELECT " + edit + " FROM item_versions v LEFT JOIN crawls c ON c.id = v.crawl_id"
                      " WHERE v.item_id = i.id ORDER BY v.id DESC LIMIT 1)")
    previous = (f"CASE WHEN {newest_is_edit} THEN (SELECT v.{{}} FROM item_versions v WHERE v.item_id = i.id"
                " ORDER BY v.id DESC LIMIT 1 OFFSET 1) END")
    content = ("(SELECT a.text FROM articles a WHERE a.item_id = i.id AND a.error IS NULL ORDER BY a.id DESC LIMIT 1)"
               if archive.has_table("articles") else "NULL")
    sql = (
        "SELECT s.name, s.url, i.key, i.url, i.headline, i.summary, i.published, i.first_seen,"
        f" coalesce({last_edit}, i.first_seen), {previous.format('headline')}, {previous.format('summary')}, {content}"
        " FROM items i JOIN sources s ON s.id = i.source_id" + where
        + " ORDER BY i.first_seen DESC, i.id LIMIT ?"
    )
    return [FeedItem(*row) for row in _stream(archive, sql, [*params, limit])]


def search(archive: Connection, query: str, sources: Sequence[str] = (), limit: int = 20) -> list[dict]:
    """Items whose headline, summary or article text matches an FTS5 query, best match first,
    as ITEM_COLUMNS dicts plus `matched`: where it hit ("headline", "summary", "article")."""
    check_search(archive, query)
    where, params = _where(archive, Selection(sources=tuple(sources)))
    articles = archive.has_table("articles_fts")
    hits = "SELECT rowid AS item_id, rank FROM items_fts WHERE items_fts MATCH ?"
    hit_params = [query]
    if articles:  # archives from before migration 13 have no articles
        hits += (" UNION ALL SELECT a.item_id, articles_fts.rank FROM articles_fts"
                 " JOIN articles a ON a.id = articles_fts.rowid WHERE articles_fts MATCH ?")
        hit_params.append(query)
    sql = (
        f"WITH hits AS ({hits}) " + ITEM_SELECT
        + " FROM (SELECT item_id, min(rank) AS rank FROM hits GROUP BY item_id) h"
        " JOIN items i ON i.id = h.item_id JOIN sources s ON s.id = i.source_id"
        + where + " ORDER BY h.rank, i.first_seen DESC LIMIT ?"
    )
    found = [dict(zip(ITEM_COLUMNS, row)) for row in _stream(archive, sql, [*hit_params, *params, limit], query=query)]
    places = _matched(archive, query, [r["item_id"] for r in found], articles)
    for row in found:
        row["matched"] = places.get(row["item_id"], [])
    return found


MATCHED_FIELDS = ("headline", "summary", "article")


def _matched(archive: Connection, query: str, item_ids: list[int], articles: bool) -> dict[int, list[str]]:
    """Where the query hits each item: its headline, its summary, its article (title or text)."""
    if not item_ids:
        return {}
    marks = ",".join("?" * len(item_ids))
    hit: dict[int, set[str]] = {}
    checks = [(column, f"SELECT rowid FROM items_fts WHERE items_fts MATCH ? AND rowid IN ({marks})",
               f"{column} : ({query})") for column in ("headline", "summary")]
    if articles:
        checks.append(("article", "SELECT DISTINCT a.item_id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
                                  f" WHERE articles_fts MATCH ? AND a.item_id IN ({marks})", query))
    for field, sql, text in checks:
        for (item_id,) in _stream(archive, sql, [text, *item_ids], query=query):
            hit.setdefault(item_id, set()).add(field)
    # A query whose words are split between headline and summary matches neither alone: say both.
    listing = _stream(archive, f"SELECT rowid FROM items_fts WHERE items_fts MATCH ? AND rowid IN ({marks})",
                      [query, *item_ids], query=query)
    for (item_id,) in listing:
        if not hit.get(item_id, set()) & {"headline", "summary"}:
            hit.setdefault(item_id, set()).update(("headline", "summary"))
    return {item_id: [f for f in MATCHED_FIELDS if f in fields] for item_id, fields in hit.items()}


# --- articles: export columns ---------------------------------------------------------

# What `tidings export --articles` adds to each item: its last successful
# article (else its last failed fetch, with the error), prefixed article_.
ARTICLE_COLUMNS = ("article_url", "article_status", "article_fetched", "article_title", "article_author",
                   "article_published", "article_published_origin", "article_language", "article_description",
                   "article_site_name", "article_tags", "article_excerpt", "article_text", "article_content_hash",
                   "article_error")
_ARTICLE_SELECT = ", ".join(f"a.{c.removeprefix('article_')}" for c in ARTICLE_COLUMNS)


def item_rows_with_articles(archive: Connection, selection: Selection) -> Iterator[tuple]:
    """ITEM_COLUMNS + ARTICLE_COLUMNS per item (article columns null when never followed)."""
    where, params = _where(archive, selection)
    if not archive.has_table("articles"):
        sql = ITEM_SELECT + "".join(", NULL" for _ in ARTICLE_COLUMNS) + " FROM items i JOIN sources s ON s.id = i.source_id"
        return _stream(archive, sql + where + ORDER, params)
    sql = (
        ITEM_SELECT + ", " + _ARTICLE_SELECT + " FROM items i JOIN sources s ON s.id = i.source_id"
        " LEFT JOIN articles a ON a.id = (SELECT b.id FROM articles b WHERE b.item_id = i.id"
        " ORDER BY b.error IS NULL DESC, b.id DESC LIMIT 1)" + where + ORDER
    )
    return _stream(archive, sql, params)
