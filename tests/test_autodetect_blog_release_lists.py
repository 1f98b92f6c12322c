"""Automatic detection on blog, release and notice lists (the sixth tuning round, issue 13).

Each rule has the real dev page of tests/corpus/web/ that showed it (the
labels are the expectation, headlines and links exactly) and, where it has
an edge worth pinning, a small page written here.  Hold-out pages are never
tested on.
"""

from __future__ import annotations

import pytest

from bench.extraction_quality import page_text
from scraper.extract import extract
from scraper.selectors import Selectors
from tests.web_pages import LABELS, WEB, detected_items, labelled_items

URL = "https://example.org/news/"


def _records(body: str) -> list:
    return extract(f"<html><body><main>{body}</main></body></html>", URL, None).records


# Rule -> the dev pages that showed it.
EXACT = {
    "rows linked to 'javascript:;' are no items beside rows linked to pages": [
        "zh-wgxy-college-news-page2-sidelist-class.html", "zh-23slxx-school-news-cut-titles.html",
    ],
    "a category link before each title link ('[通知]'), some titles linked to a script": [
        "zh-tztvu-tzgg-category-prefix.html",
    ],
    "a date line set as a heading (h5) under each title link": ["fr-reflechir-category-actualites.html"],
    "a date span after the title link inside the title heading": ["ja-kraiany-news-small.html"],
    "a sidebar list of every post (115 links) beside the page's 10 posts": ["en-flink-blog-page2-archive-sidebar.html"],
    "a blog home page of whole posts, the first one's body full of footnote links": [
        "fi-eksopolitiikka-wordpress-390kb.html",
    ],
    "a permalink mark ('∞'), the post's only link, after the heading's own title text": [
        "en-citrus-releases-permalink-only.html",
    ],
}


@pytest.mark.parametrize(
    "name", [pytest.param(name, id=f"{rule}: {name}") for rule, names in EXACT.items() for name in names]
)
def test_the_labelled_headlines_and_links_exactly(name):
    assert detected_items(name) == labelled_items(name)


_TITLES = ["Council approves the new library budget", "Road works on the harbour bridge this week",
           "Registration opens for the summer sports camps", "Water supply interrupted in the old town",
           "Results of the public consultation on parking"]


def _notice_rows(script_linked: set[int]) -> str:
    rows = "".join(
        f'<li><a href="{"javascript:;" if i in script_linked else f"/news/{i}.html"}">{title}</a>'
        f"<span>2024-03-{10 + i:02d}</span></li>"
        for i, title in enumerate(_TITLES))
    return f'<ul class="notices">{rows}</ul>'


def test_a_row_linked_to_a_script_is_left_out_of_rows_linked_to_pages():
    records = _records(_notice_rows({1, 3}))
    assert [r.headline for r in records] == [_TITLES[0], _TITLES[2], _TITLES[4]]
    assert all(r.url for r in records)


def test_rows_all_linked_to_scripts_are_still_the_listing():
    """A site that opens every item by script: its rows rather than nothing (without a link).
    (Detection takes no script link as a clue, so the selectors are written here.)"""
    page = f"<html><body>{_notice_rows(set(range(len(_TITLES))))}</body></html>"
    records = extract(page, URL, Selectors(item="ul.notices li", headline="a")).records
    assert [r.headline for r in records] == _TITLES
    assert all(r.url is None for r in records)


def _cards(date_heading_first: bool, link_text=None) -> str:
    cards = []
    for i, title in enumerate(_TITLES):
        link = f'<div class="card-header"><a href="/news/{i}.html">{link_text or title}</a></div>'
        date = f"<h5>Published on {10 + i} March 2024 in the categories: town, notices</h5>"
        if link_text:  # the heading is the title; the link only reads "Read more"
            date = f"<h5>{title}, {10 + i} March 2024</h5>"
        body = f"<p>The text of this notice starts here and runs on for a while, number {i}.</p>"
        cards.append(f'<div class="card">{date + link if date_heading_first else link + date}{body}</div>')
    return "".join(cards)


@pytest.mark.parametrize("date_heading_first", [True, False], ids=["date heading above", "date heading below"])
def test_a_date_line_set_as_a_heading_is_no_headline_beside_the_title_link(date_heading_first):
    records = _records(_cards(date_heading_first))
    assert [(r.headline, r.url) for r in records] == [
        (title, f"https://example.org/news/{i}.html") for i, title in enumerate(_TITLES)]
    assert records[0].published == "2024-03-10"


def test_a_heading_with_a_date_in_its_title_stays_the_headline_beside_a_read_more_link():
    records = _records(_cards(True, link_text="Read more"))
    assert [r.headline for r in records] == [f"{t}, {10 + i} March 2024" for i, t in enumerate(_TITLES)]


