"""What real listing pages ship, crawled with configured selectors over real HTTP.

Every case is one source of one `tidings run --json` (shared, to keep the
file fast) against a local server: a page in an awkward encoding, with
awkward text, links or dates, or a server that answers awkwardly.  Each test
states what a user gets: the exact headlines, links and dates reported, or
the one-line reason the source failed.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from typing import Callable

import brotli
import pytest

from tests.faults import redirect
from tests.helpers import Page, Site, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Item, Listing, extra_item

MAX_BYTES = 200_000

# A plain news list; each case fills in its blocks.
SOURCE = {"item": "ul.news > li", "headline": "h3", "summary": "p.teaser"}


def listing(blocks: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{head}<title>News</title></head><body>"
        f'<nav><a href="/">Home</a> <a href="/about">About</a></nav>'
        f'<ul class="news">{blocks}</ul><footer><a href="/contact">Contact</a></footer></body></html>'
    )


def block(headline: str, href: str = "/news/a", extra: str = "") -> str:
    return f'<li><h3><a href="{href}">{headline}</a></h3>{extra}</li>'


# Pages in awkward encodings: the Drupal listing with one accented or CJK item.
LATIN = Item("Ministers’ “Genève” deal – €5m for Côte d’Ivoire", ["Naïve café résumé."], "/media/news/geneve", "2024-03-12")
CHINESE = Item("联合国新闻发布会关于水资源合作", ["欧洲经济委员会今天发布了新的报告。"], "/media/news/zh", "2024-03-12")
JAPANESE = Item("国連欧州経済委員会が新しい報告書を発表", ["水資源の協力について。"], "/media/news/ja", "2024-03-12")


def drupal(item: Item, encoding: str, content_type: str, meta: str | None = None, bom: bytes = b"") -> Page:
    """The Drupal listing of `item` and one plain item, in `encoding`, with `meta` as its <meta charset>."""
    text = Listing([item, extra_item(1)]).render()
    text = text.replace('<meta charset="utf-8">', meta or "")
    # What the codec cannot hold is written as a character reference, as editors save it.
    return Page(bom + text.encode(encoding, "xmlcharrefreplace"), headers={"Content-Type": content_type})


def compressed(coding: str, compress: Callable[[bytes], bytes]) -> Page:
    body = Listing([LATIN, extra_item(1)]).render().encode("utf-8")
    return Page(compress(body), headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": coding})


def send_listing(request, headline: str, href: str = "/news/a") -> None:
    body = listing(block(headline, href)).encode()
    request.send_response(200)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def send_cookie_and_redirect(request, cookie: str, location: str) -> None:
    request.send_response(302)
    request.send_header("Set-Cookie", f"{cookie}; Path=/")
    request.send_header("Location", location)
    request.send_header("Content-Length", "0")
    request.end_headers()


def cookie_wall(request) -> None:
    """A site that sets a cookie and redirects to the same URL, expecting it back."""
    if "visited=1" in (request.headers.get("Cookie") or ""):
        send_listing(request, "Behind the cookie wall", "/news/cookie")
    else:
        send_cookie_and_redirect(request, "visited=1", request.path)


def endless_cookie_wall(request) -> None:
    """A cookie wall that never lets anyone in."""
    send_cookie_and_redirect(request, f"visit={len(request.headers.get('Cookie') or '')}", request.path)


COOKIE_ELSEWHERE: list[str] = []  # the Cookie header another host was sent


def cookie_then_other_host(request) -> None:
    """A cookie set on one host and a redirect to another (localhost): the cookie must stay behind."""
    send_cookie_and_redirect(request, "session=secret", f"http://localhost:{request.server.server_address[1]}/other-host")


def other_host(request) -> None:
    COOKIE_ELSEWHERE.append(request.headers.get("Cookie") or "")
    send_listing(request, "On another host")


COOKIES_AT_THE_END: dict[str, str] = {}  # case name -> the Cookie header the last hop of its redirects was sent


def send_cookies_and_redirect(request, cookies: list[str], location: str) -> None:
    request.send_response(302)
    for cookie in cookies:
        request.send_header("Set-Cookie", cookie)
    request.send_header("Location", location)
    request.send_header("Content-Length", "0")
    request.end_headers()


def records_cookies(name: str):
    def handler(request) -> None:
        COOKIES_AT_THE_END[name] = request.headers.get("Cookie") or ""
        send_listing(request, "Cookies checked")
    return handler


def cookie_set_then_deleted_with_an_expires_in_1970(request) -> None:
    """A cookie set, then deleted the way most sites delete one (an Expires in the past), on the way."""
    send_cookies_and_redirect(request, ["stale=1; Path=/"], "/cookie-deleted/2")


def cookie_deleted(request) -> None:
    send_cookies_and_redirect(
        request, ["stale=deleted; Expires=Thu, 01 Jan 1970 00:00:01 GMT; Path=/", "visited=1; Path=/"], "/cookie-deleted/3")


def cookie_with_a_quoted_semicolon(request) -> None:
    """A quoted cookie value holding a semicolon (RFC 2109 quoted-string): it comes back whole."""
    send_cookies_and_redirect(request, ['pref="a;b"; Path=/'], "/cookie-quoted/2")


ACCEPT_ENCODING: dict[str, str] = {}  # what the crawler asked for


def records_accept_encoding(request) -> None:
    ACCEPT_ENCODING["value"] = request.headers.get("Accept-Encoding") or ""
    send_listing(request, "Asked")


def zstd_compress(data: bytes) -> bytes:
    try:
        from compression import zstd  # Python 3.14
    except ImportError:
        from backports import zstd  # what Scrapy itself uses before 3.14
    return zstd.compress(data)


CODING_CASES = {"gzip": "gzip", "deflate": "deflate", "br": "brotli", "zstd": "zstd"}


@dataclass
class Case:
    page: object  # a Page or handler, served at /c/NAME
    expect: list[tuple] | None = None  # (headline, url path or absolute url, published) of each item, in order
    error: str | None = None  # for a failed or suspect source: its one-line reason ("{url}" is the source's URL)
    status: str | None = None  # default: ok when `expect`, failed when `error`
    source: dict = field(default_factory=lambda: dict(SOURCE))
    summary: str | None = None  # the first item's summary, when it matters
    extra_pages: dict = field(default_factory=dict)  # other paths the case serves


def drupal_case(item: Item, page: Page, **kw) -> Case:
    expect = [(item.headline, item.path, item.date + "T12:00:00+00:00"),
              (extra_item(1).headline, extra_item(1).path, "2021-12-01T12:00:00+00:00")]
    return Case(page, expect, source=dict(DRUPAL_SOURCE), summary=item.summary_text, **kw)


CASES: dict[str, Case] = {
    # --- encodings -------------------------------------------------------------------------------
    "meta-charset-only": drupal_case(LATIN, drupal(LATIN, "cp1252", "text/html", '<meta charset="windows-1252">')),
    "meta-http-equiv-only": drupal_case(LATIN, drupal(
        LATIN, "cp1252", "text/html",
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">')),
    "header-latin-1-meta-gb2312": drupal_case(CHINESE, drupal(
        CHINESE, "gb2312", "text/html; charset=ISO-8859-1", '<meta charset="gb2312">')),
    "header-latin-1-meta-shift-jis": drupal_case(JAPANESE, drupal(
        JAPANESE, "shift_jis", "text/html; charset=iso-8859-1",
        '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">')),
    "shift-jis-declared-in-header": drupal_case(JAPANESE, drupal(JAPANESE, "shift_jis", "text/html; charset=Shift_JIS")),
    "gb2312-declared-in-meta": drupal_case(CHINESE, drupal(CHINESE, "gb2312", "text/html", '<meta charset="gb2312">')),
    "smart-quotes-windows-1252-served-as-latin-1": drupal_case(LATIN, drupal(
        LATIN, "cp1252", "text/html; charset=ISO-8859-1", '<meta charset="iso-8859-1">')),
    # Editors that save a page as UTF-8 but write <meta charset="utf-16">: an HTML
    # standard rule reads that label as UTF-8 (a server default header beside it or not).
    "meta-utf-16-on-a-utf-8-page": Case(Page(listing(block("Zürich talks"), head='<meta charset="utf-16">').encode(),
                                             headers={"Content-Type": "text/html; charset=ISO-8859-1"}),
                                        [("Zürich talks", "/news/a", None)]),
    "utf-8-without-any-declaration": drupal_case(LATIN, drupal(LATIN, "utf-8", "text/html")),
    "utf-8-bom-header-says-latin-1": drupal_case(LATIN, drupal(
        LATIN, "utf-8", "text/html; charset=iso-8859-1", bom=b"\xef\xbb\xbf")),
    "windows-1252-undeclared-short-page": Case(Page(listing(block("Zürich talks") + block("Plain headline", "/news/b")).encode("cp1252"),
                                                    headers={"Content-Type": "text/html"}),
                                               [("Zürich talks", "/news/a", None), ("Plain headline", "/news/b", None)]),
    "windows-1251-undeclared-short-page": Case(Page(listing(block("Министры встретились в Женеве")).encode("cp1251"),
                                                    headers={"Content-Type": "text/html"}),
                                               [("Министры встретились в Женеве", "/news/a", None)]),
    "gzip": drupal_case(LATIN, compressed("gzip", gzip.compress)),
    "deflate": drupal_case(LATIN, compressed("deflate", zlib.compress)),
    "brotli": drupal_case(LATIN, compressed("br", brotli.compress)),
    "zstd": drupal_case(LATIN, compressed("zstd", zstd_compress)),
    "accept-encoding": Case(records_accept_encoding, [("Asked", "/news/a", None)]),
    # --- text ----------------------------------------------------------------------------------
    "entities": Case(page=Page(listing(
        block("Caf&eacute; &amp; bar&nbsp;talks &#8220;open&#8221; &#x2013; day&#160;one")
        + block("Tom &amp;amp; Jerry", "/news/b"))),
        expect=[("Café & bar talks “open” – day one", "/news/a", None), ("Tom &amp; Jerry", "/news/b", None)]),
    "br-in-headline": Case(Page(listing(block("Ministers meet<br>in Geneva") + block("One<br/>Two", "/news/b"))),
                           [("Ministers meet in Geneva", "/news/a", None), ("One Two", "/news/b", None)]),
    "soft-hyphens-and-zero-width-spaces": Case(Page(listing(
        block("Environ&shy;mental water&#8203;courses &#8288;agreement&#xFEFF;"))),
        [("Environmental watercourses agreement", "/news/a", None)]),
    "emoji-and-joiners": Case(Page(listing(block("Launch 🎉 of the 👩\u200d💻 programme"))),
                              [("Launch 🎉 of the 👩\u200d💻 programme", "/news/a", None)]),
    "right-to-left": Case(Page(listing(block('<span dir="rtl">الأمم المتحدة تعلن عن تقرير جديد</span>')),
                               headers={"Content-Type": "text/html; charset=utf-8"}),
                          [("الأمم المتحدة تعلن عن تقرير جديد", "/news/a", None)]),
    "headline-split-across-spans": Case(Page(listing(
        block('<span class="a">Water </span><span class="b">convention</span> <span>turns 30</span>'))),
        [("Water convention turns 30", "/news/a", None)]),
    "screen-reader-only-text-in-headline": Case(Page(listing(
        block('<span class="sr-only">Read more about </span>Ministers meet in Geneva')
        + block('Forest report<span class="visually-hidden"> (opens in a new window)</span>', "/news/b")
        + block('Air quality<span class="screen-reader-text"> - continue reading</span>', "/news/c")
        + block('Ozone day<span hidden> hidden label</span>', "/news/d"))),
        [("Ministers meet in Geneva", "/news/a", None), ("Forest report", "/news/b", None),
         ("Air quality", "/news/c", None), ("Ozone day", "/news/d", None)]),
    "screen-reader-only-text-with-text-selectors": Case(Page(listing(
        block('<span class="visually-hidden">Read more about </span>Ministers <em>meet</em>',
              extra='<p class="teaser">First <span class="sr-only">(link)</span>part.</p>'))),
        [("Ministers meet", "/news/a", None)],
        source={"item": "ul.news > li", "headline": "h3 ::text", "summary": "p.teaser ::text"},
        summary="First part."),
    # A heading the page hides (a label for screen readers) before the visible one.
    "screen-reader-only-heading-before-the-headline": Case(Page(listing(
        '<li><h3 class="visually-hidden">Press release</h3><h3><a href="/news/a">Ministers meet</a></h3></li>'
        '<li><h3 hidden>Press release</h3><h3><a href="/news/b">Forest report</a></h3></li>')),
        [("Ministers meet", "/news/a", None), ("Forest report", "/news/b", None)]),
    "screen-reader-only-heading-with-text-selectors": Case(Page(listing(
        '<li><h3 class="sr-only">Press release</h3><h3><a href="/news/a">Ministers <em>meet</em></a></h3></li>')),
        [("Ministers meet", "/news/a", None)], source={"item": "ul.news > li", "headline": "h3 ::text"}),
    "script-style-template-noscript-in-blocks": Case(Page(listing(block(
        'Ministers<script>document.write("x")</script><style>.a{}</style> meet',
        extra='<p class="teaser">Summary<template><b>tpl</b></template> text'
              '<noscript>Enable JavaScript</noscript>.<script>track()</script></p>'))),
        [("Ministers meet", "/news/a", None)], summary="Summary text."),
    # --- links ---------------------------------------------------------------------------------
    "links": Case(Page(listing(
        block("Protocol-relative", "//CDN.Example.ORG/news/1")
        + block("Parent path", "../news/2")
        + block("Fragment", "/news/3#comments")
        + block("Tracking", "/news/4?id=4&utm_source=twitter&utm_medium=social")
        + block("Upper-case host", "HTTP://WWW.EXAMPLE.ORG:80/News/5")
        + block("IDN host", "https://bücher.example/news/6")
        + block("Percent-encoding", "/caf%c3%a9/7")
        + block("Not encoded", "/café/8")
        + block("German IDN host", "https://Faß.example/news/9")
        + block("Latin-1 query with tracking", "/news/10?titel=M%FCnchen&utm_source=newsletter")
        + block("Script link", "javascript:void(0)")
        + block("Mail link", "mailto:press@example.org")
        + block("Phone link", "tel:+41229171234"))),
        [("Protocol-relative", "http://cdn.example.org/news/1", None),
         ("Parent path", "/news/2", None),
         ("Fragment", "/news/3", None),
         ("Tracking", "/news/4?id=4", None),
         ("Upper-case host", "http://www.example.org/News/5", None),
         ("IDN host", "https://xn--bcher-kva.example/news/6", None),
         ("Percent-encoding", "/caf%C3%A9/7", None),
         ("Not encoded", "/caf%C3%A9/8", None),
         ("German IDN host", "https://xn--fa-hia.example/news/9", None),  # as browsers: not fass.example
         ("Latin-1 query with tracking", "/news/10?titel=M%FCnchen", None),
         ("Script link", None, None), ("Mail link", None, None), ("Phone link", None, None)]),
    "base-href": Case(Page(listing(block("Relative to base", "item/1") + block("Absolute path", "/abs/2", ),
                                   head='<base href="https://static.example.org/press/">')),
                      [("Relative to base", "https://static.example.org/press/item/1", None),
                       ("Absolute path", "https://static.example.org/abs/2", None)]),
    "same-item-with-and-without-trailing-slash": Case(Page(listing(
        block("Ministers meet", "/news/ministers") + block("Forest report", "/news/forest/")
        + block("Ministers meet", "/news/ministers/") + block("Forest report", "/news/forest"))),
        [("Ministers meet", "/news/ministers", None), ("Forest report", "/news/forest/", None)]),
    # --- dates ---------------------------------------------------------------------------------
    "dates": Case(Page(listing(
        block("Time element", "/d/1", '<time datetime="2024-03-12T09:30:00+01:00">Tuesday</time>')
        + block("Date only attribute", "/d/2", '<time datetime="2024-03-13">yesterday</time>')
        + block("Data attribute", "/d/3", '<span class="date" data-date="2024-03-14">3 days ago</span>')
        + block("Microdata", "/d/4", '<meta itemprop="datePublished" content="2024-03-15T08:00:00Z">')
        + block("Weekday", "/d/5", '<span class="date">Tuesday, 12 March 2024</span>')
        + block("ISO week", "/d/6", '<span class="date">2024-W11</span>')
        + block("Updated then published", "/d/7",
                '<span class="date">Updated: 14 March 2024 | Published: 12 March 2024</span>')
        + block("Separate updated", "/d/8",
                '<span class="date">Updated 20 March 2024</span> <span class="date">Posted 18 March 2024</span>')
        + block("Chinese date", "/d/9", '<span class="date">2024年3月12日</span>')
        + block("Japanese era date", "/d/10", '<span class="date">発表日：令和6年3月12日（火）</span>')
        + block("Taiwanese era date", "/d/11", '<span class="date">民國113年3月12日</span>')
        + block("Year without its era", "/d/12", '<span class="date">6年3月12日</span>'))),
        [("Time element", "/d/1", "2024-03-12T09:30:00+01:00"), ("Date only attribute", "/d/2", "2024-03-13"),
         ("Data attribute", "/d/3", "2024-03-14"), ("Microdata", "/d/4", "2024-03-15T08:00:00+00:00"),
         ("Weekday", "/d/5", "2024-03-12"), ("ISO week", "/d/6", None),
         ("Updated then published", "/d/7", "2024-03-12"), ("Separate updated", "/d/8", "2024-03-18"),
         ("Chinese date", "/d/9", "2024-03-12"), ("Japanese era date", "/d/10", "2024-03-12"),
         ("Taiwanese era date", "/d/11", "2024-03-12"), ("Year without its era", "/d/12", None)],
        source={**SOURCE, "date": "xpath:.//time/@datetime | .//@data-date | .//meta[@itemprop='datePublished']"
                                  " | .//*[@class='date']"}),
    # --- HTTP ----------------------------------------------------------------------------------
    "redirect-301": Case(redirect("/moved/news", 301), [("Moved", "/news/a", None)],
                         extra_pages={"/moved/news": Page(listing(block("Moved")))}),
    "redirect-302-to-another-host-spelling": Case(
        lambda request: redirect(f"http://localhost:{request.server.server_address[1]}/elsewhere", 302)(request),
        [("Elsewhere", "http://localhost:{port}/news/a", None)],
        extra_pages={"/elsewhere": Page(listing(block("Elsewhere")))}),
    "meta-refresh": Case(Page('<html><head><meta http-equiv="refresh" content="0; url=/refreshed/news"></head></html>'),
                         [("Refreshed", "/news/a", None)], extra_pages={"/refreshed/news": Page(listing(block("Refreshed")))}),
    "redirect-loop": Case(redirect("/c/redirect-loop-b"), error="too many redirects from {url}",
                          extra_pages={"/c/redirect-loop-b": redirect("/c/redirect-loop")}),
    "cookie-then-redirect-to-itself": Case(cookie_wall, [("Behind the cookie wall", "/news/cookie", None)]),
    "cookie-wall-that-never-lets-in": Case(endless_cookie_wall, error="too many redirects from {url}"),
    "cookie-not-carried-to-another-host": Case(cookie_then_other_host,
                                               [("On another host", "http://localhost:{port}/news/a", None)],
                                               extra_pages={"/other-host": other_host}),
    "cookie-deleted-with-an-expires-in-1970": Case(
        cookie_set_then_deleted_with_an_expires_in_1970, [("Cookies checked", "/news/a", None)],
        extra_pages={"/cookie-deleted/2": cookie_deleted,
                     "/cookie-deleted/3": records_cookies("cookie-deleted-with-an-expires-in-1970")}),
    "cookie-with-a-quoted-semicolon": Case(
        cookie_with_a_quoted_semicolon, [("Cookies checked", "/news/a", None)],
        extra_pages={"/cookie-quoted/2": records_cookies("cookie-with-a-quoted-semicolon")}),
    "http-403": Case(Page("<h1>Forbidden</h1>", status=403), error="HTTP 403 from {url}"),
    "http-404": Case(Page("<h1>Not found</h1>", status=404), error="HTTP 404 from {url}"),
    "http-410": Case(Page("<h1>Gone</h1>", status=410), error="HTTP 410 from {url}"),
    "http-429-retry-after": Case(Page("slow down", status=429, headers={"Retry-After": "3600"}),
                                 error="HTTP 429 from {url} (Retry-After: 3600)"),
    "http-500": Case(Page("<h1>Oops</h1>", status=500), error="HTTP 500 from {url}"),
    "http-503-retry-after": Case(Page("busy", status=503, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
                                 error="HTTP 503 from {url} (Retry-After: Wed, 21 Oct 2026 07:28:00 GMT)"),
    "slow-server": Case(Page(listing(block("Too late")), delay=4), error="timed out: no complete response from {url} within 1 s",
                        source={**SOURCE, "timeout": 1}),
    "empty-200": Case(Page(b""), error="empty response (HTTP 200, no content) at {url}"),
    # A "next" link past the last page that answers an empty 200 (an AJAX "load more"
    # endpoint with nothing left): the listing ends there; page one's items stand.
    "empty-page-after-the-last": Case(
        Page(listing(block("Page one")).replace("</ul>", '</ul><a class="next" href="/c/empty-page-after-the-last/2">Next</a>')),
        [("Page one", "/news/a", None)], source={**SOURCE, "next_page": "a.next", "max_pages": 3},
        extra_pages={"/c/empty-page-after-the-last/2": Page(b"")}),
    "blank-200": Case(Page(b" \r\n\t\n"), error="empty response (HTTP 200, no content) at {url}"),
    "pdf": Case(Page(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", headers={"Content-Type": "application/pdf"}),
                error="not an HTML page (Content-Type application/pdf) at {url}"),
    "json": Case(Page('{"items": [{"title": "x"}]}', headers={"Content-Type": "application/json"}),
                 error="not an HTML page (Content-Type application/json) at {url}"),
    "larger-than-max-bytes": Case(Page(listing(block("Big") + "<!--" + "x" * (MAX_BYTES + 1000) + "-->")),
                                  error=f"response from {{url}} is larger than the size limit (max_bytes = {MAX_BYTES} bytes)"),
    "gzip-larger-than-max-bytes-once-decompressed": Case(
        Page(gzip.compress(listing(block("Bomb") + " " * (MAX_BYTES * 5)).encode()),
             headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}),
        error=f"response from {{url}} is larger than the size limit (max_bytes = {MAX_BYTES} bytes)"),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One `tidings run --json` over every case: source name -> its JSON report."""
    tmp = tmp_path_factory.mktemp("realpages")
    site = Site()
    try:
        sources = []
        for name, case in CASES.items():
            site.pages[f"/c/{name}"] = case.page
            site.pages.update(case.extra_pages)
            sources.append({"name": name, "url": site.url(f"/c/{name}"), "alert_on_first_run": True, **case.source})
        config = write_config(tmp / "tidings.toml", sources, crawl={"max_bytes": MAX_BYTES})
        result = tidings("run", "--config", str(config), "--db", str(tmp / "a.db"), "--json", timeout=180)
        assert "Traceback" not in result.stderr, result.stderr[-3000:]
        assert result.code == 1, result.stderr[-3000:]  # some cases fail on purpose
        site.run_requests = list(site.requests)  # what the run asked for (previews ask again)
        yield site, {s["name"]: s for s in result.json["sources"]}
    finally:
        site.close()


