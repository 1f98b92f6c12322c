"""Apprise notifier: hands each alert to the Apprise library, which speaks to
chat services (Slack, Discord, Telegram, Matrix, Teams, ...) given Apprise
URLs.  An optional extra: `pip install 'tidings[apprise]'`.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import signal
import subprocess
import sys

from monitor.children import die_with_parent
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

    def receiver(self) -> str:
        return "Apprise"

    def urls(self) -> list[str]:
        if "urls" in self.options:
            return list(self.options["urls"])
        return [u for u in re.split(r"[\s,]+", self.env("urls_env") or "") if u]

    def send(self, payload: dict) -> None:
        # Apprise opens its connections itself (in its own thread pools, which
        # the interpreter waits for at exit), so nothing in this process could
        # cut a send that trickles: it runs in a child process, killed with
        # its process group when `timeout` runs out.
        message = {"urls": self.urls(), "title": subject(payload), "body": render_text(payload, self.config.tzinfo)}
        child = subprocess.Popen([sys.executable, "-m", "monitor.notify.apprise"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                                 preexec_fn=die_with_parent(os.getpid()))
        try:
            out, _ = child.communicate(json.dumps(message).encode("utf-8"), timeout=self.timeout)
        except subprocess.TimeoutExpired:
            raise self.timed_out() from None
        finally:
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                child.wait()
        try:
            outcome = json.loads(out)
        except ValueError:
            raise DeliveryError(f"Apprise failed (its process exited with code {child.returncode})") from None
        if outcome.get("bad_url"):
            # Never echo the URL: Apprise URLs carry tokens.
            raise DeliveryError(f"Apprise URL #{outcome['bad_url']} is not one Apprise understands", retry_now=False)
        if outcome.get("error"):
            raise DeliveryError(f"Apprise failed: {_CREDENTIALS.sub('<url>', outcome['error'])}")
        if not outcome.get("ok"):
            reasons = [line.split(" - ", 2)[-1] for line in outcome.get("log", "").splitlines() if line.strip()]
            reason = _CREDENTIALS.sub("<url>", reasons[-1]) if reasons else "no service accepted the message"
            raise DeliveryError(f"Apprise could not deliver: {reason}")


def _send_in_child() -> None:
    """The child's side: read {urls, title, body} on stdin, notify, print the outcome as JSON."""
    import apprise

    message = json.load(sys.stdin)
    # Apprise logs the hosts and paths of its URLs, which are tokens: its log
    # never reaches ours; what it said comes back, redacted, in the error.
    logging.getLogger("apprise").propagate = False
    client = apprise.Apprise()
    for index, url in enumerate(message["urls"], 1):
        if not client.add(url):
            print(json.dumps({"bad_url": index}), flush=True)
            return
    try:
        with apprise.LogCapture(level=logging.WARNING) as log:
            ok = client.notify(body=message["body"], title=message["title"], body_format=apprise.NotifyFormat.TEXT)
            captured = log.getvalue()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, as any failure
        print(json.dumps({"error": f"{exc.__class__.__name__}: {exc}"}), flush=True)
        return
    print(json.dumps({"ok": bool(ok), "log": captured}), flush=True)


if __name__ == "__main__":
    _send_in_child()