def test_a_date_inside_the_title_heading_goes_to_published_not_the_headline():
    page = f"{LABELS['ja-kraiany-news-small.html']['url']}"
    records = extract(page_text(WEB, "ja-kraiany-news-small.html", LABELS["ja-kraiany-news-small.html"]), page, None).records
    assert (records[0].headline, records[0].published) == ("大人のためのウクライナ語クラス", "2022-09-02")


def _posts(heading) -> str:
    return "".join(
        f"<article>{heading(i, title)}<p>Posted on {10 + i} March 2024 by the release team.</p>"
        f"<p>This release brings a number of fixes and improvements, described below in full.</p></article>"
        for i, title in enumerate(_TITLES))


@pytest.mark.parametrize("mark", ["∞", "#", "¶", "🔗"])
def test_a_permalink_mark_after_the_title_text_is_no_part_of_the_headline(mark):
    records = _records(_posts(lambda i, t: f'<h2>{t} <a class="permalink" href="/news/{i}.html">{mark}</a></h2>'))
    assert [(r.headline, r.url) for r in records] == [
        (title, f"https://example.org/news/{i}.html") for i, title in enumerate(_TITLES)]


def test_a_permalink_mark_after_the_title_link_is_no_part_of_the_headline():
    records = _records(_posts(
        lambda i, t: f'<h2><a href="/news/{i}.html">{t}</a> <a class="anchor" href="#post-{i}">¶</a></h2>'))
    assert [(r.headline, r.url) for r in records] == [
        (title, f"https://example.org/news/{i}.html") for i, title in enumerate(_TITLES)]


def test_a_heading_of_a_title_link_and_a_subtitle_stays_whole():
    """Only dates and marks are cut after the title link, not words."""
    records = _records(_posts(lambda i, t: f'<h2><a href="/news/{i}.html">{t}</a> <span>part two</span></h2>'))
    assert [r.headline for r in records] == [f"{t} part two" for t in _TITLES]


_ARCHIVE = [f"Notes from the field, part {n}: what we learned this month" for n in range(1, 25)]


def _blog_with_archive(teasers: int, listed: int = len(_ARCHIVE)) -> str:
    posts = "".join(
        f'<article><h2><a href="/blog/{n}.html">{_ARCHIVE[n]}</a></h2><p>March {n + 1}, 2024</p>'
        f"<p>A teaser of this post, long enough to read as one, about what happened this month.</p>"
        f'<p><a href="/blog/{n}.html">Continue reading »</a></p></article>'
        for n in range(teasers))
    archive = "".join(f'<li><a href="/blog/{n}.html">{title}</a></li>' for n, title in enumerate(_ARCHIVE[:listed]))
    return (f'<div class="row"><div class="col-8">{posts}</div>'
            f'<div class="col-4"><h3>All posts</h3><ul id="toc">{archive}</ul></div></div>')


def test_a_list_of_every_post_beside_the_page_of_posts_is_an_index_not_the_listing():
    records = _records(_blog_with_archive(6))
    assert [(r.headline, r.url) for r in records] == [
        (_ARCHIVE[n], f"https://example.org/blog/{n}.html") for n in range(6)]


@pytest.mark.parametrize("teasers, listed", [(3, len(_ARCHIVE)), (6, 12)],
                         ids=["three teasers", "a list not three times as long as the teasers"])
def test_a_list_of_headlines_repeating_a_few_featured_teasers_stays_the_listing(teasers, listed):
    """Headed teasers above a list that repeats them are the list's featured few, not a page
    of posts, when they are three or fewer, or the list is not much longer than they are
    (the newest stories, some shown large): no index of older posts."""
    records = _records(_blog_with_archive(teasers, listed))
    assert len(records) == listed


def _whole_posts() -> str:
    notes = "".join(
        f'<p>[{n}] See <a href="https://example.com/source/{n}">the source document number {n} on the archive '
        f"site</a>, cited here for the claim made in paragraph {n} of this long post.</p>" for n in range(30))
    posts = []
    for n in range(4):
        body = "<p>The whole text of the post, shown on the home page as this blog does.</p>" * 3
        posts.append(f'<article class="post"><h1><a href="/blog/{n}/">{_ARCHIVE[n]}</a></h1>'
                     f'<div class="entry-content">{body}{notes if n == 0 else ""}</div></article>')
    return "".join(posts)


def test_a_run_of_footnote_paragraphs_inside_one_whole_post_is_no_listing():
    records = _records(_whole_posts())
    assert [(r.headline, r.url) for r in records] == [
        (_ARCHIVE[n], f"https://example.org/blog/{n}/") for n in range(4)]
