"""Word diffs of edited text (monitor.wordiff), as tables and properties: no I/O."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor import wordiff
from monitor.changes import ItemText
from monitor.report import RunReport, SourceReport, render_text
from monitor.wordiff import DELETE, EQUAL, INSERT, Segment, diff
from scraper.items import Record


@pytest.mark.parametrize("old, new, marked", [
    ("the quick brown fox", "the slow red fox", "the [-quick brown-]{+slow red+} fox"),
    ("Ministers sign accord", "Corrected: Ministers sign accord", "{+Corrected: +}Ministers sign accord"),
    ("UNECE launches guidelines", "UNECE launches new guidelines", "UNECE launches {+new +}guidelines"),
    ("over 218 deaths, 6,000 injured", "over 220 deaths, 6,000 injured", "over [-218-]{+220+} deaths, 6,000 injured"),
    ("a b c", "a c", "a [-b -]c"),
    ("same text", "same text", "same text"),
    ("", "all new", "{+all new+}"),
    ("all gone", "", "[-all gone-]"),
    ("enter into force.", "entered into force!", "[-enter-]{+entered+} into force[-.-]{+!+}"),
])
def test_plain_marks_whole_words(old, new, marked):
    assert wordiff.render_plain(diff(old, new)) == marked


def test_segments_name_what_each_version_has():
    assert diff("in Geneva on Monday", "in Geneva on Tuesday") == [
        Segment(EQUAL, "in Geneva on "), Segment(DELETE, "Monday"), Segment(INSERT, "Tuesday")]


def test_html_escapes_every_scraped_character():
    old, new = "Safe <b>title</b>", "<script>alert('x')</script> & title"
    marked = wordiff.render_html(diff(old, new), del_style='color:"red"')
    assert "<script" not in marked and "<b>" not in marked and "</b>" not in marked
    assert '<del style="color:&quot;red&quot;">' in marked and "<ins>" in marked
    # Read as a browser would: the new version is the text outside <del>, the old outside <ins>.
    tags = re.compile(r"</?(?:del|ins)[^>]*>")
    assert html.unescape(tags.sub("", re.sub(r"<del[^>]*>.*?</del>", "", marked))) == new
    assert html.unescape(tags.sub("", re.sub(r"<ins[^>]*>.*?</ins>", "", marked))) == old


def test_terminal_renderings_drop_control_characters():
    segments = diff("plain", "evil\x1b]0;pwned\x07 text")
    for render in (wordiff.render_plain, wordiff.render_ansi):
        assert "\x07" not in render(segments) and "\x1b]" not in render(segments)
    assert wordiff.render_ansi(diff("a b", "a c")) == "a \x1b[31;9mb\x1b[0m\x1b[32;4mc\x1b[0m"


def test_compact_cuts_long_unchanged_stretches_only():
    words = " ".join(f"w{n}" for n in range(40))
    segments = diff(words + " old " + words, words + " new " + words)
    short = wordiff.render_plain(wordiff.compact(segments, context=3))
    assert short == "… w37 w38 w39 [-old-]{+new+} w0 w1 w2 …"
    untouched = diff(words, words)
    assert wordiff.compact(untouched) == untouched


_text = st.lists(st.sampled_from(["water", "Geneva", "218", " ", "  ", ",", ".", "é", "«", "\n\n", "<b>", "&"]),
                 max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_text, _text)
def test_a_diff_holds_both_versions_exactly(old, new):
    segments = diff(old, new)
    assert wordiff.old_text(segments) == old and wordiff.new_text(segments) == new
    assert wordiff.changed(segments) == (old != new)
    assert all(s.text for s in segments)


def test_terminal_report_marks_an_updated_item():
    record = Record("news", "Ministers sign the accord", "Signed in Geneva on Tuesday.", "https://e.org/1", None, 0)
    source = SourceReport("news", "https://e.org/", "ok", 1, updated=[record],
                          previous={record.key: ItemText("Ministers sign accord", "Signed in Geneva on Monday.")})
    report = RunReport("r", "t", sources=[source])
    plain = render_text(report)
    assert "  * Ministers sign {+the +}accord" in plain
    assert "    Signed in Geneva on [-Monday-]{+Tuesday+}." in plain.splitlines()
    coloured = render_text(report, color=True)
    assert "\x1b[32;4mthe \x1b[0m" in coloured and "[-" not in coloured
    assert report.to_json()["sources"][0]["updated"][0]["previous"] == {
        "headline": "Ministers sign accord", "summary": "Signed in Geneva on Monday."}


def _sentences(n: int, changed: set[int] = frozenset()) -> str:
    return " ".join(f"Sentence {i} says {'something else' if i in changed else 'the same thing'} about water."
                    for i in range(n))


def test_long_texts_are_diffed_word_by_word_within_edited_sentences():
    """Past WORD_LIMIT tokens of changed text, sentences are matched first; the
    words of an edited sentence are still marked one by one."""
    old, new = _sentences(300), _sentences(300, changed={5, 150, 290})
    assert len(wordiff.tokens(old)) > 5 * wordiff.WORD_LIMIT
    segments = diff(old, new)
    assert wordiff.old_text(segments) == old and wordiff.new_text(segments) == new
    edits = [(s.kind, s.text) for s in segments if s.kind != EQUAL]
    assert edits == [(DELETE, "the same thing"), (INSERT, "something else")] * 3


def test_a_long_text_without_sentences_still_diffs_completely():
    old = " ".join(f"w{n % 7}" for n in range(3000))
    new = " ".join(f"w{n % 7}" if n % 40 else "x" for n in range(3000))
    segments = diff(old, new)
    assert wordiff.old_text(segments) == old and wordiff.new_text(segments) == new
    assert wordiff.changed(segments)