def absolute(site: Site, url: str | None) -> str | None:
    if url is None or "://" in url:
        return url.format(port=site.port) if url else None
    return site.url(url)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.expect is not None])
def test_items_read_as_a_reader_sees_them(run, name):
    site, reports = run
    case, report = CASES[name], reports[name]
    assert (report["status"], report["error"]) == ("ok", None), report  # alert_on_first_run: items are "new"
    got = [(i["headline"], i["url"], i["published"]) for i in report["new"]]
    assert got == [(h, absolute(site, u), p) for h, u, p in case.expect]
    if case.summary is not None:
        assert report["new"][0]["summary"] == case.summary


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.error is not None])
def test_a_failure_is_one_clear_line(run, name):
    site, reports = run
    case, report = CASES[name], reports[name]
    assert report["status"] == (case.status or "failed")
    assert case.error.format(url=site.url(f"/c/{name}")) in report["error"]
    assert "\n" not in report["error"] and len(report["error"]) < 300 and "Traceback" not in report["error"]
    assert report["new"] == [] and report["items_seen"] == 0


def test_a_cookie_set_by_a_redirect_goes_to_that_host_only(run):
    assert COOKIE_ELSEWHERE == [""]


def test_a_cookie_deleted_along_a_redirect_is_not_sent_on(run):
    assert COOKIES_AT_THE_END["cookie-deleted-with-an-expires-in-1970"] == "visited=1"


