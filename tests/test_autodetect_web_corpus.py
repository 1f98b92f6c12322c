"""Automatic detection on real pages of the web corpus, one test per failure class of issue 13.

Every page here is from the development split of tests/corpus/web/ (the
hold-out pages are only scored, never tested on), and every expectation is
the page's label: its headlines and links exactly as the labeller wrote them.
"""

from __future__ import annotations

import json
import re

import pytest
from lxml import etree, html as lxml_html

from bench.extraction_quality import page_text, same_spelling
from scraper.autodetect import detect_listing
from scraper.extract import extract
from scraper.markup import parse_html
from scraper.selectors import SELECTOR_KEYS, select
from tests.helpers import Page, tidings, write_config
from tests.web_pages import LABELS, WEB, dev_extraction, detected_items, labelled_items


# Failure class -> the dev pages that showed it.
EXACT = {
    "slider above the listing": ["bn-newschittagong24-category-page5.html", "bn-newschittagong24-category.html"],
    "label widget of a blog platform": ["en-blogspot-facebookpostmarketing.html"],
    "four posts around a list of book links": ["en-mightyfingers-blog-page4.html"],
    "title box inside a card link": ["en-fbo-gov-opportunities-table.html"],
    "a pager row ('More') in a table of stories": ["en-hackernews-stories-91-120.html"],
    "featured first post styled apart, breadcrumb beside it": ["en-serverworlds-blog-featured.html"],
    "headlines without spaces (Chinese, Japanese)": [
        "ja-ediaryhiroko-blog.html", "ja-kijonan-category-page9.html", "zh-jslcae-industry-news-list.html",
    ],
    "sticky threads in a list of their own": ["de-mindfactory-vbulletin.html"],
    "news home page: the lead box, not the boxes of other sections": ["en-wired-home-1mb.html"],
    "the posts in a blog platform's 'widget' in the main column": ["en-googleblog-blogspot-home.html"],
    "posts nested in one another (tags left open)": ["en-danwin-articles-page5.html"],
    "titles whose words are joined by no-break spaces": ["en-rumorfix-page4.html"],
    "posts whose category names read like regions ('category-slideshow')": ["en-rumorfix-home-slider.html"],
    "a table's heading row built like its rows ('BLOG Entries')": ["en-pcbheaven-home-blog-table.html"],
    "category links of several words in each post's meta box ('Public interest technology')": [
        "en-nccgroup-research-blog-770kb.html",
    ],
    "a box below the listing of the very same cards ('Video picks'), named apart only high up": [
        "zh-8world-world-cards.html",
    ],
    "a box of the newest stories above the day's list, in the rows' very build (an ad strip between)": [
        "ja-yomiuri-national-featured.html",
    ],
    "a static site's notice table: header rows of bare cells, a pager row '2' to index_1.html": [
        "zh-pmodlh-cas-observatory-notices-table.html",
    ],
    "a front page's stream set in two columns, two lists of one build (ul.stories.col-A, col-B)": [
        "de-derstandard-home.html",
    ],
    "whole-card links wrapping one unnamed box of title, teaser and date line boxes": [
        "en-vlr-esports-news-cards.html", "en-vlr-esports-news-page2.html",
    ],
    "a box of featured cards above the list, titled in headings where the rows title in a span": [
        "en-anthropic-newsroom-cards.html",
    ],
    "news home page: section boxes titled by a heading with no link ('おもしろ', '影片'), a 'more news' box "
    "continuing the lead": ["ja-maidona-home-sections.html", "zh-bbc-zhongwen-home-390kb.html"],
    "a forum index: each forum's row holds a list of its sub-forums' links (right to left)": [
        "fa-askdin-vbulletin-forum-index.html",
    ],
    "a card link whose 'PRESS RELEASE | date' line is named like a heading ('sub-heading') above the title": [
        "en-census-gov-press-releases.html",
    ],
}


@pytest.mark.parametrize(
    "name", [pytest.param(name, id=f"{cls}: {name}") for cls, names in EXACT.items() for name in names]
)
def test_the_labelled_headlines_and_links_exactly(name):
    assert detected_items(name) == labelled_items(name)


