"""Alerts end to end: the real `tidings` CLI against a local listing, a real
webhook receiver and a real SMTP server (aiosmtpd), all on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from tests.alert_receivers import Receiver, SmtpServer, free_port, parts, self_signed_cert, wait_for
from tests.helpers import ROOT, Page, tidings, toml_value, write_config
from tests.pages import DRUPAL_SOURCE, Item, Listing, extra_item, seed_items

SECRET = "planted-webhook-secret-7f3a9c"
PASSWORD = "planted-smtp-password-1b2e8d"
SCRIPT_HEADLINE = "<script>alert('x')</script> Ministers sign water accord & more"
ENV = {"TIDINGS_WEBHOOK_SECRET": SECRET, "TIDINGS_SMTP_USER": "alerts", "TIDINGS_SMTP_PASSWORD": PASSWORD}


def notify_table(**keys) -> str:
    return "[[notify]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items())


def webhook(receiver: Receiver, name: str, **keys) -> str:
    return notify_table(type="webhook", name=name, url=receiver.url, timeout=5, **keys)


def email(smtp: SmtpServer, name: str = "mail", **keys) -> str:
    keys = {"security": "none", "from": "Tidings <tidings@example.org>", "to": ["team@example.org"], "timeout": 5, **keys}
    return notify_table(type="email", name=name, smtp_host="127.0.0.1", smtp_port=smtp.port, **keys)


def setup(tmp_path, site, *tables: str, pages: tuple[str, ...] = ("news",)):
    for page in pages:
        site.pages[f"/{page}"] = Page(Listing().render())
    sources = [{"name": "un-" + page, "url": site.url(f"/{page}"), **DRUPAL_SOURCE} for page in pages]
    config = write_config(tmp_path / "tidings.toml", sources, extra="\n".join(tables))
    db = tmp_path / "tidings.db"

    def run(*extra: str, expect: int = 0):
        result = tidings("run", "--config", str(config), "--db", str(db), *extra, env=ENV)
        assert result.code == expect, result.stdout + result.stderr
        return result

    return config, db, run


def show(site, items, page: str = "news") -> None:
    site.pages[f"/{page}"] = Page(Listing().with_items(items).render())


def rows(db, where: str = "1", args=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM deliveries WHERE {where} ORDER BY created", args)]
    finally:
        conn.close()


@pytest.fixture
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def smtp():
    s = SmtpServer(password=PASSWORD).start()
    yield s
    s.stop()


def test_digest_arrives_signed_escaped_and_once(tmp_path, site, receiver, smtp):
    apprise_hook, each = Receiver().start(), Receiver().start()
    try:
        config, db, run = setup(
            tmp_path, site,
            webhook(receiver, "hook", secret_env="TIDINGS_WEBHOOK_SECRET", headers={"X-Team": "env"}, sources=["un-news"]),
            email(smtp, username_env="TIDINGS_SMTP_USER", password_env="TIDINGS_SMTP_PASSWORD", sources=["un-news"]),
            notify_table(type="apprise", name="chat", urls=[f"json://127.0.0.1:{apprise_hook.port}/apprise"],
                         sources=["un-news"]),
            webhook(each, "each", digest=False, on=["new", "updated"]),
            pages=("news", "other"),
        )
        log = tmp_path / "tidings.log"
        first = run("--json", "-v", "--log-file", str(log))
        assert first.json["sources"][0]["status"] == "baseline"
        assert receiver.hits == [] and smtp.messages == [] and apprise_hook.hits == [] and each.hits == []  # baseline

        fresh = [Item(SCRIPT_HEADLINE, ["Summary with <b>markup</b> as text."], "/media/news/accord", "2021-12-20"),
                 extra_item(1)]
        show(site, fresh + seed_items())
        show(site, [extra_item(9)] + seed_items(), page="other")
        second = run("--json", "-v", "--log-file", str(log))
        run_id = second.json["run_id"]

        # Webhook: one digest with exactly the two new items, signed over the raw body.
        assert len(receiver.hits) == 1
        hit = receiver.hits[0]
        doc = hit.json
        assert doc["kind"] == "items" and doc["source"] == "un-news" and doc["run_id"] == run_id
        assert [(i["headline"], i["change"]) for i in doc["items"]] == [(SCRIPT_HEADLINE, "new"), (extra_item(1).headline, "new")]
        assert doc["items"][0]["url"] == site.url("/media/news/accord")
        assert doc["items"][0]["published"].startswith("2021-12-20")
        assert doc["items"][1]["summary"] == extra_item(1).summary_text
        expected = "sha256=" + hmac.new(SECRET.encode(), hit.raw, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(hit.headers["X-Tidings-Signature"], expected)
        assert hit.headers["X-Team"] == "env"
        assert hit.headers["X-Tidings-Delivery"] == doc["id"]

        # Email: one multipart message, logged in with the password from the environment.
        assert len(smtp.messages) == 1 and smtp.logins == [("alerts", PASSWORD)]
        message = smtp.messages[0]
        assert message["Subject"] == "2 new on un-news"
        text, html = parts(message)
        assert SCRIPT_HEADLINE in text and extra_item(1).headline in text and site.url("/media/news/accord") in text
        assert "<script>" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Ministers sign water accord &amp; more" in html
        assert "Summary with &lt;b&gt;markup&lt;/b&gt; as text." in html
        assert f'href="{site.url("/media/news/extra-1")}"' in html

        # Apprise: the same digest, as title and text.
        assert len(apprise_hook.hits) == 1
        chat = apprise_hook.hits[0].json
        assert chat["title"] == "2 new on un-news"
        assert SCRIPT_HEADLINE in chat["message"] and extra_item(1).headline in chat["message"]

        # digest = false: one alert per item, each with its own id, for every source (no filter).
        singles = sorted((h.json["source"], h.json["items"][0]["headline"]) for h in each.hits)
        assert singles == sorted([("un-news", SCRIPT_HEADLINE), ("un-news", extra_item(1).headline),
                                  ("un-other", extra_item(9).headline)])
        assert all(len(h.json["items"]) == 1 for h in each.hits) and len({h.json["id"] for h in each.hits}) == 3

        assert [r["state"] for r in rows(db)] == ["sent"] * 6

        # An edited headline is "updated": only for notifiers that asked for it.
        edited = seed_items()
        edited[3] = Item("Corrected: " + edited[3].headline, edited[3].summary, edited[3].path, edited[3].date)
        show(site, fresh + edited)
        third = run("-v", "--log-file", str(log))
        assert len(receiver.hits) == 1 and len(smtp.messages) == 1 and len(apprise_hook.hits) == 1
        (update,) = [h.json for h in each.hits[3:]]
        assert [(i["headline"], i["change"]) for i in update["items"]] == [(edited[3].headline, "updated")]

        # Secrets from the environment are never logged, printed or stored.
        leaks = [first.stdout, first.stderr, second.stdout, second.stderr, third.stdout, third.stderr,
                 log.read_text(), db.read_bytes().decode("latin-1")]
        for wal in tmp_path.glob("tidings.db-*"):
            leaks.append(wal.read_bytes().decode("latin-1"))
        for secret in (SECRET, PASSWORD):
            assert not any(secret in text for text in leaks)
    finally:
        apprise_hook.stop()
        each.stop()


def test_outages_are_retried_until_delivered_exactly_once(tmp_path, site, smtp):
    down = Receiver()  # not started: connection refused
    flaky = Receiver(statuses=[500]).start()
    doomed = Receiver()  # never started
    slow = Receiver(hold=True).start()  # accepts connections, never answers
    smtp.reject_next = 1
    try:
        config, db, run = setup(
            tmp_path, site, webhook(down, "down"), webhook(flaky, "flaky"), email(smtp),
            webhook(doomed, "doomed", give_up_after=1),
            notify_table(type="webhook", name="slow", url=slow.url, timeout=1),
        )
        run()
        show(site, [extra_item(1)] + seed_items())
        second = run("--json")  # an unreachable receiver never fails the run
        assert [s["status"] for s in second.json["sources"]] == ["ok"]

        # 500 then 200, SMTP 451 then 250: retried within the run, delivered once.
        assert [h.status for h in flaky.hits] == [500, 200]
        assert flaky.hits[0].json["id"] == flaky.hits[1].json["id"]
        assert smtp.rejected == 1 and len(smtp.messages) == 1
        (pending,) = rows(db, "notifier = 'down'")
        assert pending["state"] == "pending" and pending["attempts"] >= 1
        assert "connection refused" in pending["last_error"]
        (dead,) = rows(db, "notifier = 'doomed'")
        assert dead["state"] == "dead" and "connection refused" in dead["last_error"]
        (late,) = rows(db, "notifier = 'slow'")
        assert late["state"] == "pending" and late["attempts"] == 1  # a timeout is not retried within the run
        assert late["last_error"] == f"no answer from webhook 127.0.0.1:{slow.port} within 1 s"

        show(site, [extra_item(2), extra_item(1)] + seed_items())
        run()  # still down: both alerts wait
        assert [r["state"] for r in rows(db, "notifier = 'down'")] == ["pending", "pending"]
        first_ids = [r["id"] for r in rows(db, "notifier = 'down'")]
        flush = tidings("notify", "--config", str(config), "--db", str(db), env=ENV)  # send pending now: still down
        assert flush.code == 1 and flush.stdout.startswith("0 sent, 4 still pending"), flush.stdout + flush.stderr
        assert f"down: connection refused by webhook 127.0.0.1:{down.port}" in flush.stdout

        down.start()
        slow.release()
        run()
        # Each alert exactly once, with the id it had from the start, items in order.
        assert [h.json["id"] for h in down.accepted] == first_ids
        assert [[i["headline"] for i in h.json["items"]] for h in down.hits] == [[extra_item(1).headline], [extra_item(2).headline]]
        assert [r["state"] for r in rows(db, "notifier = 'down'")] == ["sent", "sent"]
        # Nobody else got anything twice; the dead alert stayed dead.
        assert len(flaky.accepted) == 2 and len(smtp.messages) == 2
        assert doomed.hits == [] and rows(db, "notifier = 'doomed'")[0]["state"] == "dead"
        assert [h.json["id"] for h in slow.accepted] == [r["id"] for r in rows(db, "notifier = 'slow'")]
        assert [r["state"] for r in rows(db, "notifier = 'slow'")] == ["sent", "sent"]
    finally:
        slow.stop()
        down.stop()
        flaky.stop()


def test_run_killed_before_sending_delivers_on_next_run(tmp_path, site):
    hook = Receiver(hold=True).start()
    try:
        config, db, run = setup(tmp_path, site, webhook(hook, "hook"))
        hook.hold = False
        run()
        hook.hold = True
        show(site, [extra_item(1)] + seed_items())
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
        proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db)],
                                cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: hook.hits, what="the run to start sending")  # items are committed by now
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        hook.release()
        (held,) = hook.hits
        assert held.status is None
        (pending,) = rows(db)
        assert pending["state"] == "pending" and pending["id"] == held.json["id"]

        run()
        assert [h.json["id"] for h in hook.accepted] == [held.json["id"]]
        assert [i["headline"] for i in hook.accepted[0].json["items"]] == [extra_item(1).headline]
        assert rows(db)[0]["state"] == "sent"
        run()
        assert len(hook.hits) == 2
    finally:
        hook.stop()


def test_broken_and_recovered_once_and_no_item_alerts_from_bad_runs(tmp_path, site, receiver, smtp):
    config, db, run = setup(tmp_path, site, webhook(receiver, "hook"), email(smtp))
    run()
    site.pages["/news"] = Page("busy", status=503)
    run(expect=1)
    run(expect=1)
    assert receiver.hits == []  # two failed runs: not yet broken
    # Suspect: 3 items where 10 were (one of them new): nothing compared, nothing alerted as new.
    show(site, [extra_item(1)] + seed_items()[:2])
    run(expect=1)
    (broken,) = [h.json for h in receiver.hits]
    assert broken["kind"] == "broken" and broken["items"] == []
    assert broken["health"]["status"] == "suspect" and broken["health"]["runs"] == 3
    assert (broken["health"]["items_seen_before"], broken["health"]["items_seen_now"]) == (10, 3)
    assert "only 3 items found where the last good crawl saw 10" in broken["health"]["error"]
    assert len(smtp.messages) == 1 and smtp.messages[0]["Subject"] == "un-news is broken: suspect for 3 runs in a row"

    site.pages["/news"] = Page("busy", status=503)
    run(expect=1)
    assert len(receiver.hits) == 1  # never one per run

    show(site, [extra_item(1)] + seed_items())
    run()
    kinds = sorted(h.json["kind"] for h in receiver.hits[1:])
    assert kinds == ["items", "recovered"]
    (recovered,) = [h.json for h in receiver.hits if h.json["kind"] == "recovered"]
    assert recovered["health"]["runs"] == 4 and recovered["health"]["status"] == "ok"
    (items,) = [h.json for h in receiver.hits if h.json["kind"] == "items"]
    assert [i["headline"] for i in items["items"]] == [extra_item(1).headline]
    assert len(smtp.messages) == 3
    run()
    assert len(receiver.hits) == 3 and len(smtp.messages) == 3


def test_notify_test_reports_each_notifier(tmp_path, site, receiver, smtp):
    dead_port = free_port()
    config, db, run = setup(
        tmp_path, site, webhook(receiver, "good", secret_env="TIDINGS_WEBHOOK_SECRET"),
        notify_table(type="webhook", name="gone", url=f"http://127.0.0.1:{dead_port}/x", timeout=5), email(smtp),
    )
    result = tidings("notify", "--test", "--config", str(config), env=ENV)
    assert result.code == 1, result.stderr
    assert result.stdout.splitlines() == [
        "good (webhook): ok",
        f"gone (webhook): failed: connection refused by webhook 127.0.0.1:{dead_port}",
        "mail (email): ok",
    ]
    assert receiver.hits[0].json["kind"] == "test" and len(smtp.messages) == 1

    result = tidings("notify", "--test", "good", "--config", str(config), env=ENV)
    assert (result.code, result.stdout.strip()) == (0, "good (webhook): ok")
    assert len(receiver.hits) == 2 and SECRET not in result.stdout + result.stderr

    result = tidings("notify", "--test", "nope", "--config", str(config), env=ENV)
    assert result.code == 2 and "no notifier named 'nope' (configured: good, gone, mail)" in result.stderr


def test_email_over_starttls_and_ssl_with_login(tmp_path, site):
    cert = self_signed_cert(tmp_path)
    servers = {tls: SmtpServer(password=PASSWORD, tls=tls, cert=cert).start() for tls in ("starttls", "ssl")}
    try:
        tables = [email(server, name=f"mail-{tls}", security=tls, username_env="TIDINGS_SMTP_USER",
                        password_env="TIDINGS_SMTP_PASSWORD") for tls, server in servers.items()]
        config, db, run = setup(tmp_path, site, *tables)
        result = tidings("notify", "--test", "--config", str(config), env={**ENV, "SSL_CERT_FILE": cert[0]})
        assert result.stdout.splitlines() == ["mail-starttls (email): ok", "mail-ssl (email): ok"], result.stderr
        for server in servers.values():
            assert server.logins == [("alerts", PASSWORD)] and len(server.messages) == 1
        # Without trusting the certificate, TLS fails and says so.
        result = tidings("notify", "--test", "mail-ssl", "--config", str(config), env=ENV)
        assert result.code == 1 and "mail-ssl (email): failed: TLS with SMTP server 127.0.0.1:" in result.stdout
    finally:
        for server in servers.values():
            server.stop()


def test_webhook_over_https_checks_the_certificate(tmp_path, site):
    cert = self_signed_cert(tmp_path)
    receiver = Receiver(cert=cert).start()
    try:
        config, db, run = setup(tmp_path, site, webhook(receiver, "hook"))
        result = tidings("notify", "--test", "--config", str(config), env={**ENV, "SSL_CERT_FILE": cert[0]})
        assert result.stdout.splitlines() == ["hook (webhook): ok"], result.stdout + result.stderr
        assert receiver.hits[0].json["kind"] == "test"
        # Without trusting the certificate, TLS fails and says so; nothing arrives.
        result = tidings("notify", "--test", "--config", str(config), env=ENV)
        assert result.code == 1 and "hook (webhook): failed: TLS with webhook 127.0.0.1:" in result.stdout, result.stdout
        assert len(receiver.hits) == 1
    finally:
        receiver.stop()
