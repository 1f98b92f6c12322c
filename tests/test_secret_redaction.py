"""A token in a notifier's URL or a secret in the environment never reaches an error.

Webhook URLs given through `url_env` carry tokens in their path
(`https://hooks.example.org/hooks/TOKEN`).  Whatever goes wrong (the URL
has a bad scheme or port, the receiver answers 404 with the path echoed
back, an SMTP server quotes the password in its refusal) the error that is
stored in `deliveries.last_error`, logged, shown by `tidings status` and
printed by `tidings notify --test` names scheme, host and port only.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.alert_receivers import free_port
from tests.helpers import Page, tidings, toml_value, write_config
from tests.pages import DRUPAL_SOURCE, Listing


class EchoingReceiver:
    """A receiver that answers every POST 404 "Cannot POST <path>", as Express does."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = f"<pre>Cannot POST {self.path}</pre>\x1b]0;owned\x07".encode()
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def echoing():
    receiver = EchoingReceiver()
    yield receiver
    receiver.close()


def token() -> str:
    return "tok" + secrets.token_hex(12)


def config_with(tmp_path, site, table: dict):
    site.pages["/news"] = Page(Listing().render())
    notify = "[[notify]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in table.items())
    source = {"name": "news", "url": site.url("/news"), "alert_on_first_run": True, **DRUPAL_SOURCE}
    return write_config(tmp_path / "t.toml", [source], extra=notify)


def run_with_new_item(tmp_path, site, config, env) -> tuple[list[str], list[str]]:
    """A run whose new items' alert cannot be delivered, then every place its error shows."""
    db, log = tmp_path / "archive.db", tmp_path / "tidings.log"
    result = tidings("run", "--config", str(config), "--db", str(db), "-v", "--log-file", str(log), env=env)
    assert result.code == 0, result.stderr
    outputs = [result.stdout, result.stderr]
    for args in (("status",), ("status", "--json"), ("notify", "--test")):
        result = tidings(*args, "--config", str(config), "--db", str(db), env=env)
        outputs += [result.stdout, result.stderr]
    outputs.append(log.read_text())
    conn = sqlite3.connect(db)
    errors = [e for (e,) in conn.execute("SELECT last_error FROM deliveries")]
    conn.close()
    assert errors and all(errors), errors
    return outputs + errors, errors


def assert_no_leak(texts: list[str], *secret: str) -> None:
    for text in texts:
        for s in secret:
            assert s not in text, f"{s!r} leaked into: {text!r}"
        assert "\x1b" not in text and "\x07" not in text, text


def test_a_receiver_echoing_the_path_never_leaks_the_token(tmp_path, site, echoing):
    secret = token()
    url = f"http://127.0.0.1:{echoing.port}/hooks/{secret}?key={secret}x"
    config = config_with(tmp_path, site, {"type": "webhook", "name": "hook", "url_env": "TIDINGS_HOOK_URL", "timeout": 5})
    texts, errors = run_with_new_item(tmp_path, site, config, {"TIDINGS_HOOK_URL": url})
    assert_no_leak(texts, secret, "/hooks/")
    # The error still says what happened and where.
    assert all(f"webhook 127.0.0.1:{echoing.port} answered HTTP 404" in e for e in errors), errors


@pytest.mark.parametrize("shape", [
    "ftp://hooks.example.org/hooks/{t}",  # a bad scheme
    "https://hooks.example.org:99999/hooks/{t}",  # a port out of range
    "https://hooks.example.org:{t}/hooks/x",  # a port that is no number
    "https://user:{t}@hooks.example.org:99999/hooks",  # credentials, and a bad port
    "https:///hooks/{t}",  # no host
])
def test_a_bad_webhook_url_from_the_environment_never_leaks_the_token(tmp_path, site, shape):
    secret = token()
    config = config_with(tmp_path, site, {"type": "webhook", "name": "hook", "url_env": "TIDINGS_HOOK_URL", "timeout": 5})
    texts, errors = run_with_new_item(tmp_path, site, config, {"TIDINGS_HOOK_URL": shape.format(t=secret)})
    assert_no_leak(texts, secret)
    assert all("TIDINGS_HOOK_URL" in e for e in errors), errors


class QuotingSmtp:
    """An SMTP server whose refusal of a login quotes the password back."""

    def __init__(self) -> None:
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     authenticator=self._authenticate, auth_require_tls=False)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        password = auth_data.password.decode()
        return AuthResult(success=False, handled=False, message=f"535 5.7.8 password {password} is wrong")

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def test_an_smtp_server_quoting_the_password_never_leaks_it(tmp_path, site):
    smtp = QuotingSmtp()
    smtp.controller.start()
    try:
        password = token()
        config = config_with(tmp_path, site, {
            "type": "email", "name": "mail", "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "security": "none",
            "username_env": "TIDINGS_SMTP_USER", "password_env": "TIDINGS_SMTP_PASSWORD",
            "from": "Tidings <tidings@example.org>", "to": ["team@example.org"], "timeout": 5,
        })
        env = {"TIDINGS_SMTP_USER": "alerts", "TIDINGS_SMTP_PASSWORD": password}
        texts, errors = run_with_new_item(tmp_path, site, config, env)
        assert_no_leak(texts, password)
        assert all(f"SMTP server 127.0.0.1:{smtp.port} rejected the login" in e for e in errors), errors
    finally:
        smtp.controller.stop()


def test_an_apprise_url_from_the_environment_never_leaks_its_token(tmp_path, site, echoing):
    pytest.importorskip("apprise")
    secret = token()
    urls = f"json://127.0.0.1:{echoing.port}/hooks/{secret}, json://{secret}:99999/x"
    config = config_with(tmp_path, site, {"type": "apprise", "name": "chat", "urls_env": "TIDINGS_APPRISE_URLS", "timeout": 5})
    texts, errors = run_with_new_item(tmp_path, site, config, {"TIDINGS_APPRISE_URLS": urls})
    assert_no_leak(texts, secret)


def test_status_redacts_an_error_stored_by_an_older_tidings(tmp_path, site, echoing):
    """A dead delivery keeps its last error forever: one an older Tidings stored
    with the token in it is shown redacted."""
    secret = token()
    url = f"http://127.0.0.1:{echoing.port}/hooks/{secret}"
    config = config_with(tmp_path, site, {"type": "webhook", "name": "hook", "url_env": "TIDINGS_HOOK_URL", "timeout": 5})
    env = {"TIDINGS_HOOK_URL": url}
    run_with_new_item(tmp_path, site, config, env)
    db = tmp_path / "archive.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE deliveries SET state = 'dead', last_error = ?",
                     (f"gave up after 24h: webhook 127.0.0.1:{echoing.port} answered HTTP 404: Cannot POST /hooks/{secret}",))
    conn.close()
    for args in (("status",), ("status", "--json")):
        result = tidings(*args, "--config", str(config), "--db", str(db), env=env)
        assert result.code == 0, result.stderr
        assert secret not in result.stdout and "gave up after 24h" in result.stdout