def test_short_titles_in_headings_count_as_headlines():
    """"Animation editor" (two words) and "誤算" (two characters) are post titles: their headings say so."""
    assert ("Animation editor", "http://mightyfingers.com/blog/animation-editor/") in detected_items(
        "en-mightyfingers-blog-page4.html")
    assert "誤算" in [headline for headline, _ in detected_items("ja-ediaryhiroko-blog.html")]


def test_pager_and_menu_links_are_no_items():
    for name in ("en-hackernews-stories-91-120.html", "en-serverworlds-blog-featured.html"):
        headlines = [headline for headline, _ in detected_items(name)]
        assert not {"More", "Home", "Next »"} & set(headlines), name


def test_date_line_above_the_teaser_is_the_date_not_the_summary():
    """"aprile 25, 2016 - 5:47 pm" above each teaser: published, and kept out of the summary."""
    records = dev_extraction("it-darkveins-news-slider.html").records
    assert [r.published for r in records[:3]] == ["2016-04-25T17:47:00", "2016-04-25T16:25:00", "2016-04-25T15:22:00"]
    assert records[0].summary.startswith("La label svedese Last Exit Entertainment ha annunciato")
    assert not any(re.search(r"aprile \d+, 2016", r.summary) for r in records)


def _hash_like(name: str) -> bool:
    """A CSS-in-JS class of Wired's page: "kFnjUG", "hLHDWh", "SummaryItemHedLink-civMjp"."""
    tail = name.rsplit("-", 1)[-1]
    return bool(re.fullmatch(r"[A-Za-z]{5,7}", tail)) and tail.lower() != tail and not re.fullmatch(
        r"[A-Z]?[a-z]+(?:[A-Z][a-z]+)*", tail)


def test_generated_class_names_name_nothing():
    """Wired's home page: CSS-in-JS class names (a.kFnjUG) change with the next deploy, so no
    selector rests on them."""
    detection = dev_extraction("en-wired-home-1mb.html").detection
    for key in SELECTOR_KEYS:
        selector = getattr(detection.selectors, key) or ""
        assert not [c for c in re.findall(r"\.([A-Za-z_][\w-]*)", selector) if _hash_like(c)], (key, selector)


def test_a_news_home_page_gives_its_lead_box_and_is_sure_of_it():
    """Wired's home page: a lead story, two below it and a column of five beside them, each part in
    a wrapper of its own, are one listing; the boxes below, each headed by a link to its section
    ("Longreads", "Business", "Culture"), are other sections and none of their stories comes out."""
    extraction = dev_extraction("en-wired-home-1mb.html")
    assert [(r.headline, same_spelling(r.url)) for r in extraction.records] == labelled_items("en-wired-home-1mb.html")
    assert not {"Nvidia Hardware Is Eating the World", "Bitcoin Royalty Descends on the Satoshi Nakamoto Trial"} & {
        r.headline for r in extraction.records}
    assert not extraction.detection.unsure


def test_a_news_home_page_leaves_out_the_boxes_of_other_sections_built_like_its_top_stories():
    """CNN International's home page: its top stories column and the BUSINESS, SPORT, TRAVEL ...
    boxes below are all `ul.cnn_bulletbin > li`; the column's bullets come out, no story of the
    boxes (their links carry hpt=hp_bn), and detection says it is unsure."""
    extraction = dev_extraction("en-cnn-international-home.html")
    found = [url for _, url in detected_items("en-cnn-international-home.html")]
    labelled = [url for _, url in labelled_items("en-cnn-international-home.html")]
    assert set(labelled[1:]) <= set(found)  # every bullet; the lead story above them is missed
    assert not [url for url in found if "hpt=hp_bn" in url]
    assert len(found) <= len(labelled) + 3
    assert extraction.detection.unsure


