"""The alert outbox: queue alerts with the crawl that causes them, send them after.

`enqueue` runs inside a crawl's transaction (as a `record_crawl` hook), so a
source's new items and the alerts about them commit together or not at all.
Sending happens after the commit, by `deliver_pending` (everything still
pending: after every run's crawls, with no source lock held, and between
scheduler ticks).  Each send is bounded as a whole by its notifier's
`timeout` (Notifier.deliver).  A delivery is marked sent only once the receiver
accepted it, so a crash between storing and sending loses nothing; a crash
after the receiver accepted but before the mark means the same `id` is sent
again (at least once per id; receivers deduplicate by id).

Each notifier sends from its own thread, so a slow or dead receiver costs its
own timeout and never holds up the others; the archive is written only from
the calling thread.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from monitor.archive import Archive, Delivery, HealthFacts
from monitor.config import Config, NotifierConfig
from monitor.locks import SenderToken, sender_alive
from monitor.notify.base import DeliveryError, Notifier
from monitor.notify.payload import document, item_json, test_document
from monitor.record import AfterRecord
from monitor.report import SourceReport
from monitor.statuses import FAILED, OK, PROBLEM_STATUSES
from scraper.items import to_timestamp

log = logging.getLogger("tidings.notify")

# Pauses before the second and third attempt of a message within one pass:
# a receiver that hiccups gets a few seconds, a dead one cannot stall a run.
IN_RUN_BACKOFF = (0.5, 1.5)
RETRY_BUDGET = 5.0  # seconds of pauses one notifier may spend in one pass
# Between passes (the scheduler's retries), the wait doubles from 30 s up to 1 h.
BACKOFF_BASE = 30.0
BACKOFF_MAX = 3600.0
# A lease lasts this long unless renewed (while its sender works), and ends at
# once when its sender dies (monitor.locks.SenderToken).
LEASE = timedelta(minutes=15)
RENEW_EVERY = 60.0  # seconds


@dataclass
class DeliveryStats:
    """What a pass over the outbox did."""

    sent: int = 0
    failed: int = 0  # still pending after this pass
    dead: int = 0  # given up in this pass
    errors: dict[str, str] = field(default_factory=dict)  # notifier -> last error


# --- queueing (inside the crawl's transaction) ---------------------------------

def alert_hooks(config: Config) -> tuple[AfterRecord, ...]:
    """The `after_record` hooks that queue a crawl's alerts: none without [[notify]]."""
    if not config.notify:
        return ()

    def hook(archive: Archive, report: SourceReport) -> None:
        enqueue(archive, config, report)

    return (hook,)


def enqueue(archive: Archive, config: Config, report: SourceReport) -> list[str]:
    """Queue every alert this recorded crawl calls for; return their ids."""
    if report.crawl_id is None:
        return []
    watching = [n for n in config.notify if n.watches(report.name)]
    if not watching:
        return []
    facts = archive.crawls.health_facts(report.crawl_id)
    ids = []
    for notifier in watching:
        documents = _item_documents(notifier, report)
        if "broken" in notifier.on:
            health = _health_document(archive, notifier, report, facts)
            if health:
                documents.append(health)
        for doc in documents:
            archive.outbox.add(
                id=doc["id"], notifier=notifier.name, source_id=facts.source_id, run_id=report.run_id,
                crawl_id=report.crawl_id, kind=doc["kind"], payload=json.dumps(doc, ensure_ascii=False),
                created=doc["created"],
            )
            ids.append(doc["id"])
    return ids


def _item_documents(notifier: NotifierConfig, report: SourceReport) -> list[dict]:
    """Item alerts: only for a trusted crawl that compared ("ok"); never baseline, failed or suspect;
    only the items that pass the notifier's include/exclude."""
    if report.status != OK:
        return []
    told = notifier.filter  # on top of the source's own filter, which shaped the report
    items = [item_json(r, "new") for r in report.new if "new" in notifier.on and told.passes(r.headline, r.summary)]
    items += [item_json(r, "updated", report.previous.get(r.key)) for r in report.updated
              if "updated" in notifier.on and told.passes(r.headline, r.summary)]
    if not items:
        return []
    groups = [items] if notifier.digest else [[item] for item in items]
    return [document("items", source=report.name, source_url=report.url, run_id=report.run_id, items=group)
            for group in groups]


