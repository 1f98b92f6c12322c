"""Alerts: notifiers (email, webhook, apprise) and the outbox that delivers them.

Public entry points: `alert_hooks` (queue a crawl's alerts in its
transaction), `deliver_run`, `deliver_pending` (send after the commit;
the scheduler calls `deliver_pending(archive, config, due_only=True)`
between ticks) and `send_test` (`tidings notify --test`).
"""

from monitor.notify.outbox import DeliveryStats, alert_hooks, deliver_pending, deliver_run, enqueue, send_test

__all__ = ["DeliveryStats", "alert_hooks", "deliver_pending", "deliver_run", "enqueue", "send_test"]
