"""Misbehaving web servers, as handler callables for the `site` fixture.

`site.pages[path] = handler` hands the raw request to one of these, which
writes whatever bytes it likes on the socket: never answer, trickle forever,
stream 50 MB, cut the body short, redirect in circles.  Each stops as soon as
the client hangs up (or after `GIVE_UP` seconds), so a test that finished
leaves no busy thread behind.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler

GIVE_UP = 60.0  # seconds: no handler outlives a hung client longer than this
CHUNK = 64 * 1024


class Counter:
    """Bytes a handler managed to send (to show a huge body was cut short)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = 0

    def add(self, n: int) -> None:
        with self.lock:
            self.sent += n


def _client_gone(request: BaseHTTPRequestHandler, wait: float) -> bool:
    """Whether the client closed its end (readable socket with no data)."""
    readable, _, _ = select.select([request.connection], [], [], wait)
    if not readable:
        return False
    try:
        return request.connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True


def never_answers(request: BaseHTTPRequestHandler) -> None:
    """Accept the connection, read the request, then say nothing at all."""
    request.close_connection = True
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline and not _client_gone(request, 0.2):
        pass


def trickles(request: BaseHTTPRequestHandler) -> None:
    """Answer 200 and then send one byte every 50 ms, forever."""
    request.close_connection = True
    request.send_response(200)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Connection", "close")
    request.end_headers()
    deadline = time.monotonic() + GIVE_UP
    try:
        request.wfile.write(b"<html><body>")
        while time.monotonic() < deadline:
            request.wfile.write(b" ")
            request.wfile.flush()
            time.sleep(0.05)
    except OSError:  # the client hung up: what we wanted
        pass


def huge(total: int, counter: Counter, *, declare_length: bool):
    """A `total`-byte HTML body streamed in chunks, never held in memory."""
    chunk = (b"<p>" + b"x" * (CHUNK - 8) + b"</p>\n")[:CHUNK]

    def handler(request: BaseHTTPRequestHandler) -> None:
        request.close_connection = True
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        if declare_length:
            request.send_header("Content-Length", str(total))
        request.send_header("Connection", "close")
        request.end_headers()
        sent = 0
        try:
            while sent < total:
                request.wfile.write(chunk)
                sent += len(chunk)
                counter.add(len(chunk))
        except OSError:
            pass

    return handler


def truncated(body: bytes, keep: float = 0.4):
    """Promise the whole body in Content-Length, send only part, hang up."""

    def handler(request: BaseHTTPRequestHandler) -> None:
        request.close_connection = True
        request.send_response(200)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        try:
            request.wfile.write(body[: int(len(body) * keep)])
            request.wfile.flush()
        except OSError:
            pass

    return handler


def redirect(location: str, status: int = 302):
    def handler(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handler
