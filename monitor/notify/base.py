"""What every notifier kind shares: the base class and the delivery error.

A kind is one module with one `Notifier` subclass: its `type` (the config's
`type = "..."`), its own config keys with validators, and `send()`, which
either returns (the receiver accepted the message) or raises DeliveryError.
It is listed once in monitor.notify.registry.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from typing import TYPE_CHECKING, Callable, ClassVar

from monitor.notify.redact import redact, secret_pieces
from monitor.validators import Validator
from scraper.text import one_line

if TYPE_CHECKING:  # a type only: a notifier never needs the config parser
    from monitor.config.model import NotifierConfig


CUT_GRACE_SECONDS = 1.0  # after the deadline, how long a cut send may take to give up
CUT_EVERY_SECONDS = 0.05  # how often an expired send's new connections are looked for


class DeliveryError(Exception):
    """A message was not accepted.  The text is one line saying why and where,
    never a secret (no passwords, tokens or full URLs with credentials).

    `retry_now`: worth another try within this run (a refused connection, HTTP
    5xx, SMTP 4xx), as opposed to a timeout, which already cost its time, or a
    permanent refusal.  `unreachable`: the receiver could not be reached at
    all, so the notifier's other messages wait for a later attempt.
    """

    def __init__(self, message: str, *, retry_now: bool = True, unreachable: bool = False):
        super().__init__(message)
        self.retry_now = retry_now
        self.unreachable = unreachable


class Notifier:
    """Base of every notifier kind."""

    type: ClassVar[str] = ""
    # Keys of this kind in a [[notify]] table, each with a validator (monitor.validators)
    # that returns the clean value or raises ValueError(reason).
    KEYS: ClassVar[dict[str, Validator]] = {}

    def __init__(self, config: NotifierConfig):
        self._local = threading.local()  # the connections of the send running in this thread
        self.config = config
        self.name = config.name
        self.options = config.options
        self.timeout = config.timeout

    @classmethod
    def check_options(cls, options: dict) -> dict:
        """Checks across keys (required ones, pairs); raise ValueError("key 'x': ...")."""
        return options

    def send(self, payload: dict) -> None:
        """Deliver one alert (a payload from monitor.notify.payload); raise DeliveryError.

        Called through `deliver`, which bounds it: a kind registers each
        connection it opens with `watch`, so the deadline can cut it."""
        raise NotImplementedError

    def deliver(self, payload: dict) -> None:
        """`send` within its deadline, with every error made one safe line: redacted of this notifier's
        secrets and of control characters.  The outbox and `notify --test` call
        this, never `send`: whatever a receiver or a library says passes here."""
        try:
            self._send_by_deadline(payload)
        except DeliveryError as exc:
            raise DeliveryError(self.redact(str(exc)), retry_now=exc.retry_now, unreachable=exc.unreachable) from None
        except Exception as exc:  # a bug, or a library's surprise, may quote a URL too
            raise DeliveryError(self.redact(f"unexpected error: {exc.__class__.__name__}: {exc}"),
                                retry_now=False) from None

    def redact(self, text: str) -> str:
        """`text` as one line without control characters or any piece of a secret."""
        return redact(one_line(text), self.secrets(), self.public())

    def secrets(self) -> set[str]:
        """Every piece of every secret this notifier knows: its `*_env` values, and
        the URLs and header values of its table (they may carry tokens too)."""
        values = [os.environ.get(variable, "") for key, variable in self.options.items()
                  if key.endswith("_env") and isinstance(variable, str)]
        for key in ("url", "urls"):
            value = self.options.get(key)
            values += [value] if isinstance(value, str) else list(value or ())
        values += [v for v in (self.options.get("headers") or {}).values() if isinstance(v, str)]
        return set().union(*(secret_pieces(v) for v in values if v))

    def public(self) -> set[str]:
        """Pieces an error may show even if a secret holds them (a webhook's host and port)."""
        return set()

    def _send_by_deadline(self, payload: dict) -> None:
        """`send`, bounded as a whole (name lookup, connect, TLS, request, answer) by `timeout`.

        A per-socket timeout bounds each read, not the send: a receiver that
        trickles a byte every few seconds would hold it for minutes, and a
        name lookup or a connect to each of a host's addresses has a bound
        of its own.  So the send runs in a thread of its own.  At the
        deadline every connection it registered is shut down (which ends any
        read or write in progress), and so is each one it opens later; the
        send fails as timed out.  A send still busy (a name lookup no socket
        can cut) is left to end on its own, its connections cut as they
        appear (a message that lands anyway is sent again under its `id`).
        """
        connections: list[Callable[[], socket.socket | None]] = []
        done = threading.Event()
        outcome: list[BaseException | None] = []

        def work() -> None:
            self._local.connections = connections
            try:
                self.send(payload)
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                outcome.append(exc)
            finally:
                done.set()

        threading.Thread(target=work, name=f"send-{self.name}", daemon=True).start()
        if done.wait(self.timeout):
            if outcome[0] is not None:
                raise outcome[0]
            return
        threading.Thread(target=_cut_until, args=(connections, done), name=f"cut-{self.name}", daemon=True).start()
        done.wait(CUT_GRACE_SECONDS)  # a cut connection ends the send at once
        if done.is_set() and outcome[0] is None:
            return  # accepted just as the deadline passed
        raise self.timed_out()

    def watch(self, connection: Callable[[], socket.socket | None]) -> None:
        """Register a connection (a callable giving its current socket, which
        TLS may replace) for `deliver`'s deadline to shut."""
        connections = getattr(self._local, "connections", None)
        if connections is not None:  # None: `send` called without a deadline
            connections.append(connection)

    def tls_context(self) -> ssl.SSLContext:
        """The default client TLS context, its connections watched from their handshake on.

        Wrapping a socket detaches the plain one (shutting it then does
        nothing), and the wrapped one reaches the kind's connection object
        only once the handshake is done: a receiver that agreed to STARTTLS
        late and then trickled the handshake would outlive the deadline.
        `sslsocket_class` is the documented hook for the sockets a context makes.
        """
        context = ssl.create_default_context()
        watch = self.watch

        class Watched(ssl.SSLSocket):
            def do_handshake(self, block: bool = False) -> None:
                watch(lambda: self)
                super().do_handshake(block)

        context.sslsocket_class = Watched
        return context

    def timed_out(self) -> DeliveryError:
        """The error of a send that did not complete within `timeout`."""
        return DeliveryError(f"no answer from {self.receiver()} within {self.timeout:g} s",
                             retry_now=False, unreachable=True)

    def receiver(self) -> str:
        """What and where the receiver is, for errors (never a token)."""
        return self.type

    def env(self, key: str) -> str | None:
        """The value of the environment variable named by option `key`, if configured.

        Read at send time, so secrets live only in the environment and in memory.
        """
        variable = self.options.get(key)
        if not variable:
            return None
        value = os.environ.get(variable)
        if not value:
            raise DeliveryError(f"environment variable {variable} (from {key!r}) is not set", retry_now=False)
        return value


def _cut_until(connections: list, done: threading.Event) -> None:
    """Shut every connection of an expired send, and each it opens later, until it ends."""
    while True:
        for current in list(connections):
            sock = current()
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        if done.wait(CUT_EVERY_SECONDS):
            return


def require(options: dict, *keys: str) -> None:
    for key in keys:
        if key not in options:
            raise ValueError(f"key {key!r} is required")


def exactly_one(options: dict, first: str, second: str) -> None:
    if (first in options) == (second in options):
        raise ValueError(f"give exactly one of {first!r} and {second!r}")


def connection_error(exc: OSError, receiver: str, where: str, timeout: float) -> DeliveryError:
    """A network failure talking to `receiver` at `where` (host:port), as one line.

    Only the host is named: a URL's path or query may hold a token.
    """
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return DeliveryError(f"no answer from {receiver} {where} within {timeout:g} s", retry_now=False, unreachable=True)
    if isinstance(exc, ConnectionRefusedError):
        return DeliveryError(f"connection refused by {receiver} {where}", unreachable=True)
    if isinstance(exc, socket.gaierror):
        return DeliveryError(f"cannot resolve the host of {receiver} {where}: {exc.strerror}", unreachable=True)
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(f"TLS with {receiver} {where} failed: {exc.reason or exc}", retry_now=False)
    return DeliveryError(f"{receiver} {where}: {exc.__class__.__name__}: {exc}", unreachable=True)
