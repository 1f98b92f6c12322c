"""Dates written in the languages of European and UN press pages."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from scraper.dates import parse_date
from scraper.extract import extract
from tests.helpers import ROOT


@pytest.mark.parametrize("text, iso", [
    ("12. März 2024", "2024-03-12"),
    ("12 mars 2024", "2024-03-12"),
    ("1er février 2024", "2024-02-01"),
    ("Publié le 12 décembre 2023", "2023-12-12"),
    ("3 de abril de 2024", "2024-04-03"),
    ("15 settembre 2023", "2023-09-15"),
    ("7 mei 2024", "2024-05-07"),
    ("5 de outubro de 2024", "2024-10-05"),
    ("12. Mai 2024, 14:05", "2024-05-12T14:05:00"),
    # English stays as it was.
    ("12 March 2024", "2024-03-12"),
    ("Mar 11, 2024", "2024-03-11"),
    ("03/04/2024", "2024-04-03"),
])
def test_day_month_year_in_other_languages(text, iso):
    assert parse_date(text) == iso


def test_a_german_listing_gets_its_dates_by_automatic_detection():
    rows = [("Neue Förderrichtlinie für Gewässerschutz veröffentlicht", "/presse/foerderrichtlinie", "12. März 2024"),
            ("Ministerin besucht Hochwasserschutzanlage an der Elbe", "/presse/hochwasserschutz", "5. März 2024"),
            ("Jahresbericht zur Luftqualität in den Städten vorgestellt", "/presse/luftqualitaet", "28. Februar 2024")]
    html = "<html><body><main><ul class='pressemitteilungen'>" + "".join(
        f"<li><span class='datum'>{d}</span> <a href='{u}'>{h}</a></li>" for h, u, d in rows
    ) + "</ul></main></body></html>"
    records = extract(html, "https://ministerium.example/presse", None).records
    assert [(r.headline, r.published) for r in records] == [
        ("Neue Förderrichtlinie für Gewässerschutz veröffentlicht", "2024-03-12"),
        ("Ministerin besucht Hochwasserschutzanlage an der Elbe", "2024-03-05"),
        ("Jahresbericht zur Luftqualität in den Städten vorgestellt", "2024-02-28"),
    ]


@pytest.mark.parametrize("text, iso", [
    ("7 March 2024 14:05 GMT", "2024-03-07T14:05:00+00:00"),
    ("Thu, 07 Mar 2024 14:05:00 GMT", "2024-03-07T14:05:00+00:00"),
    ("March 7, 2024 at 2:05 pm UTC", "2024-03-07T14:05:00+00:00"),
    ("Posted 2024-03-07 14:05 GMT by Ann Lee", "2024-03-07T14:05:00+00:00"),
    ("7 March 2024 14:05 +0100", "2024-03-07T14:05:00+01:00"),
    # Ahead of UTC, as a reader takes it (not the POSIX reading dateutil has).
    ("7 March 2024 14:05 UTC+02:00", "2024-03-07T14:05:00+02:00"),
    ("7 March 2024 14:05 GMT-05:00", "2024-03-07T14:05:00-05:00"),
    # Zone names that differ between countries stay out: the time is kept as written.
    ("7 March 2024 14:05 CET", "2024-03-07T14:05:00"),
    ("March 7, 2024 2:05 PM EST", "2024-03-07T14:05:00"),
    # A time range is not an offset.
    ("7 March 2024 14:05-15:00", "2024-03-07T14:05:00"),
])
def test_an_unmistakable_time_zone_is_kept(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("text, iso", [
    # The offset written the short way, as the README's own example has it:
    # never read as UTC itself (two hours off), whatever its length.
    ("7 March 2024 14:05 UTC+2", "2024-03-07T14:05:00+02:00"),
    ("7 March 2024 14:05 GMT+1", "2024-03-07T14:05:00+01:00"),
    ("7 March 2024 14:05 UTC-5", "2024-03-07T14:05:00-05:00"),
    ("7 March 2024 14:05 GMT +1", "2024-03-07T14:05:00+01:00"),
    ("7 March 2024 14:05 UTC+5:30", "2024-03-07T14:05:00+05:30"),
    ("7 March 2024 14:05 UTC+10", "2024-03-07T14:05:00+10:00"),
    # An offset no zone has is not read as one; nor is UTC it follows.
    ("7 March 2024 14:05 UTC+15", "2024-03-07T14:05:00"),
    ("7 March 2024 14:05 +2500 views", "2024-03-07T14:05:00"),
])
def test_a_short_offset_after_utc_or_gmt_is_the_offset_not_utc(text, iso):
    assert parse_date(text) == iso


def test_a_zone_name_dateutil_does_not_know_prints_no_warning():
    # "10:30 JST": the time stays naive (zone names are not trusted), and nothing
    # is written on stderr in the middle of a run's output.
    code = "from scraper.dates import parse_date; print(parse_date('10:30 JST 2022/07/08'))"
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.strip().startswith("2022-07-08") and done.stderr == ""
