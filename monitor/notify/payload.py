"""The alert documents and their renderings, shared by every notifier kind.

A payload is the JSON document a webhook receives (the README documents its
schema); it is stored in the outbox as is, so a retry sends exactly what the
first attempt sent.  Email and Apprise render the same payload as text (and
HTML, where scraped text is escaped).  Pure functions, no I/O.
"""

from __future__ import annotations

import html
import uuid
from urllib.parse import urlsplit

from scraper.items import Record, utc_now

SUBJECT_HEADLINE_CHARS = 120


def item_json(record: Record, change: str) -> dict:
    return {**record.as_json(), "change": change}


# What an alert carries of an item's article (`items[].article`); `text` only
# for notifiers with include_article = true.
ARTICLE_FIELDS = ("url", "title", "author", "published", "language", "excerpt")


def article_json(article: dict, *, full_text: bool) -> dict:
    """An archived article (its `articles` row) as alerts carry it."""
    shown = {name: article.get(name) for name in ARTICLE_FIELDS}
    if full_text:
        shown["text"] = article.get("text")
    return shown


def document(kind: str, *, source: str | None, source_url: str | None, run_id: str | None,
             items: list[dict] | None = None, health: dict | None = None) -> dict:
    """One alert, in the documented webhook schema; its `id` is new, for receivers to deduplicate by."""
    return {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "source": source,
        "source_url": source_url,
        "run_id": run_id,
        "created": utc_now(),
        "items": items or [],
        "health": health,
    }


def test_document() -> dict:
    """What `tidings notify --test` sends: kind "test", no items."""
    return document("test", source=None, source_url=None, run_id=None)


# --- renderings --------------------------------------------------------------

def subject(payload: dict) -> str:
    kind, source, items = payload["kind"], payload.get("source"), payload.get("items") or []
    health = payload.get("health") or {}
    if kind == "items":
        counts = [f"{sum(1 for i in items if i['change'] == change)} {change}" for change in ("new", "updated")
                  if any(i["change"] == change for i in items)]
        text = f"{', '.join(counts)} on {source}"
        if len(items) == 1:
            text += ": " + _shorten(items[0]["headline"], SUBJECT_HEADLINE_CHARS)
        return text
    if kind == "broken":
        runs = health.get("runs")
        return f"{source} is broken: {health.get('status')} for {runs} run{'s' if runs != 1 else ''} in a row"
    if kind == "recovered":
        return f"{source} has recovered"
    return "Tidings test message"


def render_text(payload: dict) -> str:
    """The plain-text body (email text part, Apprise)."""
    lines = [subject(payload)]
    if payload.get("source_url"):
        lines.append(payload["source_url"])
    if payload["kind"] == "items":
        for item in payload["items"]:
            lines.append("")
            label = "" if item["change"] == "new" else "[updated] "
            lines.append(f"* {label}{item['headline']}")
            if item.get("url"):
                lines.append(f"  {item['url']}")
            if item.get("published"):
                lines.append(f"  Published {item['published']}")
            for paragraph in (item.get("summary") or "").split("\n\n"):
                if paragraph:
                    lines.append(f"  {paragraph}")
            article = item.get("article") or {}
            if article.get("excerpt"):
                lines.append(f"  Article{_language(article)}: {article['excerpt']}")
    else:
        lines.extend([""] + _health_lines(payload))
    lines.extend(["", "-- ", _footer(payload)])
    return "\n".join(lines)


def render_html(payload: dict) -> str:
    """The HTML body: every scraped or configured string escaped, links only http(s)."""
    e = html.escape
    parts = [f"<h2>{e(subject(payload))}</h2>"]
    if payload.get("source_url"):
        parts.append(f"<p>{_link(payload['source_url'], payload['source_url'])}</p>")
    if payload["kind"] == "items":
        parts.append("<ul>")
        for item in payload["items"]:
            label = "" if item["change"] == "new" else "<em>updated:</em> "
            entry = [f"<li><p>{label}<strong>{_link(item.get('url'), item['headline'])}</strong>"]
            if item.get("published"):
                entry.append(f"<br><small>Published {e(item['published'])}</small>")
            entry.append("</p>")
            for paragraph in (item.get("summary") or "").split("\n\n"):
                if paragraph:
                    entry.append(f"<p>{e(paragraph)}</p>")
            article = item.get("article") or {}
            if article.get("excerpt"):
                entry.append(f"<blockquote><small>Article{e(_language(article))}:</small> {e(article['excerpt'])}"
                             "</blockquote>")
            entry.append("</li>")
            parts.append("".join(entry))
        parts.append("</ul>")
    else:
        parts.extend(f"<p>{e(line)}</p>" for line in _health_lines(payload))
    parts.append(f"<hr><p><small>{e(_footer(payload))}</small></p>")
    return "<!DOCTYPE html>\n<html><body>\n" + "\n".join(parts) + "\n</body></html>\n"


def _language(article: dict) -> str:
    return f" ({article['language']})" if article.get("language") else ""


def _health_lines(payload: dict) -> list[str]:
    health = payload.get("health") or {}
    kind = payload["kind"]
    if kind == "test":
        return ["This is a test message from `tidings notify --test`: this notifier works."]
    runs = health.get("runs")
    if kind == "broken":
        lines = [f"The last {runs} crawls of {payload['source']} were failed or suspect (since {health.get('since')})."]
    else:
        lines = [f"{payload['source']} crawled fine again ({health.get('status')}) after {runs} failed or suspect crawls "
                 f"(since {health.get('since')})."]
    if health.get("error"):
        lines.append(f"Last error: {health['error']}")
    if health.get("items_seen_before") is not None or health.get("items_seen_now") is not None:
        lines.append(f"Items seen by the last good crawl: {health.get('items_seen_before')}; "
                     f"by this crawl: {health.get('items_seen_now')}")
    return lines


def _footer(payload: dict) -> str:
    return f"Tidings run {payload.get('run_id') or '-'}, alert {payload['id']}"


def _link(url: str | None, text: str) -> str:
    if url and urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'
    return html.escape(text)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