def _health_document(archive: Archive, notifier: NotifierConfig, report: SourceReport, facts: HealthFacts) -> dict | None:
    """One "broken" when a streak reaches broken_after, one "recovered" when it ends; never one per run."""
    last = archive.outbox.last_health_alert(notifier.name, facts.source_id)
    problem = report.status in PROBLEM_STATUSES
    if problem and facts.runs >= notifier.broken_after and last != "broken":
        kind = "broken"
    elif not problem and last == "broken":
        kind = "recovered"
    else:
        return None
    health = {
        "status": report.status,
        "error": report.error,
        "runs": facts.runs,
        "since": facts.since,
        "items_seen_before": facts.items_seen_before,
        "items_seen_now": None if report.status == FAILED else report.items_seen,
    }
    return document(kind, source=report.name, source_url=report.url, run_id=report.run_id, health=health)


# --- sending (after the commit) ----------------------------------------------------

def deliver_pending(archive: Archive, config: Config, *, due_only: bool, stop: threading.Event | None = None) -> DeliveryStats:
    """Send every pending delivery (due_only: only those whose backoff has passed).

    `tidings run` calls this after its crawls with due_only=False; the
    scheduler between ticks with due_only=True.  Setting `stop` ends the pass
    at once: what was not sent stays pending.
    """
    rows = archive.outbox.pending(due_by=to_timestamp(_now()) if due_only else None)
    return _deliver(archive, config, rows, stop)


