"""The benchmark's fixture site: N Drupal-like listing pages on one fast local server.

Every page `/s/<i>/news` lists 20 releases, newest first.  A "round" adds K
new releases at the top of every page (the oldest drop off the bottom, as
a real listing's first page does).  Bodies are rendered once per round, so
serving one is a dictionary lookup and a write: the server must never be
what a benchmark measures.

Each page has an ETag (a hash of its body) and a Last-Modified (the time
its round was rendered) and answers 304 to a matching If-None-Match (or, with
no If-None-Match, to an If-Modified-Since not older than Last-Modified).

Run it in its own process (`python -m bench.site --sources 1000`); it prints
its base URL on stdout.  Control and counters, for the benchmark scripts:

    GET /__bench/round?n=R&k=K   render round R (R*K new items per page)
    GET /__bench/stats           {"requests": .., "200": .., "304": .., "paths": .., "min_per_page": ..}
    GET /__bench/reset           zero the counters
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import os
import sys
import time
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

ITEMS_PER_PAGE = 20

# Selectors for the markup below, as a user would write them in tidings.toml.
SELECTORS = {
    "item": "div.view-content div.views-row",
    "headline": "h3",
    "summary": ".summary p",
    "link": "h3 a::attr(href)",
    "date": "time::attr(datetime)",
}
# The same for tools that take one CSS selector per page (urlwatch, the floor).
ITEM_LINK_CSS = "div.view-content div.views-row h3 a"
ITEM_LINK_XPATH = (
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' view-content ')]"
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' views-row ')]//h3//a/@href"
)


def page_path(source: int) -> str:
    return f"/s/{source}/news"


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_item(source: int, number: int, index: int) -> str:
    """One release of one source: headline, date, two paragraphs, a read-more link."""
    href = f"/s/{source}/news/release-{number}"
    headline = f"Release {number} of agency {source}: ministers agree on transboundary water cooperation"
    date = f"2024-{1 + number % 12:02d}-{1 + number % 28:02d}"
    return f"""
  <div class="views-row views-row-{index + 1}">
    <article role="article" class="node node--type-news node--view-mode-teaser">
      <h3 class="node__title"><a href="{href}" rel="bookmark"><span class="field--name-title">{_h(headline)}</span></a></h3>
      <div class="node__meta"><time datetime="{date}T12:00:00Z">{date}</time></div>
      <div class="field field--name-body field--type-text-with-summary summary">
        <p>Delegates from the region met in Geneva to discuss release {number} and its follow-up measures.</p>
        <p>The meeting adopted a work plan for the coming two years &amp; agreed to report on progress.</p>
      </div>
      <a href="{href}" class="read-more" hreflang="en">Read more<span class="visually-hidden"> about {_h(headline)}</span></a>
    </article>
  </div>"""


def render_page(source: int, newest: int) -> bytes:
    """Source `source`'s listing showing releases newest..newest-19."""
    rows = "".join(render_item(source, newest - i, i) for i in range(ITEMS_PER_PAGE))
    return f"""<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
  <meta charset="utf-8">
  <title>News of agency {source}</title>
  <script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
  <style>.visually-hidden {{ position: absolute !important; }}</style>
</head>
<body class="path-media">
<header role="banner" class="site-header">
  <nav role="navigation" class="main-menu"><ul class="menu">
    <li class="menu-item"><a href="/about">About us</a></li><li class="menu-item"><a href="/media">Media</a></li>
    <li class="menu-item"><a href="/publications">Publications</a></li><li class="menu-item"><a href="/statistics">Statistics</a></li>
  </ul></nav>
</header>
<main role="main" id="main-content">
  <h1 class="page-title">News</h1>
  <div class="view view-news view-id-news view-display-id-page_1">
    <div class="view-header">Displaying Results 1 - {ITEMS_PER_PAGE} of {newest}</div>
    <div class="view-content">{rows}
    </div>
    <nav class="pager" role="navigation"><ul class="pager__items">
      <li class="pager__item is-active"><a href="?page=0">1</a></li>
      <li class="pager__item pager__item--next"><a href="?page=1" rel="next">Next</a></li>
    </ul></nav>
  </div>
  <aside class="layout-sidebar-second" role="complementary">
    <h2>Related topics</h2>
    <ul><li><h3><a href="/topics/water">Water Convention</a></h3></li><li><h3><a href="/topics/air">Air Pollution</a></h3></li></ul>
  </aside>
</main>
<footer role="contentinfo" class="site-footer"><p>Copyright United Nations</p></footer>
</body>
</html>
""".encode("utf-8")


