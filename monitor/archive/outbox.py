"""The alert outbox's store: the `deliveries` table.

Alerts are queued inside a crawl's transaction (`add`), so they commit with
the items they are about; sending happens after the commit
(monitor/notify/outbox.py), under a lease (`claim`) so two processes never
send the same delivery at once, and a delivery is marked sent only once a
receiver accepted it.  Each of those marks is its own short transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from monitor.archive.connection import Connection

PENDING, SENT, DEAD = "pending", "sent", "dead"
"""A delivery's states (the CHECK constraint of migration 2)."""
HEALTH_KINDS = ("broken", "recovered")
"""The kinds of delivery that are about a source's health, not its items."""


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
    first_attempt: str | None  # when it was first tried; give_up_after counts from here


DELIVERY_COLUMNS = ", ".join(Delivery.__slots__)


class Outbox:
    """The deliveries of an open archive."""

    def __init__(self, db: Connection):
        self.db = db
        self.conn = db.conn

    # --- queueing (inside the crawl's transaction) ---------------------------

    def add(self, *, id: str, notifier: str, source_id: int | None, run_id: str | None,
            crawl_id: int | None, kind: str, payload: str, created: str) -> None:
        """Queue one alert (inside the crawl's transaction, so it commits with the items)."""
        self.conn.execute(
            "INSERT INTO deliveries (id, notifier, source_id, run_id, crawl_id, kind, payload, state, attempts,"
            " next_attempt, created) VALUES (?,?,?,?,?,?,?,?,0,?,?)",
            (id, notifier, source_id, run_id, crawl_id, kind, payload, PENDING, created, created),
        )

    def last_health_alert(self, notifier: str, source_id: int) -> str | None:
        """'broken' or 'recovered': the last health alert queued for this notifier and source."""
        row = self.conn.execute(
            "SELECT kind FROM deliveries WHERE notifier = ? AND source_id = ? AND kind IN (?, ?)"
            " ORDER BY created DESC, rowid DESC LIMIT 1",
            (notifier, source_id, *HEALTH_KINDS),
        ).fetchone()
        return row[0] if row else None

    # --- reading ---------------------------------------------------------------

    def pending(self, *, due_by: str | None = None, run_id: str | None = None) -> list[Delivery]:
        """Pending deliveries, oldest first: all, those due by a time, or one run's."""
        sql, args = f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state = ?", [PENDING]
        if due_by is not None:
            sql += " AND next_attempt <= ?"
            args.append(due_by)
        if run_id is not None:
            sql += " AND run_id = ?"
            args.append(run_id)
        return [Delivery(*row) for row in self.conn.execute(sql + " ORDER BY created, rowid", args)]

    def recent(self, states: Iterable[str] = (PENDING, DEAD), limit: int = 100) -> list[Delivery]:
        """Deliveries in the given states, newest first (for `tidings status`;
        none while the archive has no deliveries table, as read-only opens do not migrate)."""
        if not self.db.has_table("deliveries"):
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

    # --- sending (each its own transaction) -------------------------------------

    def claim(self, ids: Iterable[str], owner: str, until: str, now: str,
              is_free: Callable[[str], bool]) -> list[Delivery]:
        """Lease pending deliveries to `owner`, so two processes never send the same one at once.

        A lease held by another owner blocks while it lasts, unless
        `is_free(owner)` says that owner has ended (monitor.locks.sender_alive).
        """
        claimed = []
        with self.db.transaction():
            for delivery_id in ids:
                row = self.conn.execute(f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?", (delivery_id,)).fetchone()
                if row is None:
                    continue
                delivery = Delivery(*row)
                held = delivery.lease_owner and delivery.lease_until and delivery.lease_until > now
                if delivery.state != PENDING or (held and not is_free(delivery.lease_owner)):
                    continue
                self.conn.execute("UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?",
                                  (owner, until, delivery_id))
                claimed.append(delivery)
        return claimed

    def amend_payload(self, delivery_id: str, payload: str) -> bool:
        """Replace a delivery's payload while it was never attempted nor leased (call inside
        transaction()): a retry must send what the first attempt sent."""
        cur = self.conn.execute(
            "UPDATE deliveries SET payload = ? WHERE id = ? AND state = ? AND attempts = 0 AND lease_owner IS NULL",
            (payload, delivery_id, PENDING),
        )
        return cur.rowcount == 1

    def mark_sent(self, delivery_id: str, now: str) -> None:
        """The receiver accepted it: never send it again."""
        with self.db.transaction():
            self.conn.execute(
                "UPDATE deliveries SET state = ?, sent_at = ?, attempts = attempts + 1,"
                " first_attempt = coalesce(first_attempt, ?), lease_owner = NULL, lease_until = NULL"
                " WHERE id = ? AND state = ?",
                (SENT, now, now, delivery_id, PENDING),
            )

    def mark_failed(self, delivery_id: str, error: str, *, next_attempt: str, dead: bool, counts: bool = True,
                    tried_at: str | None = None) -> None:
        """Record a failed attempt made at `tried_at` (or, with counts=False, a
        deferred one, never tried); dead ends the retries."""
        with self.db.transaction():
            self.conn.execute(
                "UPDATE deliveries SET attempts = attempts + ?, last_error = ?, next_attempt = ?,"
                " first_attempt = CASE WHEN ? THEN coalesce(first_attempt, ?) ELSE first_attempt END,"
                " state = CASE WHEN ? THEN ? ELSE state END WHERE id = ? AND state = ?",
                (1 if counts else 0, error, next_attempt, counts and tried_at is not None, tried_at,
                 dead, DEAD, delivery_id, PENDING),
            )

    def renew(self, owner: str, until: str) -> None:
        """Extend `owner`'s leases (it is still sending)."""
        with self.db.transaction():
            self.conn.execute("UPDATE deliveries SET lease_until = ? WHERE lease_owner = ? AND state = ?",
                              (until, owner, PENDING))

    def release(self, owner: str) -> None:
        """Give up `owner`'s leases (a pass is over), so any process may send what is left."""
        with self.db.transaction():
            self.conn.execute("UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?", (owner,))