def test_a_news_home_page_gives_its_lead_boxes_not_the_run_of_sections_or_the_news_ticker():
    """Die Welt's home page (1.8 MB): headlines, a box of more top stories and a "best of" box, then
    a run of boxes each headed by a link to its section (Panorama, Kultur, Sport ...), all built as
    article.c-teaser, and a news ticker of 60 lines at the bottom.  The lead boxes' stories come
    out, named box by box; none of the sections' and none of the ticker's."""
    extraction = dev_extraction("de-welt-home-2mb.html")
    found = [url for _, url in detected_items("de-welt-home-2mb.html")]
    labelled = [url for _, url in labelled_items("de-welt-home-2mb.html")]
    assert set(labelled[1:]) <= set(found)  # all but the hero story above them
    assert len(found) <= len(labelled) + 6  # the "best of" box after the lead boxes
    assert "newsticker" not in extraction.detection.selectors.item


@pytest.mark.parametrize("name", ["en-flyordie-forum-table.html", "en-flyordie-forum-page6.html"])
def test_forum_rows_of_a_title_cell_and_a_last_post_cell_are_one_item_each(name):
    """A thread's title cell and its "last post by" cell are one table row: every thread comes out
    once, by its title, short titles ("pop-up ads") too; the row of page numbers below the threads,
    built like a thread row, is no item ("2": a bare page number is a pager link)."""
    assert detected_items(name) == labelled_items(name)


def _boxes(sections: list[tuple[str, str]], stories: int = 4) -> str:
    """A page of boxes of stories, each box headed by `(heading text, heading link)`."""
    boxes = []
    for n, (name, href) in enumerate(sections):
        head = f'<h2><a href="{href}">{name}</a></h2>' if href else f"<h2>{name}</h2>"
        rows = "".join(f'<div class="story"><h3><a href="/story/{n}-{i}">Story number {i} of the box called {name}</a></h3>'
                       f"<p>A teaser that says a little more about story {i}.</p></div>" for i in range(stories))
        boxes.append(f'<section class="box">{head}<div class="stories">{rows}</div></section>')
    return f"<html><body><main>{''.join(boxes)}</main></body></html>"


def test_boxes_headed_by_links_to_their_sections_give_the_first_box_only():
    """Boxes built alike, the first of top stories, the others each headed by a link to its
    section: the first box's stories, picked by its place among the boxes."""
    page = _boxes([("Top stories", ""), ("Business", "/business/"), ("Culture", "/culture/"), ("Sport", "/sport/")])
    extraction = extract(page, "https://news.example/", None)
    assert [r.headline for r in extraction.records] == [
        f"Story number {i} of the box called Top stories" for i in range(4)]
    assert extraction.records[0].summary == "A teaser that says a little more about story 0."


def test_boxes_headed_by_months_or_by_one_repeated_word_stay_one_listing():
    """An archive grouped by month ("March 2016" linking to its month) is one listing, and so are
    boxes that all read the same: neither is a run of sections."""
    months = _boxes([("April 2016", "/2016/04/"), ("March 2016", "/2016/03/"), ("February 2016", "/2016/02/")])
    assert len(extract(months, "https://blog.example/", None).records) == 12
    same = _boxes([("Archive", "/archive/"), ("Archive", "/archive/"), ("Archive", "/archive/")])
    assert len(extract(same, "https://blog.example/", None).records) == 12


# --- confidence --------------------------------------------------------------


def test_one_clear_listing_is_sure():
    detection = dev_extraction("en-icontact-blog.html").detection
    assert (detection.confidence, detection.reasons, detection.runner_up, detection.unsure) == (1.0, (), None, False)


def test_a_rival_listing_close_in_score_makes_detection_unsure_and_names_it():
    """A motorcycle blog whose sidebar of RSS widgets weighs nearly as much as its posts."""
    detection = dev_extraction("id-indomotoblog-home-rss-widgets.html").detection
    assert detection.selectors.item == "div.post"
    assert detection.unsure and detection.confidence < 0.7
    assert detection.reasons == ("another listing scores nearly as high (80% of the chosen one's score)",)
    assert "rsswidget" in detection.runner_up.item or "widget_rss" in detection.runner_up.item


