"""The alert documents and their renderings, shared by every notifier kind.

A payload is the JSON document a webhook receives (the README documents its
schema); it is stored in the outbox as is, so a retry sends exactly what the
first attempt sent.  Email and Apprise render the same payload as text
(here) and email as HTML too (monitor.notify.email_html).  Pure functions,
no I/O.
"""

from __future__ import annotations

import uuid
from datetime import timezone, tzinfo

from monitor.changes import ItemText, edit, render_plain_lines
from monitor.human_dates import human_date
from scraper.items import Record, utc_now

SUBJECT_HEADLINE_CHARS = 120


def item_json(record: Record, change: str, previous: ItemText | None = None) -> dict:
    """An item of an alert: its fields, `change` ("new" or "updated") and, for an
    updated item, `previous`: its headline and summary before the edit (else null)."""
    return {**record.as_json(), "change": change, "previous": previous.as_json() if previous else None}


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


def render_text(payload: dict, zone: tzinfo = timezone.utc) -> str:
    """The plain-text body (email text part, Apprise): a heading, then one block per item.

    An updated item's headline and summary carry `[-removed-]{+added+}`
    marks; dates are written for people, in `zone`.
    """
    lines = [subject(payload)]
    if payload.get("source_url"):
        lines.append(payload["source_url"])
    if payload["kind"] == "items":
        for item in payload["items"]:
            lines.append("")
            lines.extend(_item_lines(item, zone))
        if any(item.get("previous") for item in payload["items"]):
            lines.extend(["", "Edits are marked [-removed-] and {+added+}."])
    else:
        lines.extend([""] + health_lines(payload, zone))
    lines.extend(["", "-- ", f"{footer(payload)}, sent {human_date(payload.get('created'), zone)}"])
    return "\n".join(lines)


def _item_lines(item: dict, zone: tzinfo) -> list[str]:
    """One item as text: label and headline, link, date, then the summary's paragraphs."""
    previous = item.get("previous")
    if previous:
        headline, paragraphs = render_plain_lines(edit(previous, item))
        if not paragraphs:  # only the headline changed: show the summary as it is
            paragraphs = _paragraphs(item.get("summary"))
    else:
        headline, paragraphs = item["headline"], _paragraphs(item.get("summary"))
    label = "New" if item["change"] == "new" else "Updated"
    lines = [f"{label}: {headline}"]
    if item.get("url"):
        lines.append(f"  {item['url']}")
    if item.get("published"):
        lines.append(f"  Published {human_date(item['published'], zone)}")
    for paragraph in paragraphs:
        lines.extend(["", f"  {paragraph}"])
    return lines


def _paragraphs(summary: str | None) -> list[str]:
    return [p for p in (summary or "").split("\n\n") if p.strip()]


def health_lines(payload: dict, zone: tzinfo = timezone.utc) -> list[str]:
    health = payload.get("health") or {}
    kind = payload["kind"]
    if kind == "test":
        return ["This is a test message from `tidings notify --test`: this notifier works."]
    runs = health.get("runs")
    if kind == "broken":
        lines = [f"The last {runs} crawls of {payload['source']} were failed or suspect (since {human_date(health.get('since'), zone)})."]
    else:
        lines = [f"{payload['source']} crawled fine again ({health.get('status')}) after {runs} failed or suspect crawls "
                 f"(since {human_date(health.get('since'), zone)})."]
    if health.get("error"):
        lines.append(f"Last error: {health['error']}")
    counts = _counts_line(health)
    if counts:
        lines.append(counts)
    return lines


def _counts_line(health: dict) -> str | None:
    """What the last good crawl and this one saw, in words: a failed crawl read no page."""
    before, now = health.get("items_seen_before"), health.get("items_seen_now")
    if before is None and now is None:
        return None
    if before is None:
        return f"Items seen by this crawl: {now} (no good crawl before it)"
    if now is None:
        return f"Items seen by the last good crawl: {before}; this crawl failed before reading any"
    return f"Items seen by the last good crawl: {before}; by this crawl: {now}"


def footer(payload: dict) -> str:
    """Which run sent the alert; a test message belongs to no run."""
    if not payload.get("run_id"):
        return f"Tidings alert {payload['id']}"
    return f"Tidings run {payload['run_id']}, alert {payload['id']}"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
