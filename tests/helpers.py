"""Shared test helpers: a real HTTP server on 127.0.0.1 and a way to run the CLI.

The server serves whatever a test puts in `site.pages` (a path to a
`Page`), so a test can change a listing between two runs.  The CLI runs as a
real subprocess, exactly as cron would start it.  Imported as
`from tests.helpers import ...` (one module, one copy); tests/conftest.py
holds only the fixtures.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Page:
    body: bytes | str = b""
    status: int = 200
    headers: dict = field(default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"})
    delay: float = 0.0  # seconds before answering

    def payload(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


Handler = Callable[[BaseHTTPRequestHandler], None]


class Site:
    """A switchable local web site (over HTTPS when given a certificate and key)."""

    def __init__(self, cert: tuple[str, str] | None = None, host: str = "127.0.0.1") -> None:
        self.pages: dict[str, Page | Handler] = {}
        self.requests: list[str] = []
        # Requests being answered right now, and the most there ever were at once (a test may reset it).
        self.in_flight = 0
        self.most_at_once = 0
        self._counting = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler_class())
        self._server.daemon_threads = True
        if cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*cert)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.base = f"{'https' if cert else 'http'}://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                with site._counting:
                    site.in_flight += 1
                    site.most_at_once = max(site.most_at_once, site.in_flight)
                self._counted = True
                try:
                    self._answer()
                finally:
                    self._answered()

            def _answered(self) -> None:
                """No longer in flight: from just before the answer is sent (the client cannot
                ask again before it has the answer, so serial requests never overlap here)."""
                if self._counted:
                    self._counted = False
                    with site._counting:
                        site.in_flight -= 1

            def _answer(self) -> None:
                site.requests.append(self.path)
                page = site.pages.get(self.path)
                if page is None and self.path == "/robots.txt":
                    page = Page("User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
                if page is None:
                    page = Page("<html><body>not found</body></html>", status=404)
                if callable(page):
                    page(self)
                    return
                if page.delay:
                    time.sleep(page.delay)
                self._answered()
                send_page(self, page)

        return Handler


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


def tidings(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120) -> Result:
    """Run the real `tidings` CLI in a subprocess."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    full_env.update({"PYTHONPATH": str(ROOT), **(env or {})})
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


LOOPBACK_CRAWL = {"delay": 0, "autothrottle": False, "obey_robots": True, "per_domain": 8, "concurrency": 16}


def send_page(request: BaseHTTPRequestHandler, page: "Page") -> None:
    """Answer `request` with `page` (status, headers, body); a client gone meanwhile is no error."""
    body = page.payload()
    request.send_response(page.status)
    for name, value in page.headers.items():
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    try:
        request.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass


def write_config(path: Path, sources: list[dict], crawl: dict | None = None, extra: str = "") -> Path:
    """A tidings.toml fit for loopback tests (no politeness delay)."""
    lines = [extra.strip(), "[crawl]"] if extra.strip() else ["[crawl]"]
    for key, value in {**LOOPBACK_CRAWL, **(crawl or {})}.items():
        lines.append(f"{key} = {toml_value(value)}")
    for source in sources:
        lines.append("\n[[source]]")
        for key, value in source.items():
            lines.append(f"{key} = {toml_value(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