class Pages:
    """The pre-rendered bodies and validators of the current round."""

    def __init__(self, sources: int):
        self.sources = sources
        self.bodies: dict[str, tuple[bytes, bytes]] = {}  # path -> (headers, body)
        self.etags: dict[str, str] = {}
        self.modified = 0.0
        self.round(0, 0)

    def round(self, number: int, per_round: int) -> None:
        newest = ITEMS_PER_PAGE + number * per_round
        # Whole seconds: Last-Modified has one-second resolution.
        self.modified = float(int(time.time()) - (1 if number == 0 else 0))
        last_modified = formatdate(self.modified, usegmt=True)
        bodies, etags = {}, {}
        for source in range(self.sources):
            body = render_page(source, newest)
            etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nETag: {etag}\r\nLast-Modified: {last_modified}\r\n\r\n"
            ).encode("ascii")
            bodies[page_path(source)] = (head, body)
            etags[page_path(source)] = etag
        self.bodies, self.etags = bodies, etags


class Server:
    def __init__(self, sources: int):
        self.pages = Pages(sources)
        self.stats = {"requests": 0, "200": 0, "304": 0, "404": 0, "conditional": 0}
        self.paths: dict[str, int] = {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                writer.write(self.answer(method, target, headers))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def answer(self, method: str, target: str, headers: dict) -> bytes:
        parts = urlsplit(target)
        if parts.path.startswith("/__bench/"):
            return self.control(parts.path, parse_qs(parts.query))
        self.stats["requests"] += 1
        self.paths[parts.path] = self.paths.get(parts.path, 0) + 1
        found = self.pages.bodies.get(parts.path)
        if found is None:
            if parts.path == "/robots.txt":
                return _plain(200, b"User-agent: *\nAllow: /\n")
            self.stats["404"] += 1
            return _plain(404, b"not found")
        if "if-none-match" in headers or "if-modified-since" in headers:
            self.stats["conditional"] += 1
            if self.not_modified(parts.path, headers):
                self.stats["304"] += 1
                etag = self.pages.etags[parts.path]
                return f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nContent-Length: 0\r\n\r\n".encode("ascii")
        self.stats["200"] += 1
        head, body = found
        return head if method == "HEAD" else head + body

    def not_modified(self, path: str, headers: dict) -> bool:
        """RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only without it."""
        if "if-none-match" in headers:
            tags = [t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")]
            return self.pages.etags[path] in tags or "*" in tags
        try:
            since = parsedate_to_datetime(headers["if-modified-since"]).timestamp()
        except (TypeError, ValueError):
            return False
        return since >= self.pages.modified

    def control(self, path: str, query: dict) -> bytes:
        if path == "/__bench/round":
            self.pages.round(int(query.get("n", ["1"])[0]), int(query.get("k", ["2"])[0]))
        elif path == "/__bench/reset":
            self.stats = dict.fromkeys(self.stats, 0)
            self.paths = {}
        elif path != "/__bench/stats":
            return _plain(404, b"unknown control")
        pages = [self.paths.get(path, 0) for path in self.pages.bodies]  # every listing, asked or not
        body = json.dumps({**self.stats, "paths": len(self.paths),
                           "max_per_path": max(self.paths.values(), default=0),
                           "min_per_page": min(pages, default=0), "max_per_page": max(pages, default=0)}).encode()
        return _plain(200, body, "application/json")


def _plain(status: int, body: bytes, content_type: str = "text/plain") -> bytes:
    reason = {200: "OK", 404: "Not Found"}[status]
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body


async def serve(sources: int, port: int) -> None:
    server = Server(sources)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", port, backlog=1024)
    print(f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}", flush=True)
    async with listener:
        await listener.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    _die_with_parent()
    try:
        asyncio.run(serve(args.sources, args.port))
    except KeyboardInterrupt:
        pass


def _die_with_parent() -> None:
    """Linux: end this server when the benchmark that started it dies."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            sys.exit(0)


if __name__ == "__main__":
    main()