def _first_items(name: str, keep: int) -> str:
    """The page with only the first `keep` items of its detected listing left."""
    label = LABELS[name]
    doc = lxml_html.fromstring(page_text(WEB, name, label))
    item = detect_listing(doc, label["url"]).selectors.item
    for block in select(item, doc)[keep:]:
        block.getparent().remove(block)
    return etree.tostring(doc, encoding="unicode", method="html")


def test_a_listing_of_two_items_is_unsure():
    page = _first_items("en-icontact-blog.html", 2)
    detection = detect_listing(parse_html(page), LABELS["en-icontact-blog.html"]["url"])
    assert len(detection.blocks) == 2
    assert detection.unsure
    assert "the listing has only 2 items" in detection.reasons


# --- through the CLI -----------------------------------------------------------


def _serve(site, name: str, body: str | None = None) -> str:
    label = LABELS[name]
    site.pages["/listing"] = Page(body if body is not None else page_text(WEB, name, label))
    return site.url("/listing")


def test_preview_says_when_it_is_unsure_on_stderr_and_keeps_the_json(site, tmp_path):
    url = _serve(site, "id-indomotoblog-home-rss-widgets.html")
    result = tidings("preview", url, "--json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    records = json.loads(result.stdout)
    assert isinstance(records, list) and records
    assert all(set(r) == {"headline", "summary", "url", "published", "position"} for r in records)
    lines = [line for line in result.stderr.splitlines() if line.startswith("tidings:")]
    assert lines[0].startswith("tidings: detection is unsure of the listing (confidence ")
    assert "another listing scores nearly as high" in lines[0]
    assert lines[1].startswith("tidings: runner-up listing: item = ") and "widget_rss" in lines[1]


def test_emit_config_says_it_is_unsure_in_a_comment(site, tmp_path):
    url = _serve(site, "id-indomotoblog-home-rss-widgets.html")
    result = tidings("preview", url, "--emit-config", cwd=tmp_path)
    assert result.code == 0, result.stderr
    comments = [line for line in result.stdout.splitlines() if line.startswith("#")]
    assert any(line.startswith("# detection is unsure of the listing") for line in comments)
    assert any(line.startswith("#   item = ") and "widget_rss" in line for line in comments)
    assert {'item = "div.post"', "item = 'div.post'"} & set(result.stdout.splitlines())  # the pinned block is the chosen listing's


def test_a_sure_preview_says_nothing_about_confidence(site, tmp_path):
    url = _serve(site, "en-icontact-blog.html")
    result = tidings("preview", url, "--json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert "detection is" not in result.stderr
    assert [(r["headline"], same_spelling(r["url"])) for r in result.json] == labelled_items("en-icontact-blog.html")


def test_run_reports_a_flip_to_another_region_as_suspect_not_as_news(site, tmp_path):
    """The blog's posts vanish from the page (a broken template): detection falls back on the
    sidebar's RSS widgets, hundreds of links never seen.  The source is suspect, nothing is new,
    and when the posts are back the run is ok with nothing new either."""
    name = "id-indomotoblog-home-rss-widgets.html"
    url = _serve(site, name)
    config = write_config(tmp_path / "tidings.toml", [{"name": "moto", "url": url}])
    db = tmp_path / "archive.db"
    first = tidings("run", "--config", str(config), "--db", str(db), "--json", cwd=tmp_path)
    assert first.code == 0, first.stderr
    assert first.json["sources"][0]["status"] == "baseline"

    _serve(site, name, _first_items(name, 0))
    flipped = tidings("run", "--config", str(config), "--db", str(db), "--json", cwd=tmp_path)
    source = flipped.json["sources"][0]
    assert flipped.code == 1
    assert source["status"] == "suspect"
    assert source["new"] == []
    assert "automatic detection switched to another part of the page" in source["error"]
    assert "'div.post'" in source["error"] and "widget_rss" in source["error"]

    _serve(site, name)
    back = tidings("run", "--config", str(config), "--db", str(db), "--json", cwd=tmp_path)
    assert back.code == 0, back.stderr
    assert (back.json["sources"][0]["status"], back.json["sources"][0]["new"]) == ("ok", [])


@pytest.mark.parametrize(
    "text, expected",
    [("aprile 25, 2016 - 5:47 pm", "2016-04-25T17:47:00"), ("aprile 25, 2016", "2016-04-25"),
     ("marzo 3, 2016", "2016-03-03"), ("News | 05 September 2019", "2019-09-05")],
)
def test_date_lines_with_the_month_first(text, expected):
    from scraper.dates import parse_date

    assert parse_date(text) == expected


def test_an_event_card_of_two_links_is_one_item():
    """No dev page shows this class (the hold-out's events calendar does, and is only scored): cards
    whose title and venue are two links side by side give one item each, headed by the title."""
    events = [("Spring jazz night at the riverside", "Riverside Concert Hall"),
              ("Farmers market opens for the season", "Old Town Square Market"),
              ("Children's theatre: The Little Prince", "Municipal Youth Theatre"),
              ("Lecture on the history of the harbour", "Maritime Museum Auditorium")]
    cards = "".join(f'<div class="event"><a href="/events/{n}">{title}</a> <a href="/venues/{n}">{venue}</a>'
                    f"<span>12 April 2024</span></div>" for n, (title, venue) in enumerate(events))
    page = f"<html><body><main><h1>What's on</h1><div class='events'>{cards}</div></main></body></html>"
    records = extract(page, "https://city.example/events", None).records
    assert [(r.headline, r.url) for r in records] == [
        (title, f"https://city.example/events/{n}") for n, (title, _) in enumerate(events)]


def test_a_kicker_span_before_the_headline_span_in_a_card_link_is_not_the_headline():
    """No dev page shows this class (the issue saw it on an unseen news home page): the whole card
    is one link holding a kicker ("Exclusive", "Ukraine:") and the headline, unnamed spans both;
    the headline is the headline span.  A short title above a code stays the title (fbo's rows)."""
    stories = [("Exclusive", "Inside the race to build the first reusable moon lander"),
               ("Ukraine:", "Grain ships leave Odesa under a new corridor agreement"),
               ("War and Peace", "Give me propaganda or give me death, a reporter's choice"),
               ("Covid-19", "Hospitals brace for a winter of three viruses at once")]
    cards = "".join(f'<li><a href="/story/{n}"><span>{kicker}</span><span>{headline}</span><span>5 min read</span></a></li>'
                    for n, (kicker, headline) in enumerate(stories))
    page = f"<html><body><main><h1>Top stories</h1><ul class='stories'>{cards}</ul></main></body></html>"
    records = extract(page, "https://news.example/", None).records
    assert [(r.headline, r.url) for r in records] == [
        (headline, f"https://news.example/story/{n}") for n, (_, headline) in enumerate(stories)]
    assert detected_items("en-fbo-gov-opportunities-table.html") == labelled_items("en-fbo-gov-opportunities-table.html")


def test_a_news_home_stream_with_promos_and_a_box_among_its_teasers_is_the_stream():
    """Le Figaro's home page: 50-odd teasers (section.fig-profil, each with modifier classes of its
    own), with an ad promo, a flash widget and two boxes of three stories among them, all children of
    one column.  That column's teasers are the listing, not the one box of six stories nested in it:
    the few blocks without the teasers' class each hold a headline, so they are no page parts."""
    found = detected_items("fr-lefigaro-home-390kb.html")
    labelled = labelled_items("fr-lefigaro-home-390kb.html")
    assert found[0] == labelled[0]
    assert len(set(found) & set(labelled)) >= 0.8 * len(labelled)
    assert len(set(found) - set(labelled)) <= 3  # the ad promo, the first stories of two partner widgets


def test_a_most_read_list_headed_in_another_language_is_no_more_headlines_list():
    """Die Presse's home page: a "Meistgelesen" (most read) list of five title links follows the lead
    boxes; its stories are older ones, each reported new if taken, so it stays out, as "Most read" does."""
    found = detected_items("de-diepresse-home-boxes.html")
    assert "mostr" not in dev_extraction("de-diepresse-home-boxes.html").detection.selectors.item
    assert not {url for _, url in found} - {url for _, url in labelled_items("de-diepresse-home-boxes.html")} - {
        same_spelling("http://diepresse.com/home/advertorial/4873495/Valentinstag_PressePraesente-die-von-Herzen-kommen"
                      "?_vl_backlink=/home/index.do")}


def test_a_most_recent_posts_box_after_the_posts_is_no_more_headlines_list():
    """NCC Group's research blog: a "Most recent posts" list of five title links after the posts repeats
    the newest posts; it is the blog's widget, not more headlines of the listing, so the item
    selector leaves it out (and the posts keep their own headline selector)."""
    selectors = dev_extraction("en-nccgroup-research-blog-770kb.html").detection.selectors
    assert "posts-by-date" not in selectors.item
    assert selectors.headline != "a"


def test_a_wrappers_state_class_names_no_region_around_the_content():
    """8world's world section: the page wrapper around <main> says "skinner-ads-enabled" (a state:
    ads are on), which named it an ad region and weighed every card down, so the cards' inner parts
    won (one record per title, per category link "国际", per time).  Every card is one item now."""
    found = detected_items("zh-8world-world-cards.html")
    assert set(labelled_items("zh-8world-world-cards.html")) <= set(found)
    assert "国际" not in [headline for headline, _ in found]
    assert not dev_extraction("zh-8world-world-cards.html").detection.selectors.item.endswith("> div")


def _rows(prefix: str, count: int) -> str:
    return "".join(
        f'<li class="row"><article><div class="row__text"><h3><a href="/{prefix}/{i}">Story number {i} of the'
        f' {prefix} list, told at length</a></h3></div><div class="row__meta">3 June 2024</div></article></li>'
        for i in range(count))


def test_a_most_read_box_above_the_listing_built_like_its_rows_stays_out():
    """Yomiuri's rule (a box of the newest stories above the day's list, in the rows' very build,
    joins it) stops at a box whose heading names another kind of list: "Most read" stories are old
    ones, each reported new if taken."""
    page = ("<html><body><main>"
            f'<div class="box-top"><section><h2>Most read</h2><ul class="list">{_rows("popular", 3)}</ul></section></div>'
            f'<div class="box-main"><section><h2>Latest</h2><ul class="list" id="latest">{_rows("news", 8)}</ul>'
            "</section></div></main></body></html>")
    headlines = [r.headline for r in extract(page, "https://news.example/", None).records]
    assert len(headlines) == 8 and all("news list" in h for h in headlines)
    newest = page.replace("Most read", "Newest")
    assert len(extract(newest, "https://news.example/", None).records) == 11  # the rule itself


def test_a_main_column_saved_once_per_regional_edition_gives_its_stories_rather_than_nothing():
    """ABC News' home page holds its main column nine times, one per regional edition (a style sheet
    shows one).  No selector names one edition alone, and the editions' rows are built a little
    differently, so every headline selector also found headlines in the "stray" rows and detection
    gave nothing.  Now it gives the editions' stories (the labelled national edition's among them)."""
    found = set(detected_items("en-abc-news-home-state-editions.html"))
    assert set(labelled_items("en-abc-news-home-state-editions.html")) <= found


def test_a_news_home_boxes_named_by_headings_stop_at_the_first_named_box_after_the_lead():
    """Die Welt's home page: the "Schlagzeilen" box and the untitled box of top stories after it
    lead; "Das Beste von WELTPLUS" (a heading of four words, no link) is the first box of the
    run of named boxes ("Spiele", "Panorama", ...), so its stories stay out.  The hero story
    above the lead boxes, in a wrapper of its own, is the first item."""
    name = "de-welt-home-2mb.html"
    assert detected_items(name) == labelled_items(name)


def test_boxes_each_named_by_a_section_heading_are_no_listing_nor_is_a_live_ticker():
    """Le Monde's home page: two dozen boxes, each opening with its section's <h1> ("Sport",
    "Planète") and holding several stories, outweighed every list of stories, and after them the
    "En continu" (live ticker) column did.  The stories of the main column are found now; their
    headlines still carry a "Post de blog" marker and the lead story above them is missed."""
    name = "fr-lemonde-home-360kb.html"
    found = {url for _, url in detected_items(name)}
    labelled = {url for _, url in labelled_items(name)}
    assert len(found) >= 16 and found <= labelled


@pytest.mark.parametrize("name, dates", [
    # "<i class=flag/> <span>•</span> June 19, 2026 <span>•</span> by ChickenJoe": a date line of several parts
    pytest.param("en-vlr-esports-news-cards.html", ["2026-06-19", "2026-06-19", "2026-06-19"], id="date line of parts"),
    # "2021年04月08日": the year touches a word character, there is no word boundary before 年
    pytest.param("zh-nuc-bigdata-school-notices-link-date.html", ["2021-04-08", "2019-10-31", "2021-05-31"], id="CJK date"),
    # "03 февраля 2016": Russian months, in the genitive a date takes
    pytest.param("ru-streetstorm-blog-cp1251.html", ["2016-02-17", "2016-02-03", "2015-12-18"], id="Russian months"),
    # "By <a>VJR Nephro</a> in <a>...</a>" and "<p class=date-comments>April 21, 2026</p>" in one
    # unnamed wrapper: the date is named, not the wrapper
    pytest.param("th-vajira-nephrology-news-small.html", ["2026-04-21", "2026-04-21", "2026-03-13"], id="date beside a byline"),
])
def test_the_date_each_row_shows_is_published(name, dates):
    records = dev_extraction(name).records
    assert [r.published for r in records[:3]] == dates
    assert all(r.published for r in records)
    assert [url for _, url in detected_items(name)] == [url for _, url in labelled_items(name)]  # the items as before


@pytest.mark.parametrize("name, link_text", [
    pytest.param("en-taximobility-blog-page4.html", "Read More →", id="at the end of the teaser"),
    pytest.param("id-koni-karimun-berita-category.html", "Read More »", id="a paragraph after the teaser"),
    pytest.param("en-ecochildsplay-category.html", "[Read more...]", id="in brackets"),
    pytest.param("it-darkveins-news-slider.html", "Continua a leggere »", id="in Italian"),
    pytest.param("es-juanmerodio-blog.html", "Sigue leyendo →", id="in Spanish"),
])
def test_the_read_more_link_that_ends_a_teaser_is_no_part_of_the_summary(name, link_text):
    records = dev_extraction(name).records
    teasers = [r.summary for r in records if r.summary]
    assert len(teasers) >= 3
    assert not any(link_text in summary for summary in teasers)
    assert all(len(summary) >= 40 for summary in teasers)  # the teaser itself stays


def test_a_kicker_span_before_the_headline_span_in_a_linked_heading_is_not_the_headline():
    """No dev page shows this class (the issue saw it on an unseen news home page): the headline
    link in each teaser's heading holds a kicker and the headline, unnamed spans both; the
    headline is the headline span.  A heading of one run of text stays whole."""
    stories = [("Exclusive", "Inside the race to build the first reusable moon lander"),
               ("Ukraine:", "Grain ships leave Odesa under a new corridor agreement"),
               ("War and Peace", "Give me propaganda or give me death, a reporter's choice"),
               ("Covid-19", "Hospitals brace for a winter of three viruses at once")]
    teasers = "".join(
        f'<article class="teaser"><h3><a href="/story/{n}"><span>{kicker}</span> <span>{headline}</span></a></h3>'
        f'<p>A teaser that says a little more about story {n}, and then some.</p></article>'
        for n, (kicker, headline) in enumerate(stories))
    page = f"<html><body><main><h1>Top stories</h1><section class='stream'>{teasers}</section></main></body></html>"
    records = extract(page, "https://news.example/", None).records
    assert [(r.headline, r.url) for r in records] == [
        (headline, f"https://news.example/story/{n}") for n, (_, headline) in enumerate(stories)]
    whole = page.replace("</span> <span>", " ")
    assert [r.headline for r in extract(whole, "https://news.example/", None).records] == [
        f"{kicker} {headline}" for kicker, headline in stories]


def test_a_card_link_of_title_author_date_and_reading_time_spans_in_one_wrapper_gives_the_title():
    """No dev page shows this class (the issue saw it on unseen pages): the whole card is one link
    whose one wrapper holds the title, author, date and reading-time spans; the headline is the
    title span, and the date is the item's date."""
    posts = [("How we cut our build times in half with remote caching", "Jane Doe", "March 3, 2024"),
             ("A field guide to flaky tests and how to fix them", "Omar Haddad", "February 27, 2024"),
             ("Why our API now speaks HTTP/3 by default", "Li Wei", "February 20, 2024"),
             ("Lessons from a year of running Postgres on ARM", "Ana Souza", "February 12, 2024")]
    cards = "".join(f'<li><a href="/blog/{n}"><div><span>{title}</span><span>{author}</span>'
                    f'<span>{date}</span><span>5 min read</span></div></a></li>'
                    for n, (title, author, date) in enumerate(posts))
    page = f"<html><body><main><h1>Engineering blog</h1><ul class='posts'>{cards}</ul></main></body></html>"
    records = extract(page, "https://dev.example/blog/", None).records
    assert [(r.headline, r.url) for r in records] == [
        (title, f"https://dev.example/blog/{n}") for n, (title, _, _) in enumerate(posts)]
    assert [r.published for r in records] == ["2024-03-03", "2024-02-27", "2024-02-20", "2024-02-12"]


@pytest.mark.parametrize("name, next_page", [
    # a gallery's a.next (a story's address) and a section named "Next" (welt.de/next/) on home pages
    ("de-sueddeutsche-home-teasers.html", None),
    ("de-welt-home-2mb.html", None),
    # pagers found by their text, kept: "Next" to ?start=90, "Older posts" to /blog/page/2/, "»" to &pageID=2
    ("en-dibru-university-news-table.html", "http://www.dibru.ac.in/index.php/news-events?limit=10&start=90"),
    ("en-mightyfingers-blog.html", "http://mightyfingers.com/blog/page/2/"),
    ("en-fbo-gov-opportunities-table.html",
     "https://www.fbo.gov/index?s=opportunity&mode=list&tab=list&pageID=2"),
    ("en-googleblog-blogspot-home.html",
     "http://googleblog.blogspot.com/search?updated-max=2013-06-15T22:48:00-07:00&max-results=10"),
])
def test_the_next_page_is_another_page_of_the_listing_not_a_gallerys_or_a_sections(name, next_page):
    assert dev_extraction(name).next_page == next_page


def test_a_heading_that_is_a_date_line_above_the_title_heading_is_not_the_headline():
    """census.gov's class (a "PRESS RELEASE | date" line above the title in each card link) when
    both lines are headings of one rank: the title heading is the headline, the line gives the date."""
    releases = [("Census Bureau Releases New Estimates on America's Families", "March 3, 2024"),
                ("Quarterly Retail E-Commerce Sales: Fourth Quarter 2023", "February 20, 2024"),
                ("New Report Looks at Commuting Patterns Across the Country", "February 12, 2024"),
                ("Nation's Older Population Still Growing, Census Bureau Reports", "January 30, 2024")]
    cards = "".join(f'<div class="item"><a href="/releases/{n}"><h3>Press release | {date}</h3><h3>{title}</h3>'
                    f'<p>What the release says, in a sentence or two of teaser text.</p></a></div>'
                    for n, (title, date) in enumerate(releases))
    page = f"<html><body><main><h1>Press releases</h1><div class='list'>{cards}</div></main></body></html>"
    records = extract(page, "https://agency.example/releases", None).records
    assert [(r.headline, r.url) for r in records] == [
        (title, f"https://agency.example/releases/{n}") for n, (title, _) in enumerate(releases)]
    assert [r.published for r in records] == ["2024-03-03", "2024-02-20", "2024-02-12", "2024-01-30"]
