"""[[notify]] and [alerts] validation: every mistake names file, notifier and key."""

from __future__ import annotations

import os
import sys

import pytest

from tests.helpers import ROOT
from monitor.config import parse_config
from monitor.errors import ConfigError

SOURCE = {"name": "un-news", "url": "https://example.org/news"}
HOOK = {"type": "webhook", "url": "https://hooks.example.org/tidings"}
MAIL = {"type": "email", "smtp_host": "smtp.example.org", "from": "Tidings <t@example.org>", "to": ["team@example.org"]}


def parse(*notify, **top):
    return parse_config({"source": [SOURCE], "notify": list(notify), **top}, "tidings.toml")


def test_defaults_and_names():
    config = parse(HOOK, {**MAIL, "name": "team-mail", "on": ["new", "updated"], "digest": False},
                   alerts={"broken_after": 5, "give_up_after": "30m"})
    hook, mail = config.notify
    assert (hook.name, hook.type, hook.on, hook.digest, hook.sources) == ("webhook-1", "webhook", ("new", "broken"), True, ())
    assert (hook.broken_after, hook.give_up_after) == (5, 1800.0)
    assert (mail.name, mail.on, mail.digest) == ("team-mail", ("new", "updated"), False)
    assert mail.options["security"] == "starttls" and mail.options["smtp_port"] == 587
    assert parse({**MAIL, "security": "ssl"}).notify[0].options["smtp_port"] == 465
    assert parse({**HOOK, "give_up_after": "2d", "broken_after": 1}).notify[0].give_up_after == 172800.0
    assert parse({**HOOK, "give_up_after": 90}).notify[0].give_up_after == 90.0
    assert parse().notify == () and parse().alerts.broken_after == 3 and parse().alerts.give_up_after == 86400.0


@pytest.mark.parametrize(
    "notify, top, message",
    [
        ({"url": "https://x.org"}, {}, "tidings.toml: notify #1: key 'type' is required"),
        ({"type": "pigeon"}, {}, "tidings.toml: notify #1: key 'type': 'pigeon' is not one of apprise, email, webhook"),
        ({**HOOK, "secret": "abc"}, {}, "tidings.toml: notify #1 'webhook-1' (type webhook): unknown key 'secret'"),
        ({**HOOK, "url": "ftp://x.org/h"}, {}, "notify #1 'webhook-1' (type webhook): key 'url': 'ftp://x.org/h': only http and https"),
        ({"type": "webhook"}, {}, "notify #1 'webhook-1' (type webhook): give exactly one of 'url' and 'url_env'"),
        ({**HOOK, "secret_env": "my-secret"}, {}, "key 'secret_env': 'my-secret' is not an environment variable name"),
        ({**HOOK, "headers": {"Bad Name": "x"}}, {}, "key 'headers': 'Bad Name' is not a valid header name"),
        ({**HOOK, "on": ["new", "removed"]}, {}, "key 'on': 'removed' is not one of new, updated, broken"),
        ({**HOOK, "sources": ["elsewhere"]}, {}, "key 'sources': no source named 'elsewhere'"),
        ({**HOOK, "give_up_after": "soon"}, {}, "key 'give_up_after': must be seconds or a duration"),
        ({**HOOK, "broken_after": 0}, {}, "key 'broken_after': must be a whole number of at least 1"),
        ({**HOOK, "timeout": -1}, {}, "key 'timeout': must be a number of at least 0"),
        ({**HOOK, "digest": "yes"}, {}, "key 'digest': must be true or false"),
        ({k: v for k, v in MAIL.items() if k != "smtp_host"}, {}, "notify #1 'email-1' (type email): key 'smtp_host' is required"),
        ({**MAIL, "security": "tls"}, {}, "key 'security': 'tls' is not one of starttls, ssl, none"),
        ({**MAIL, "to": ["nobody"]}, {}, "key 'to': 'nobody' is not an email address"),
        ({**MAIL, "smtp_port": 70000}, {}, "key 'smtp_port': 70000 is not a TCP port"),
        ({**MAIL, "username_env": "U"}, {}, "keys 'username_env' and 'password_env' go together"),
        ({"type": "apprise"}, {}, "notify #1 'apprise-1' (type apprise): give exactly one of 'urls' and 'urls_env'"),
        (HOOK, {"alerts": {"broken_after": "3"}}, "tidings.toml: [alerts]: key 'broken_after'"),
        (HOOK, {"alerts": {"retries": 3}}, "tidings.toml: [alerts]: unknown key 'retries'"),
    ],
)
def test_errors_name_file_notifier_and_key(notify, top, message):
    with pytest.raises(ConfigError) as caught:
        parse(notify, **top)
    assert message in str(caught.value)


def test_duplicate_notifier_names():
    with pytest.raises(ConfigError, match=r"notify #2 'a' \(type email\): key 'name': duplicate notifier name"):
        parse({**HOOK, "name": "a"}, {**MAIL, "name": "a"})


def test_apprise_without_the_library_is_a_clear_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "apprise", None)  # as on a machine without the extra
    with pytest.raises(ConfigError, match=r"notify #1 'chat' \(type apprise\): the apprise library is not installed"):
        parse({"type": "apprise", "name": "chat", "urls": ["json://localhost"]})


def test_a_delivery_leased_by_a_live_process_is_not_sent_twice(tmp_path):
    """Two processes draining the outbox at once never both take one alert;
    a lease left by a process that died (SIGKILL) does not block it."""
    import subprocess

    from monitor.archive import Archive
    from monitor.locks import sender_alive

    db = tmp_path / "t.db"
    holder = ("import sys, time; from monitor.locks import SenderToken\n"
              "with SenderToken(sys.argv[1]) as t:\n    print(t.token, flush=True); time.sleep(60)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with Archive(db) as archive:
        with archive.transaction():
            for delivery_id in ("a", "b"):
                archive.outbox.add(id=delivery_id, notifier="hook", source_id=None, run_id="r", crawl_id=None,
                                   kind="items", payload="{}", created="2026-01-01T00:00:00.000+00:00")
        live = subprocess.Popen([sys.executable, "-c", holder, str(db)], stdout=subprocess.PIPE, text=True, env=env)
        dead = subprocess.Popen([sys.executable, "-c", holder, str(db)], stdout=subprocess.PIPE, text=True, env=env)
        live_token, dead_token = live.stdout.readline().strip(), dead.stdout.readline().strip()
        dead.kill()
        dead.wait()
        gone = lambda owner: not sender_alive(db, owner)  # noqa: E731
        try:
            now, until = "2026-01-01T00:00:01.000+00:00", "2099-01-01T00:00:00.000+00:00"
            assert [d.id for d in archive.outbox.claim(["a"], live_token, until, now, gone)] == ["a"]
            assert [d.id for d in archive.outbox.claim(["b"], dead_token, until, now, gone)] == ["b"]
            # Another process now: "a" is held by a live process, "b" by a dead one.
            mine = [d.id for d in archive.outbox.claim(["a", "b"], "f" * 32, until, now, gone)]
            assert mine == ["b"]
        finally:
            live.kill()
            live.wait()
