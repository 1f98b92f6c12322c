"""Atom and RSS feeds of the newest items, built with feedgen.

An entry's id is a tag: URI made of the source name and the item's key
(its canonical URL, or a hash of its headline), both fixed for the life of
the item, so a feed reader never shows the same release twice.  Scraped
text goes into the XML as text (feedgen/lxml escape `<`, `&` and `>`, so
`]]>` cannot end anything); characters XML forbids are dropped.

An item edited since it was first seen says what changed: its entry's
summary starts with the word diff against the previous archived version,
and its content shows it as HTML (<del>/<ins>).

`write_feeds` is what a run does when `feeds_dir` is configured: one feed
per source and one combined feed, each written then renamed into place.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Collection, Sequence
from urllib.parse import quote

from feedgen.feed import FeedGenerator

from monitor.changes import PARAGRAPH, edit, render_html as diff_html, summary_note
from monitor.human_dates import human_date

from monitor.archive import Archive
from monitor.config import PROJECT_URL
from monitor.errors import OutputError
from monitor.files import atomic_write
from monitor.archive.queries import FeedItem, newest_items, source_urls


FEED_FORMATS = ("atom", "rss")
DEFAULT_LIMIT = 50
TAG_PREFIX = "tag:tidings,2026:"
COMBINED_NAME = "all"  # feeds_dir/all.atom; per-source feeds live in feeds_dir/sources/

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str | None) -> str:
    """Text XML 1.0 can carry: control characters and lone surrogates dropped."""
    return _NOT_XML.sub("", text or "")


def entry_id(source: str, key: str) -> str:
    """The stable id of an item in every feed, e.g. tag:tidings,2026:unece/url:https://..."""
    return f"{TAG_PREFIX}{source}/{quote(key, safe=':/?=&@!$()*+,;-._~')}"


def feed_id(sources: Sequence[str]) -> str:
    return f"{TAG_PREFIX}feed/{'+'.join(sources) if sources else COMBINED_NAME}"


def parse_date(value: str | None) -> datetime | None:
    """An archived ISO 8601 date or date-time as an aware datetime (UTC when no offset)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if len(value) == 10:  # a bare date: midnight UTC
        moment = datetime.combine(moment.date(), time.min)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def build_feed(items: Sequence[FeedItem], fmt: str, *, title: str, link: str, id: str) -> bytes:
    """The feed document (UTF-8 XML bytes), entries in the order given."""
    fg = FeedGenerator()
    fg.id(id)
    fg.title(xml_text(title))
    fg.link(href=link, rel="alternate")
    fg.description(xml_text(title))  # RSS requires one
    fg.generator("Tidings", uri=PROJECT_URL)
    newest = None
    for item in items:
        fe = fg.add_entry(order="append")
        fe.id(entry_id(item.source, item.key))
        fe.title(xml_text(item.headline) or "(no headline)")
        fe.link(href=item.url or item.source_url, rel="alternate")
        if item.previous_headline is not None:
            _describe_edit(fe, item)
        elif item.summary:
            fe.summary(xml_text(item.summary))
        when = parse_date(item.published) or parse_date(item.first_seen)
        changed = parse_date(item.changed) or when
        fe.published(when)
        fe.updated(max(changed, when))
        fe.author(name=item.source)
        newest = max(newest or changed, changed)
    fg.updated(newest or datetime.now(timezone.utc))
    if fmt == "rss":
        return fg.rss_str(pretty=True)
    return fg.atom_str(pretty=True)


def _describe_edit(fe, item: FeedItem) -> None:
    """An edited item's entry says what changed: its summary (text) leads with the
    word diff in `[-removed-]{+added+}` marks, its content (HTML) shows the
    headline and summary with <del>/<ins>, escaped."""
    change = edit({"headline": item.previous_headline, "summary": item.previous_summary},
                  {"headline": item.headline, "summary": item.summary})
    when = human_date(item.changed)
    note = f"Edited {when}: {summary_note(change)}"
    fe.summary(xml_text(note + (PARAGRAPH + item.summary if item.summary else "")))
    body = [f"<p><strong>Edited {html.escape(when)}</strong> (removed words struck through, added ones underlined)</p>",
            f"<p>{diff_html(change.headline)}</p>"]
    summary = diff_html(change.summary) if change.summary_changed else html.escape(item.summary).replace(PARAGRAPH, "<br><br>")
    if summary:
        body.append(f"<p>{summary}</p>")
    fe.content(xml_text("".join(body)), type="html")


def feed_for(archive: Archive, fmt: str, sources: Sequence[str] = (), limit: int = DEFAULT_LIMIT) -> bytes:
    """The feed of the newest items of the named sources (all sources when none)."""
    items = newest_items(archive, sources, limit)
    link = source_urls(archive)[sources[0]] if len(sources) == 1 else PROJECT_URL
    return _titled_feed(items, fmt, sources, link)


def _titled_feed(items: Sequence[FeedItem], fmt: str, sources: Sequence[str], link: str) -> bytes:
    label = ", ".join(sources) if sources else "all sources"
    return build_feed(items, fmt, title=f"Tidings: {label}", link=link, id=feed_id(sources))


def prepare_feeds_dir(feeds_dir: Path) -> None:
    """Create feeds_dir/sources before a run so a bad setting fails before crawling."""
    try:
        (feeds_dir / "sources").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{feeds_dir}: cannot create feeds_dir: {exc.strerror or exc}") from None


def write_feeds(archive: Archive, feeds_dir: Path, sources: Sequence[str], limit: int = DEFAULT_LIMIT,
                only: Collection[str] | None = None) -> list[Path]:
    """Write feeds_dir/all.{atom,rss} (every named source) and feeds_dir/sources/NAME.{atom,rss}
    (for the sources in `only`, when given: those just crawled; the daemon's
    batches pass theirs, so a batch does not rewrite every source's feed).

    Each file is written then renamed into place.  Sources not in the
    archive yet (never crawled) get no feed of their own.
    """
    prepare_feeds_dir(feeds_dir)
    archived = source_urls(archive)
    present = [name for name in sources if name in archived]
    # Every archived source named: select none, which means all (no SQL parameter per source).
    combined = None if not present else [] if len(present) == len(archived) else present
    feeds = [(feeds_dir / COMBINED_NAME, combined, (), PROJECT_URL)]
    crawled = None if only is None else set(only)
    own = [name for name in present if crawled is None or name in crawled]
    feeds += [(feeds_dir / "sources" / name, [name], (name,), archived[name]) for name in own]
    written = []
    for stem, selected, named, link in feeds:
        items = newest_items(archive, selected, limit) if selected is not None else []  # once for both formats
        for fmt in FEED_FORMATS:
            path = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_write(path, "wb") as fh:
                fh.write(_titled_feed(items, fmt, named, link))
            written.append(path)
    return written
