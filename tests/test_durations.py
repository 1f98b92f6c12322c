"""Durations ("30m", "6h", "1d") mean the same wherever the config takes one:
interval schedules and `give_up_after`, each with its own rule on top."""

from __future__ import annotations

import pytest

from monitor.config import parse_config
from monitor.schedule import parse_schedule

UNITS = {"45s": 45, "30m": 1800, "6h": 21600, "1d": 86400, " 2 H ": 7200, "10M": 600}


@pytest.mark.parametrize("text, seconds", UNITS.items())
def test_a_schedule_and_a_give_up_time_read_a_duration_alike(text, seconds):
    assert parse_schedule(text).every.total_seconds() == seconds
    config = parse_config({"alerts": {"give_up_after": text}}, "t.toml")
    assert config.alerts.give_up_after == seconds


def test_give_up_after_also_takes_plain_seconds_and_fractions_a_schedule_does_not():
    assert parse_config({"alerts": {"give_up_after": "1.5h"}}).alerts.give_up_after == 5400.0
    assert parse_config({"alerts": {"give_up_after": "90"}}).alerts.give_up_after == 90.0
    for text in ("1.5h", "90"):
        with pytest.raises(ValueError, match="is not an interval"):
            parse_schedule(text)


@pytest.mark.parametrize("text", ["1\u017f", "5 minutes", "m", "-5m", "5mm"])
def test_what_is_not_a_duration_is_refused_with_the_usual_message(text):
    """'ſ' (long s) case-folds to 's' under re.IGNORECASE; it is not a unit."""
    with pytest.raises(ValueError, match="is not an interval"):
        parse_schedule(text)
    with pytest.raises(Exception, match="key 'give_up_after': must be seconds or a duration"):
        parse_config({"alerts": {"give_up_after": text}}, "t.toml")
