"""What a person reads in a health or test alert: no `None`, no `run -`
(the real CLI, a real SMTP server and a real webhook receiver)."""

from __future__ import annotations

from tests.alert_receivers import Receiver, SmtpServer, parts
from tests.helpers import Page, tidings
from tests.test_alerts import email, setup, webhook


def test_broken_alert_for_a_failed_source_says_it_read_nothing(tmp_path, site):
    receiver, smtp = Receiver().start(), SmtpServer().start()
    try:
        config, db, run = setup(tmp_path, site, webhook(receiver, "hook", broken_after=1),
                                email(smtp, "mail", broken_after=1))
        run()
        site.pages["/news"] = Page("busy", status=503)
        run(expect=1)
        (broken,) = [h.json for h in receiver.hits]
        assert broken["kind"] == "broken" and broken["health"]["status"] == "failed"
        assert (broken["health"]["items_seen_before"], broken["health"]["items_seen_now"]) == (10, None)
        (message,) = smtp.messages
        text, html = parts(message)
        for body in (text, html):
            assert "None" not in body
            assert "Items seen by the last good crawl: 10; this crawl failed before reading any" in body
    finally:
        receiver.stop()
        smtp.stop()


def test_test_alerts_name_no_run(tmp_path, site):
    smtp = SmtpServer().start()
    try:
        config, db, run = setup(tmp_path, site, email(smtp, "mail"))
        result = tidings("notify", "--test", "--config", str(config))
        assert result.code == 0, result.stdout + result.stderr
        (message,) = smtp.messages
        text, html = parts(message)
        alert_id = text.rsplit("alert ", 1)[1].strip()
        assert text.rstrip().endswith(f"Tidings alert {alert_id}")
        for body in (text, html):
            assert "run -" not in body and "Tidings run" not in body
    finally:
        smtp.stop()
