"""A delivery being sent is leased to its sender whatever PID namespace each sender lives in.

A container and the host's cron share an archive but not process ids: a
sender must never take another's lease because that owner's PID is not
visible from where it runs, and must still take over at once from a sender
that was killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys

import pytest

from tests.alert_receivers import Receiver, wait_for
from tests.helpers import ROOT
from tests.pages import extra_item, seed_items
from tests.test_alerts import notify_table, rows, setup, show


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    return {**env, "PYTHONPATH": str(ROOT)}


def _can_unshare_pids() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare_pids(), reason="needs `unshare --pid` (root or user namespaces)")
def test_a_sender_in_another_pid_namespace_never_sends_a_leased_delivery(tmp_path, site):
    hook = Receiver().start()
    first = None
    try:
        config, db, run = setup(tmp_path, site, notify_table(type="webhook", name="hook", url=hook.url, timeout=30))
        run()  # the baseline
        hook.hold = True
        show(site, [extra_item(1)] + seed_items())
        # The host's sender: it leases the alert and holds it open at the receiver.
        first = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db)],
                                 cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: hook.hits, what="the first sender to start sending")
        # A sender in its own PID namespace (a container): the first one's PID means nothing there.
        other = subprocess.run(["unshare", "--pid", "--fork", sys.executable, "-m", "monitor", "notify",
                                "--config", str(config), "--db", str(db)],
                               cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
        assert len(hook.hits) == 1, "the same delivery was sent twice at once"
        assert other.returncode in (0, 1), other.stderr
        hook.release()
        first.wait(60)
        hook.hold = False
        run()
        (delivery,) = rows(db)
        assert delivery["state"] == "sent"
        assert {h.json["id"] for h in hook.hits} == {delivery["id"]}
    finally:
        if first and first.poll() is None:
            first.kill()
        hook.stop()


def test_a_killed_senders_lease_is_taken_over_at_once(tmp_path, site):
    hook = Receiver().start()
    try:
        config, db, run = setup(tmp_path, site, notify_table(type="webhook", name="hook", url=hook.url, timeout=30))
        run()
        hook.hold = True
        show(site, [extra_item(1)] + seed_items())
        sender = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db)],
                                  cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: hook.hits, what="the sender to start sending")
        (leased,) = rows(db)
        assert leased["lease_owner"] and leased["lease_until"]
        sender.send_signal(signal.SIGKILL)
        sender.wait(30)
        hook.release()
        hook.hold = False
        notify = subprocess.run([sys.executable, "-m", "monitor", "notify", "--config", str(config), "--db", str(db)],
                                cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)
        assert notify.returncode == 0, notify.stdout + notify.stderr
        assert [h.json["id"] for h in hook.accepted] == [leased["id"]]
    finally:
        hook.stop()


def test_a_lease_an_older_version_wrote_as_a_process_id_holds_while_that_process_lives(tmp_path, site):
    """Upgrading: an older Tidings, still sending when the new one first runs, named its
    leases by process id.  The new one must not send that delivery beside it (the same
    alert twice at once); once that process is gone, the lease is free at once."""
    hook = Receiver(statuses=[503] * 3).start()
    old_sender = subprocess.Popen(["sleep", "120"])
    try:
        config, db, run = setup(tmp_path, site, notify_table(type="webhook", name="hook", url=hook.url, timeout=30))
        run()
        show(site, [extra_item(1)] + seed_items())
        run()  # the receiver refuses every attempt of the run: the alert stays pending
        (pending,) = rows(db)
        assert pending["state"] == "pending"
        tried = len(hook.hits)
        with sqlite3.connect(db) as conn:  # what an older version's sender left while sending it
            conn.execute("UPDATE deliveries SET lease_owner = ?, lease_until = '2999-01-01T00:00:00.000+00:00'",
                         (str(old_sender.pid),))

        def notify() -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "monitor", "notify", "--config", str(config), "--db", str(db)],
                                  cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60)

        notify()
        assert len(hook.hits) == tried, "sent beside the older version's sender"
        old_sender.kill()
        old_sender.wait()
        result = notify()
        assert result.returncode == 0, result.stdout + result.stderr
        assert [h.json["id"] for h in hook.accepted] == [pending["id"]]
        assert rows(db)[0]["state"] == "sent"
    finally:
        old_sender.kill()
        hook.stop()
