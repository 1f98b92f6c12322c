"""Putting the articles a run fetched into the alerts it queued, before any is sent.

An item's alert is queued with its listing (monitor/notify/outbox.py), before
its article is fetched; the article comes later in the same crawl, in a
transaction of its own.  After the crawl and before anything is sent, the run's
item alerts that were never attempted get each item's article as
`items[].article` (excerpt, language, title, author, date, final URL; the
full text too for a webhook with `include_article = true`).  An article that
failed, or is still queued, leaves its item's alert as it was; the alert is
never held back or sent twice for it.
"""

from __future__ import annotations

import json

from monitor.archive import Archive
from monitor.config import Config
from monitor.notify.payload import article_json
from scraper.items import item_key


def attach_articles(archive: Archive, config: Config, run_id: str) -> int:
    """Amend this run's unsent item alerts with the articles it fetched; return how many were amended."""
    full_text = {n.name: bool(n.options.get("include_article")) for n in config.notify}
    amended = 0
    with archive.transaction():
        for row in archive.outbox.pending(run_id=run_id):
            if row.kind != "items" or row.attempts or row.source_id is None:
                continue
            payload = json.loads(row.payload)
            found = False
            for item in payload.get("items", []):
                article = archive.articles.fetched_in_run(row.source_id, item_key(item["headline"], item.get("url")),
                                                         run_id)
                if article is not None:
                    item["article"] = article_json(article, full_text=full_text.get(row.notifier, False))
                    found = True
            if found and archive.outbox.amend_payload(row.id, json.dumps(payload, ensure_ascii=False)):
                amended += 1
    return amended