def send_test(config: Config, name: str | None = None) -> list[tuple[NotifierConfig, str | None]]:
    """Send a test message through each (or the named) notifier: (notifier, error or None)."""
    notifiers = config.notifiers(name)
    outcomes: dict[str, str | None] = {}

    def attempt(notifier: NotifierConfig) -> None:
        try:
            _sender(notifier).deliver(test_document())
            outcomes[notifier.name] = None
        except DeliveryError as exc:
            outcomes[notifier.name] = str(exc)
        except Exception as exc:  # a fault in one notifier must not hide the others' results
            outcomes[notifier.name] = f"unexpected error: {exc.__class__.__name__}: {exc}"

    threads = [threading.Thread(target=attempt, args=(n,), daemon=True) for n in notifiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [(n, outcomes.get(n.name, "no result")) for n in notifiers]


def _deliver(archive: Archive, config: Config, rows: list[Delivery], stop: threading.Event | None = None) -> DeliveryStats:
    stats = DeliveryStats()
    if not rows:
        return stats
    notifiers = {n.name: n for n in config.notify}
    now = _now()
    ready = []
    for row in rows:
        notifier = notifiers.get(row.notifier)
        give_up = notifier.give_up_after if notifier else config.alerts.give_up_after
        # The age that counts runs from the first attempt: an alert queued by a
        # run killed before sending, then Tidings down for days, is still tried.
        since = row.first_attempt or (row.created if notifier is None else None)
        if since is not None and now - _parse(since) >= timedelta(seconds=give_up):
            reason = row.last_error or "never attempted"
            archive.outbox.mark_failed(row.id, f"gave up after {_age(give_up)}: {reason}", next_attempt=to_timestamp(now), dead=True, counts=False)
            stats.dead += 1
            log.error("%s: gave up on alert %s after %s: %s", row.notifier, row.id, _age(give_up), reason)
        elif notifier is None:
            archive.outbox.mark_failed(row.id, f"no notifier named {row.notifier!r} in {config.path}",
                                       next_attempt=to_timestamp(now), dead=False, counts=False)
            stats.failed += 1
        else:
            ready.append(row)
    if ready:
        with SenderToken(archive.path) as token:
            _send_claimed(archive, notifiers, ready, token.token, stats, stop or threading.Event())
    for name, error in stats.errors.items():
        log.warning("%s: could not deliver every alert (will retry): %s", name, error)
    return stats


def _send_claimed(archive: Archive, notifiers: dict, ready: list[Delivery], owner: str, stats: DeliveryStats,
                  stop: threading.Event) -> None:
    """Lease `ready` to `owner`, send what was leased, record each outcome, release.

    A lease held by a live sender (its SenderToken's lock is held, in
    whatever PID namespace it runs) is never taken; it is renewed while this
    pass sends, and lapses at once when its sender dies.
    """
    now = _now()
    db_path = archive.path
    claimed = archive.outbox.claim([r.id for r in ready], owner, to_timestamp(now + LEASE), to_timestamp(now),
                                   lambda other: not sender_alive(db_path, other))
    groups: dict[str, list[Delivery]] = {}
    for row in claimed:
        groups.setdefault(row.notifier, []).append(row)
    events: queue.Queue = queue.Queue()
    threads = [
        threading.Thread(target=_send_all, args=(_sender(notifiers[name]), group, events.put),
                         name=f"notify-{name}", daemon=True)
        for name, group in groups.items()
    ]
    for thread in threads:
        thread.start()
    attempts = {row.id: row.attempts for row in claimed}
    first_tries: dict[str, datetime] = {}  # of this pass's deliveries, when first tried
    by_id = {row.id: row for row in claimed}
    renewed = time.monotonic()
    try:
        while any(t.is_alive() for t in threads) or not events.empty():
            if stop.is_set():
                # Asked to stop: the sending threads are left to end with the
                # process; their deliveries stay pending (leases released below).
                log.warning("stopped while sending alerts: the rest stay in the outbox for the next run")
                break
            if time.monotonic() - renewed > RENEW_EVERY:
                archive.outbox.renew(owner, to_timestamp(_now() + LEASE))
                renewed = time.monotonic()
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                continue
            _record(archive, notifiers, by_id, attempts, first_tries, event, stats)
    finally:
        archive.outbox.release(owner)


def _sender(notifier: NotifierConfig) -> Notifier:
    """The Notifier for a [[notify]] table.  The registry is imported only here,
    when something is sent: a run with nothing to send loads no notifier module."""
    from monitor.notify.registry import NOTIFIERS

    return NOTIFIERS[notifier.type](notifier)


def _send_all(notifier: Notifier, rows: list[Delivery], emit) -> None:
    """Send one notifier's deliveries in order (runs in its own thread).

    Once the receiver proves unreachable, the rest wait for a later pass
    instead of each costing another timeout.
    """
    budget = [RETRY_BUDGET]
    for index, row in enumerate(rows):
        error = _send_with_retries(notifier, row, emit, budget)
        if error is not None and error.unreachable:
            for rest in rows[index + 1 :]:
                emit(("deferred", rest.id, f"not tried: {error}", True))
            return


def _send_with_retries(notifier: Notifier, row: Delivery, emit, budget: list[float]) -> DeliveryError | None:
    """Try one delivery, pausing briefly between tries while the budget lasts."""
    payload = json.loads(row.payload)
    for attempt in range(1 + len(IN_RUN_BACKOFF)):
        try:
            notifier.deliver(payload)
        except DeliveryError as exc:
            pause = IN_RUN_BACKOFF[attempt] if attempt < len(IN_RUN_BACKOFF) else None
            final = not exc.retry_now or pause is None or pause > budget[0]
            emit(("failed", row.id, str(exc), final))
            if final:
                return exc
            time.sleep(pause)
            budget[0] -= pause
        except Exception as exc:  # a bug in one kind must not stop the others
            message = f"unexpected error: {exc.__class__.__name__}: {exc}"
            emit(("failed", row.id, message, True))
            return DeliveryError(message)
        else:
            emit(("sent", row.id, None, True))
            return None
    return None


def _record(archive: Archive, notifiers: dict, by_id: dict, attempts: dict, first_tries: dict, event,
            stats: DeliveryStats) -> None:
    outcome, delivery_id, error, final = event
    row = by_id[delivery_id]
    now = _now()
    if outcome == "sent":
        archive.outbox.mark_sent(delivery_id, to_timestamp(now))
        stats.sent += 1
        return
    counts = outcome == "failed"
    attempts[delivery_id] += counts
    notifier = notifiers[row.notifier]
    if counts:
        first_tries.setdefault(delivery_id, _parse(row.first_attempt) if row.first_attempt else now)
    first = first_tries.get(delivery_id)
    # Dead only after the pass's last try (a retry in flight might still
    # succeed), and never before a first attempt: a deferred one was not tried.
    dead = final and first is not None and now - first >= timedelta(seconds=notifier.give_up_after)
    wait = min(BACKOFF_BASE * 2 ** max(attempts[delivery_id] - 1, 0), BACKOFF_MAX)
    archive.outbox.mark_failed(delivery_id, error, next_attempt=to_timestamp(now + timedelta(seconds=wait)), dead=dead,
                               counts=counts, tried_at=to_timestamp(now))
    if final:
        if dead:
            stats.dead += 1
            log.error("%s: gave up on alert %s: %s", row.notifier, delivery_id, error)
        else:
            stats.failed += 1
            if counts:  # a deferred one repeats the error of the one that was tried
                stats.errors[row.notifier] = error


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
