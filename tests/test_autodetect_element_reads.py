"""Detection's fast reads of an element answer as the libxml2 XPath they replace.

`markup.string_value` reads text by libxml2's text serialisation and
`texts.has_link` by a walk for <a>, both faster than the XPath calls
detection used before (docs/benchmarks.md, fourth speed session); every
listing detection picks rests on them, so on any markup they must give
exactly what XPath gives: same link texts, same linkless rows.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from scraper.autodetect.texts import has_link
from scraper.markup import parse_html, string_value

_STRING = etree.XPath("string()", smart_strings=False)
_HAS_LINK = etree.XPath("boolean(descendant-or-self::a[@href])")

_PIECES = [
    "<a href='/x'>", "<a>", "<a href=''>", "</a>", "<div>", "</div>", "<span class='t'>", "</span>", "<h2>", "</h2>",
    "<p>", "<br>", "<img src='i.png'>", "<script>var a = '<b>';</script>", "<style>p{}</style>", "<!-- note -->",
    "<?php echo 1; ?>", "<![CDATA[raw]]>", "&amp;", "&nbsp;", "&#x2009;", "\u00ad", "\x0b", "  \n\t ", "Zürich ", "新闻",
    "<li>", "</li>", "<table><tr><td>", "</td></tr></table>", "word",
]
relaxed = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_string_value_and_has_link_agree_with_xpath_on_any_markup(pieces):
    root = parse_html("<html><body>" + "".join(pieces) + "</body></html>")
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue  # comments and processing instructions: detection never reads them as blocks
        assert string_value(el) == _STRING(el)
        assert has_link(el) == _HAS_LINK(el)


def test_a_link_holding_markup_reads_as_its_whole_text():
    root = parse_html("<body><a href='/n'><span>Council</span> <b>adopts</b> budget &amp; plan</a><a name='top'></a></body>")
    first, anchor = root.iter("a")
    assert string_value(first) == "Council adopts budget & plan"
    assert has_link(first) and not has_link(anchor)
