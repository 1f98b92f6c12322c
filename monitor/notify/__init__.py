"""Alerts: notifier kinds (email, webhook, apprise) and the outbox that delivers them.

- monitor.notify.outbox: queue a crawl's alerts in its transaction (`alert_hooks`),
  send after the commit (`deliver_pending`; the scheduler calls
  `deliver_pending(archive, config, due_only=True)` between ticks) and `send_test`
  (`tidings notify --test`);
- monitor.notify.payload: the alert documents and their text/HTML renderings;
- monitor.notify.base, .registry and one module per kind (.email, .webhook, .apprise).

This file imports nothing: the config parser looks up the kinds' keys in the
registry, and must not load the outbox (which reads the config) to do so.
"""
