"""Real receivers for alert tests: an HTTP webhook endpoint and an SMTP server.

Both run on 127.0.0.1 in threads of the test process and record what
arrived, so tests assert what a person or a receiving system would see.
"""

from __future__ import annotations

import json
import datetime
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Hit:
    path: str
    headers: dict
    raw: bytes
    status: int | None  # what the receiver answered; None: held, never answered

    @property
    def json(self) -> dict:
        return json.loads(self.raw)


@dataclass
class Receiver:
    """A webhook endpoint.  `statuses` are answered first, one per request,
    then `default`; `hold` makes it keep requests open without answering;
    `stop()`/`start()` switch the port between listening and refusing."""

    port: int = field(default_factory=free_port)
    statuses: list = field(default_factory=list)
    default: int = 200
    hold: bool = False
    hits: list = field(default_factory=list)
    cert: tuple | None = None  # (certificate, key) PEM files: HTTPS
    delay: float = 0.0  # seconds between taking a request in and answering it

    def __post_init__(self):
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = None

    @property
    def url(self) -> str:
        return f"{'https' if self.cert else 'http'}://127.0.0.1:{self.port}/hook"

    @property
    def accepted(self) -> list[Hit]:
        return [h for h in self.hits if h.status is not None and 200 <= h.status < 300]

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    hold = receiver.hold
                    status = None if hold else (receiver.statuses.pop(0) if receiver.statuses else receiver.default)
                    receiver.hits.append(Hit(self.path, dict(self.headers), raw, status))
                if hold:
                    receiver._release.wait(120)
                    self.close_connection = True
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                body = b'{"ok": true}' if status < 300 else b"receiver error"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        if self.cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*self.cert)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._release.set()
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def release(self) -> None:
        """Let held requests go (they end without an answer) and answer normally again."""
        self.hold = False
        self._release.set()


class SmtpServer:
    """aiosmtpd with LOGIN/PLAIN auth; can answer 451 to the next N messages."""

    def __init__(self, user: str = "alerts", password: str = "", *, tls: str = "none", cert: tuple | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, str]] = []
        self.reject_next = 0
        self.rejected = 0
        self.user, self.password = user, password
        self.port = free_port()
        # aiosmtpd does not count implicit TLS ("ssl") as TLS for AUTH; STARTTLS it does.
        options: dict = {"authenticator": self._authenticate, "auth_require_tls": tls == "starttls"}
        if tls != "none":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*cert)
            if tls == "starttls":
                options.update(tls_context=context, require_starttls=True)
            else:
                options.update(ssl_context=context)
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            self.logins.append((login, password))
            return AuthResult(success=(login, password) == (self.user, self.password))
        return AuthResult(success=False)

    async def handle_DATA(self, server, session, envelope):
        if self.reject_next:
            self.reject_next -= 1
            self.rejected += 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain text and HTML bodies of a multipart/alternative message."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def self_signed_cert(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files (for TLS tests;
    clients trust it through SSL_CERT_FILE)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)