def test_a_quoted_cookie_value_with_a_semicolon_is_sent_back_whole(run):
    assert COOKIES_AT_THE_END["cookie-with-a-quoted-semicolon"] == 'pref="a;b"'


def test_every_content_coding_asked_for_is_one_that_is_decoded(run):
    """Accept-Encoding must not advertise a coding the crawler cannot decode
    (Scrapy asks for br and zstd; they need the brotli and zstd packages)."""
    site, reports = run
    asked = {c.strip() for c in ACCEPT_ENCODING["value"].split(",")}
    assert asked == {"gzip", "deflate", "br", "zstd"}
    for coding in asked:
        assert reports[CODING_CASES[coding]]["status"] == "ok"


def preview_source(site: Site, name: str, tmp_path):
    """`tidings preview --source NAME --json` of one case, configured as in the run."""
    source = {"name": name, "url": site.url(f"/c/{name}"), **CASES[name].source}
    config = write_config(tmp_path / "tidings.toml", [source], crawl={"max_bytes": MAX_BYTES})
    return tidings("preview", "--source", name, "--config", str(config), "--json")


@pytest.mark.parametrize("name", ["header-latin-1-meta-gb2312", "cookie-then-redirect-to-itself", "links"])
def test_preview_of_a_source_shows_what_a_run_records(run, name, tmp_path):
    site, reports = run
    result = preview_source(site, name, tmp_path)
    assert result.code == 0, result.stderr
    assert [(r["headline"], r["url"], r["published"]) for r in result.json] == [
        (i["headline"], i["url"], i["published"]) for i in reports[name]["new"]]


@pytest.mark.parametrize("name", ["http-429-retry-after", "empty-200", "gzip-larger-than-max-bytes-once-decompressed"])
def test_preview_of_a_failing_source_says_why_in_one_line(run, name, tmp_path):
    site, reports = run
    result = preview_source(site, name, tmp_path)
    assert result.code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == [f"tidings: error: {reports[name]['error']}"], result.stderr


def test_a_busy_server_is_asked_once(run):
    site, _ = run
    for name in ("http-429-retry-after", "http-503-retry-after"):
        assert site.run_requests.count(f"/c/{name}") == 1  # not retried at once: it asked us to wait
