"""Webhook notifier: POST the alert's JSON document, signed with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import re
from typing import Any
from urllib.parse import urlsplit

from monitor.notify.base import DeliveryError, Notifier, connection_error, exactly_one
from monitor.validators import boolean, env_name, http_url

SIGNATURE_HEADER = "X-Tidings-Signature"
_RESERVED = {"content-type", "content-length", "host", SIGNATURE_HEADER.lower()}


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError('must be a table of header names and values, e.g. { "X-Team" = "env" }')
    for name, text in value.items():
        if not name or not all(33 <= ord(c) < 127 and c not in '()<>@,;:\\"/[]?={}' for c in name):
            raise ValueError(f"{name!r} is not a valid header name")
        if name.lower() in _RESERVED:
            raise ValueError(f"header {name!r} is set by Tidings")
        if not isinstance(text, str) or "\r" in text or "\n" in text:
            raise ValueError(f"header {name!r}: value must be a one-line string")
    return dict(value)


def url_problem(url: str) -> str | None:
    """What makes `url` unusable for a webhook, in words that never quote it
    (only its scheme, when that is a plain scheme name); None when usable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return "is not a valid URL (check its port: a number from 1 to 65535)"
    if parts.scheme.lower() not in ("http", "https"):
        shown = repr(parts.scheme) if re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,15}", parts.scheme) else "none"
        return f"is not an http or https URL (scheme: {shown})"
    if not parts.hostname:
        return "has no host"
    if port == 0:
        return "has port 0"
    return None


def _where(parts) -> str:
    """host:port of a URL: what a webhook error names."""
    return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")


def sign(secret: str, body: bytes) -> str:
    """The X-Tidings-Signature value: HMAC-SHA256 of the raw body, hex."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookNotifier(Notifier):
    type = "webhook"
    KEYS = {
        "url": http_url,
        "url_env": env_name,
        "secret_env": env_name,
        "headers": _headers,
        # Carry each followed article's full text (`items[].article.text`), not only its excerpt.
        "include_article": boolean,
    }

    @classmethod
    def check_options(cls, options: dict) -> dict:
        exactly_one(options, "url", "url_env")
        return options

    def receiver(self) -> str:
        try:
            parts = urlsplit(self.options.get("url") or self.env("url_env") or "")
            return "webhook " + (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        except (ValueError, DeliveryError):
            return "webhook"

    def send(self, payload: dict) -> None:
        url = self.target()
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        from monitor import __version__

        headers = {
            **self.options.get("headers", {}),
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"Tidings/{__version__}",
            "X-Tidings-Delivery": payload["id"],
        }
        secret = self.env("secret_env")
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, body)
        self._post(url, body, headers)

    def target(self) -> str:
        """The URL to POST to.  One from `url_env` is checked here, and what is
        wrong with it said without quoting it: it carries a token."""
        if "url" in self.options:
            return self.options["url"]
        url = self.env("url_env") or ""
        problem = url_problem(url)
        if problem:
            raise DeliveryError(f"webhook URL from {self.options['url_env']} {problem}", retry_now=False)
        return url.strip()

    def public(self) -> set[str]:
        """The scheme, host and port of the URL: what errors name."""
        try:
            parts = urlsplit(self.options.get("url") or os.environ.get(self.options.get("url_env") or "", ""))
            return {parts.hostname or "", str(parts.port or ""), _where(parts)}
        except ValueError:
            return set()

    def _post(self, url: str, body: bytes, headers: dict) -> None:
        parts = urlsplit(url)
        # Errors name the host, never the path or query: they may hold a token.
        where = _where(parts)
        if parts.scheme == "https":
            context = self.tls_context()  # the deadline can cut its handshake too
            context.set_alpn_protocols(["http/1.1"])  # what http.client's own default context says
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=self.timeout, context=context)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        self.watch(lambda: conn.sock)  # the deadline of the whole send (Notifier.deliver) shuts it
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            status, reply = response.status, response.read(300)
        except (OSError, http.client.HTTPException) as exc:
            if not isinstance(exc, OSError):  # a malformed answer: the receiver is there but broken
                exc = OSError(f"{exc.__class__.__name__}: {exc}")
            raise connection_error(exc, "webhook", where, self.timeout) from None
        finally:
            conn.close()
        if not 200 <= status < 300:
            # Redacted before it is cut short: half a token would no longer match.
            text = self.redact(reply.decode("utf-8", "replace"))[:120]
            retry = status >= 500 or status in (408, 429)
            raise DeliveryError(f"webhook {where} answered HTTP {status}" + (f": {text}" if text else ""), retry_now=retry)
