"""A notifier's `timeout` bounds the whole send, whatever the receiver does;
a signal ends a run that is sending; earlier runs' alerts never hold up a crawl.

The receivers here accept the connection, then trickle their answer one
byte every 2 s: each byte comes well within a per-read timeout, so only a
deadline on the whole send ends it.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.alert_receivers import wait_for
from tests.helpers import ROOT, tidings
from tests.pages import extra_item, seed_items
from tests.test_alerts import notify_table, rows, setup, show


class Trickler:
    """A TCP server that accepts, reads what it is sent, and answers `reply` one byte every `every` s."""

    def __init__(self, reply: bytes, every: float = 2.0, read_first: bool = True):
        self.reply, self.every, self.read_first = reply, every, read_first
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections: list[float] = []  # when each connection came
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(time.monotonic())
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        try:
            if self.read_first:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                except OSError:
                    pass
            for byte in self.reply * 100:
                if self._stop.wait(self.every):
                    return
                conn.sendall(bytes([byte]))
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.server.close()


HTTP_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@pytest.fixture
def trickler():
    t = Trickler(HTTP_REPLY)
    yield t
    t.close()


def _hook(trickler: Trickler, **keys) -> str:
    return notify_table(type="webhook", name="hook", url=f"http://127.0.0.1:{trickler.port}/hook", **keys)


def _timed(*args, **kwargs):
    start = time.monotonic()
    result = tidings(*args, **kwargs)
    return result, time.monotonic() - start


@pytest.mark.parametrize("kind", ["webhook", "email", "apprise"])
def test_notify_test_is_bounded_by_timeout_against_a_trickling_receiver(tmp_path, kind):
    if kind == "email":
        trickler = Trickler(b"220 smtp.example.org ESMTP ready\r\n", read_first=False)  # a trickled greeting
        table = notify_table(type="email", name="hook", smtp_host="127.0.0.1", smtp_port=trickler.port, security="none",
                             **{"from": "t@example.org", "to": ["a@example.org"]}, timeout=3)
    else:
        trickler = Trickler(HTTP_REPLY)
        table = (_hook(trickler, timeout=3) if kind == "webhook" else
                 notify_table(type="apprise", name="hook", urls=[f"json://127.0.0.1:{trickler.port}/hook"], timeout=3))
    try:
        config = tmp_path / "t.toml"
        config.write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n\n' + table)
        result, took = _timed("notify", "--test", "--config", str(config), timeout=120)
        assert result.code == 1, result.stdout + result.stderr
        assert "within 3 s" in result.stdout, result.stdout
        assert took < 3 + 10, f"{kind}: a 3 s timeout took {took:.0f} s"
    finally:
        trickler.close()


def test_a_run_is_bounded_by_the_timeout_and_keeps_the_alert(tmp_path, site, trickler):
    config, db, run = setup(tmp_path, site, _hook(trickler, timeout=3))
    run()  # the baseline: nothing to send
    show(site, [extra_item(1)] + seed_items())
    result, took = _timed("run", "--config", str(config), "--db", str(db), "--json", timeout=300)
    assert result.code == 0, result.stderr
    assert [n["headline"] for n in result.json["sources"][0]["new"]] == [extra_item(1).headline]
    assert took < 3 + 20, f"the run took {took:.0f} s with a 3 s notifier timeout"
    (pending,) = rows(db)
    assert pending["state"] == "pending" and "within 3 s" in pending["last_error"]


def test_sigterm_ends_a_run_that_is_sending(tmp_path, site, trickler):
    config, db, run = setup(tmp_path, site, _hook(trickler, timeout=120))
    run()
    show(site, [extra_item(1)] + seed_items())
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db), "--json"],
                            cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: trickler.connections, what="the run to start sending")
        time.sleep(0.5)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - stopped
    finally:
        if proc.poll() is None:
            proc.kill()
    assert took < 5, f"SIGTERM took {took:.1f} s to end the run"
    assert "Traceback" not in err, err
    (pending,) = rows(db)
    assert pending["state"] == "pending"  # kept for the next run


def test_alerts_left_from_earlier_runs_never_hold_up_a_crawl_or_its_locks(tmp_path, site, trickler):
    config, db, run = setup(tmp_path, site, _hook(trickler, timeout=30))
    run()
    show(site, [extra_item(1)] + seed_items())
    first = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db)],
                             cwd=ROOT, env={**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")},
                                            "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: trickler.connections, what="the first run to start sending")
        # The first run is stuck sending (up to 30 s); a second run crawls at once, and is not
        # skipped for the source the first one crawled (its lock is not held while sending).
        crawled_before = len(site.requests)
        second, took = _timed("run", "--config", str(config), "--db", str(db), "--json", "--source", "un-news",
                              timeout=120)
        assert second.json["sources"][0]["status"] == "ok", second.stdout + second.stderr
        assert len(site.requests) > crawled_before
    finally:
        first.kill()
        first.wait()



class HandshakeTrickler(Trickler):
    """A receiver that trickles the TLS handshake, and notes how long each client held on.

    `dialogue`: the steps before the handshake, each a line it sends and
    whether it then reads one: an SMTP greeting and STARTTLS, or none
    (implicit TLS).  It waits `pause` seconds before the last step, well
    within a per-read timeout.  Then it sends the header of a TLS record
    announcing 16 KiB, and the record one byte a second, until the client
    goes: every byte well within a per-read timeout, the handshake never done."""

    def __init__(self, dialogue: list[tuple[bytes, bool]], pause: float = 0.0):
        self.dialogue, self.pause = dialogue, pause
        self.held: list[float] = []  # seconds from each connection to the client's leaving
        super().__init__(b"\x16\x03\x03\x40\x00" + b"\x00" * 16384, every=1.0, read_first=False)

    def _trickle(self, conn: socket.socket) -> None:
        came = time.monotonic()
        try:
            reader = conn.makefile("rb")
            for n, (line, then_read) in enumerate(self.dialogue):
                if n == len(self.dialogue) - 1 and self._stop.wait(self.pause):
                    return
                conn.sendall(line)
                if then_read:
                    reader.readline()
            for byte in self.reply:
                conn.sendall(bytes([byte]))
                readable, _, _ = select.select([conn], [], [], self.every)
                if readable and not conn.recv(65536):  # the client's hello, or its leaving
                    break
                if self._stop.is_set():
                    return
        except OSError:
            pass
        finally:
            self.held.append(time.monotonic() - came)
            conn.close()


STARTTLS_DIALOGUE = [(b"220 smtp.example.org ESMTP\r\n", True),
                     (b"250-smtp.example.org\r\n250 STARTTLS\r\n", True),
                     (b"220 2.0.0 Ready to start TLS\r\n", False)]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_a_trickled_tls_handshake_is_bounded_by_timeout(tmp_path, security):
    # STARTTLS is agreed 4 s into a 5 s timeout, each answer within a per-read timeout; the handshake
    # then trickles.  Implicit TLS trickles its handshake from the start.
    trickler = (HandshakeTrickler(STARTTLS_DIALOGUE, pause=4) if security == "starttls" else HandshakeTrickler([]))
    table = notify_table(type="email", name="hook", smtp_host="127.0.0.1", smtp_port=trickler.port,
                         security=security, **{"from": "t@example.org", "to": ["a@example.org"]}, timeout=5)
    try:
        config = tmp_path / "t.toml"
        config.write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n\n' + table)
        result = tidings("notify", "--test", "--config", str(config), timeout=60)
        assert result.code == 1, result.stdout + result.stderr
        assert "within 5 s" in result.stdout, result.stdout
        wait_for(lambda: trickler.held, what="the receiver to see the client go")
        # Measured at the receiver, so the CLI's start-up does not count.
        assert trickler.held[0] < 5 + 1.5, f"a 5 s timeout held the connection {trickler.held[0]:.1f} s"
    finally:
        trickler.close()


class SlowDns:
    """A DNS server on a loopback address of its own (port 53) that answers every
    query `delay` seconds late: an A query with 127.0.0.1, others with no record."""

    def __init__(self, delay: float):
        self.delay = delay
        self.address = f"127.{random.randrange(1, 255)}.{random.randrange(1, 255)}.{random.randrange(2, 254)}"
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.address, 53))
        self.queries = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                query, client = self.sock.recvfrom(512)
            except OSError:
                return
            self.queries += 1
            threading.Thread(target=self._answer, args=(query, client), daemon=True).start()

    def _answer(self, query: bytes, client) -> None:
        end = query.index(b"\0", 12) + 1  # the question's name
        time.sleep(self.delay)
        if query[end:end + 2] == b"\0\1":  # A
            header = query[:2] + b"\x81\x80" + b"\0\1\0\1\0\0\0\0"
            answer = b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4" + socket.inet_aton("127.0.0.1")
        else:  # AAAA and the rest: none
            header, answer = query[:2] + b"\x81\x80" + b"\0\1\0\0\0\0\0\0", b""
        try:
            self.sock.sendto(header + query[12:end + 4] + answer, client)
        except OSError:
            pass

    def close(self) -> None:
        self.sock.close()


def _can_mount_privately() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--fork", "mount", "--bind", "/etc/hostname", "/etc/hostname"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_privately(), reason="needs `unshare --mount` (root) to give the CLI its own resolver")
@pytest.mark.parametrize("kind", ["webhook", "email"])
def test_a_slow_name_lookup_is_inside_the_timeout(tmp_path, kind):
    """The receiver's host name takes 20 s to resolve: the send still ends at its 2 s timeout."""
    try:
        dns = SlowDns(delay=20)
    except PermissionError:
        pytest.skip("needs to listen on port 53 (root) for a resolver of the test's own")
    trickler = Trickler(b"220 smtp.example.org ESMTP ready\r\n" if kind == "email" else HTTP_REPLY,
                        read_first=kind != "email")
    try:
        resolv = tmp_path / "resolv.conf"
        resolv.write_text(f"nameserver {dns.address}\noptions timeout:30 attempts:1\n")
        host = "receiver.tidings-test.example"
        table = (notify_table(type="webhook", name="hook", url=f"http://{host}:{trickler.port}/hook", timeout=2)
                 if kind == "webhook" else
                 notify_table(type="email", name="hook", smtp_host=host, smtp_port=trickler.port, security="none",
                              **{"from": "t@example.org", "to": ["a@example.org"]}, timeout=2))
        config = tmp_path / "t.toml"
        config.write_text('[[source]]\nname = "a"\nurl = "http://127.0.0.1:9/"\n\n' + table)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
        # Its own mount namespace, where /etc/resolv.conf names the slow server.
        command = ["unshare", "--mount", "--fork", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                   str(resolv), sys.executable, "-m", "monitor", "notify", "--test", "--config", str(config)]
        start = time.monotonic()
        try:
            result = subprocess.run(command, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True,
                                    text=True, timeout=40)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{kind}: a 2 s timeout still had not ended the send after 40 s")
        took = time.monotonic() - start
        assert dns.queries, "the name was never looked up"
        assert result.returncode == 1, result.stdout + result.stderr
        assert "within 2 s" in result.stdout, result.stdout + result.stderr
        assert took < 12, f"{kind}: a 2 s timeout took {took:.0f} s (the lookup takes 20 s)"
    finally:
        dns.close()
        trickler.close()
