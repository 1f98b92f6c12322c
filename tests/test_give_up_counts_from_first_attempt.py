"""`give_up_after` counts from a delivery's first attempt, and every delivery is attempted at least once.

A run killed after its crawl committed (before the outbox recorded any
attempt), then Tidings down for longer than `give_up_after`: the next run
must still try the alert, not mark it dead unsent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.alert_receivers import Receiver, wait_for
from tests.helpers import ROOT
from tests.pages import extra_item, seed_items
from tests.test_alerts import rows, setup, show, webhook


def _killed_while_sending(config, db, hook: Receiver) -> str:
    """Start a run, SIGKILL it once the receiver holds its alert; return that alert's id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db)],
                            cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: hook.hits, what="the run to start sending")  # the crawl committed by now
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    return hook.hits[-1].json["id"]


def test_an_alert_never_attempted_before_give_up_after_is_still_sent(tmp_path, site):
    hook = Receiver().start()
    try:
        config, db, run = setup(tmp_path, site, webhook(hook, "hook", give_up_after=2))
        run()  # the baseline
        hook.hold = True
        show(site, [extra_item(1)] + seed_items())
        held = _killed_while_sending(config, db, hook)
        hook.release()
        (pending,) = rows(db)
        assert (pending["id"], pending["state"], pending["attempts"]) == (held, "pending", 0)

        time.sleep(3)  # Tidings is down longer than give_up_after
        run()
        assert [h.json["id"] for h in hook.accepted] == [held]
        assert rows(db)[0]["state"] == "sent"
    finally:
        hook.stop()


def test_give_up_after_runs_from_the_first_failed_attempt(tmp_path, site):
    hook = Receiver().start()
    try:
        config, db, run = setup(tmp_path, site, webhook(hook, "hook", give_up_after=4))
        run()
        hook.hold = True
        show(site, [extra_item(1)] + seed_items())
        held = _killed_while_sending(config, db, hook)
        hook.release()
        time.sleep(4.5)  # older than give_up_after, never attempted
        hook.stop()  # the receiver is down: the first recorded attempt fails
        run()
        (first,) = rows(db)
        assert (first["id"], first["state"]) == (held, "pending")  # 4 s have not passed since that attempt
        assert first["attempts"] >= 1 and "connection refused" in first["last_error"]
        time.sleep(4.5)
        run()
        (last,) = rows(db)
        assert last["state"] == "dead" and "connection refused" in last["last_error"]
    finally:
        hook.stop()
