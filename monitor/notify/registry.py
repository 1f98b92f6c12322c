"""The notifier kinds, by the `type` a [[notify]] table names.

Adding a kind is one module with a `Notifier` subclass and one entry here.
"""

from __future__ import annotations

from monitor.notify.apprise import AppriseNotifier
from monitor.notify.base import Notifier
from monitor.notify.email import EmailNotifier
from monitor.notify.webhook import WebhookNotifier

NOTIFIERS: dict[str, type[Notifier]] = {cls.type: cls for cls in (EmailNotifier, WebhookNotifier, AppriseNotifier)}
