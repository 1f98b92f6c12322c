"""Apprise notifier: hands each alert to the Apprise library, which speaks to
chat services (Slack, Discord, Telegram, Matrix, Teams, ...) given Apprise
URLs.  An optional extra: `pip install 'tidings[apprise]'`.
"""

from __future__ import annotations

import importlib.util
import logging
import re

from monitor.notify.base import DeliveryError, Notifier, exactly_one
from monitor.notify.payload import render_text, subject
from monitor.validators import env_name, str_list

_CREDENTIALS = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.I)


class AppriseNotifier(Notifier):
    type = "apprise"
    KEYS = {
        "urls": str_list,
        "urls_env": env_name,
    }

    @classmethod
    def check_options(cls, options: dict) -> dict:
        exactly_one(options, "urls", "urls_env")
        if importlib.util.find_spec("apprise") is None:
            raise ValueError("the apprise library is not installed (pip install 'tidings[apprise]')")
        return options

    def urls(self) -> list[str]:
        if "urls" in self.options:
            return list(self.options["urls"])
        return [u for u in re.split(r"[\s,]+", self.env("urls_env") or "") if u]

    def send(self, payload: dict) -> None:
        import apprise

        # Apprise logs the hosts and paths of its URLs, which are tokens: its
        # log never reaches ours; what it said comes back redacted in the error.
        logging.getLogger("apprise").propagate = False
        client = apprise.Apprise()
        for index, url in enumerate(self.urls(), 1):
            if not client.add(url):
                # Never echo the URL: Apprise URLs carry tokens.
                raise DeliveryError(f"Apprise URL #{index} is not one Apprise understands", retry_now=False)
        with apprise.LogCapture(level=logging.WARNING) as log:
            ok = client.notify(body=render_text(payload, self.config.tzinfo), title=subject(payload), body_format=apprise.NotifyFormat.TEXT)
            captured = log.getvalue()
        if not ok:
            reasons = [line.split(" - ", 2)[-1] for line in captured.splitlines() if line.strip()]
            reason = _CREDENTIALS.sub("<url>", reasons[-1]) if reasons else "no service accepted the message"
            raise DeliveryError(f"Apprise could not deliver: {reason}")
