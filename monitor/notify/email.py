"""Email notifier: one multipart (plain text + HTML) message per alert, over SMTP.

The text part is monitor.notify.payload's, the HTML part monitor.notify.email_html's.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from datetime import datetime, timezone
from email.utils import format_datetime, parseaddr
from typing import Any

from monitor.notify.base import DeliveryError, Notifier, connection_error, require
from monitor.notify.email_html import render_html
from monitor.notify.payload import render_text, subject
from monitor.validators import env_name, positive_int, str_list, string

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _security(value: Any) -> str:
    value = string(value)
    if value not in SECURITY:
        raise ValueError(f"{value!r} is not one of {', '.join(SECURITY)}")
    return value


def _port(value: Any) -> int:
    value = positive_int(value)
    if value > 65535:
        raise ValueError(f"{value} is not a TCP port (1-65535)")
    return value


def _address(value: Any) -> str:
    value = string(value).strip()
    if "\n" in value or "\r" in value or "@" not in parseaddr(value)[1]:
        raise ValueError(f"{value!r} is not an email address")
    return value


def _addresses(value: Any) -> tuple[str, ...]:
    return tuple(_address(v) for v in str_list(value))


def _host(value: Any) -> str:
    value = string(value).strip()
    if not value or any(c.isspace() or c == "/" for c in value):
        raise ValueError(f"{value!r} is not a host name")
    return value


class EmailNotifier(Notifier):
    type = "email"
    KEYS = {
        "smtp_host": _host,
        "smtp_port": _port,
        "security": _security,
        "username_env": env_name,
        "password_env": env_name,
        "from": _address,
        "to": _addresses,
    }

    @classmethod
    def check_options(cls, options: dict) -> dict:
        require(options, "smtp_host", "from", "to")
        if ("username_env" in options) != ("password_env" in options):
            raise ValueError("keys 'username_env' and 'password_env' go together: give both or neither")
        security = options.get("security", "starttls")
        return {"security": security, "smtp_port": DEFAULT_PORTS[security], **options}

    def message(self, payload: dict) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject(payload)
        msg["From"] = self.options["from"]
        msg["To"] = ", ".join(self.options["to"])
        msg["Date"] = format_datetime(datetime.now(timezone.utc))
        domain = parseaddr(self.options["from"])[1].rpartition("@")[2] or "tidings"
        msg["Message-ID"] = f"<{payload['id']}@{domain}>"  # the same on every retry
        msg["X-Tidings-Delivery"] = payload["id"]
        zone = self.config.tzinfo
        msg.set_content(render_text(payload, zone))
        msg.add_alternative(render_html(payload, zone), subtype="html")
        return msg

    def send(self, payload: dict) -> None:
        user, password = self.env("username_env"), self.env("password_env")
        msg = self.message(payload)
        where = f"{self.options['smtp_host']}:{self.options['smtp_port']}"
        try:
            with self._connect() as smtp:
                if user and password:
                    smtp.login(user, password)
                # Refusals of some recipients come back as a dict; the message
                # was accepted for the others, so it counts as sent (a retry
                # would repeat it for them).
                smtp.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP server {where} rejected the login: {_reply(exc)}", retry_now=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = "; ".join(f"{addr}: {_reply(err)}" for addr, err in exc.recipients.items())
            raise DeliveryError(f"SMTP server {where} refused every recipient ({codes})", retry_now=_transient(exc.recipients)) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP server {where} answered {_reply(exc)}", retry_now=400 <= exc.smtp_code < 500) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"SMTP server {where}: {exc}", retry_now=False) from None
        except OSError as exc:  # network failures (smtplib's other errors are OSErrors too)
            raise connection_error(exc, "SMTP server", where, self.timeout) from None

    def receiver(self) -> str:
        return f"SMTP server {self.options['smtp_host']}:{self.options['smtp_port']}"

    def _connect(self) -> smtplib.SMTP:
        host, port, security = self.options["smtp_host"], self.options["smtp_port"], self.options["security"]
        context = self.tls_context()  # the deadline can cut its handshake too
        # Made unconnected, so the deadline of the whole send (Notifier.deliver)
        # watches the socket from the start, greeting included; STARTTLS replaces it.
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(timeout=self.timeout)
        smtp._host = host  # what the constructor sets from `host`: TLS checks the certificate against it
        self.watch(lambda: getattr(smtp, "sock", None))
        try:
            smtp.connect(host, port)
        except BaseException:
            smtp.close()
            raise
        if security == "starttls":
            try:
                smtp.ehlo()
                smtp.starttls(context=context)
                smtp.ehlo()
            except BaseException:
                smtp.close()
                raise
        return smtp


def _reply(exc: Any) -> str:
    if isinstance(exc, tuple):  # (code, message) from a recipients dict
        code, message = exc
    else:
        code, message = getattr(exc, "smtp_code", ""), getattr(exc, "smtp_error", str(exc))
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {' '.join(str(message).split())}".strip()


def _transient(recipients: dict) -> bool:
    return all(400 <= code < 500 for code, _ in recipients.values())
