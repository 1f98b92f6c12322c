"""Does a served page look like a shell its scripts fill (a listing to render in a browser)?

Asked only of a page on which no listing was found over HTTP: then the
usual cause is that the listing is built in the browser, and the user is
told to try `render = "browser"`.  A pure function of the HTML, from what
such shells have in common:

- a mount element with nothing in it (`<div id="root"></div>`, `#app`,
  `#__next`, `<app-root>`), which the application's script fills;
- a `<noscript>` asking for JavaScript, or a "Loading…" placeholder;
- the application's state shipped as data (`__NEXT_DATA__`, `__NUXT__`,
  `window.__INITIAL_STATE__`), or a large script bundle;
- and little text of its own besides.
"""

from __future__ import annotations

import re

from lxml import html as lxml_html

# Ids, classes and attributes the common front-end frameworks mount their application on.
MOUNT_IDS = frozenset({"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "main-app", "react-root", "application"})
MOUNT_ATTRIBUTES = ("data-reactroot", "ng-app", "ng-version", "data-v-app", "data-server-rendered")
STATE_MARKERS = ("__NEXT_DATA__", "__NUXT__", "__INITIAL_STATE__", "__APOLLO_STATE__", "__PRELOADED_STATE__",
                 "__remixContext", "__sveltekit")
# A page with less text than this outside its scripts is a shell, not an article or listing.
THIN_TEXT = 600
# A thin page with this many links of words of its own is a small page, not a shell
# (a shell's links come with its script), unless something stronger says shell
# (a <noscript> asking for JavaScript, a framework's mount, its data as a script).
LINKED_PAGE = 10
# Inline scripts this large are an application, not a tracker snippet.
LARGE_INLINE_SCRIPT = 50_000
_BUNDLE_NAME = re.compile(r"(?:^|/)(?:main|app|bundle|runtime|vendor|chunk|index)[.-][\w.-]*\.m?js(?:$|\?)", re.I)
_CUSTOM_ELEMENT = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]*$")  # <app-root>, not <fb:comments-count>
_PLACEHOLDER_XPATH = " or ".join(
    [f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in ("spinner", "loader", "loading", "skeleton")]
    + ["starts-with(normalize-space(text()), 'Loading')"]
)
_ASKS_FOR_JS = re.compile(r"javascript|\bJS\b", re.I)


def looks_script_built(html: str) -> str | None:
    """Why `html` looks like a page its scripts build (one short phrase), or None."""
    try:
        root = lxml_html.document_fromstring(html) if html.strip() else None
    except (ValueError, lxml_html.etree.ParserError):
        return None
    if root is None:
        return None
    scripts = root.xpath("//script")
    if not scripts:
        return None
    inline = sum(len(s.text or "") for s in scripts if not s.get("src"))
    sources = [s.get("src", "") for s in scripts if s.get("src")]
    thin = len(_visible_text(root)) < THIN_TEXT
    strong, weak = [], []
    mount = _empty_mount(root)
    if mount:
        (strong if mount[1] else weak).append(f"an empty {mount[0]}")
    if any(_ASKS_FOR_JS.search(n.text_content() or "") for n in root.xpath("//noscript")):
        strong.append("a <noscript> asking for JavaScript")
    if root.xpath("//body//*[" + _PLACEHOLDER_XPATH + "]"):
        strong.append("a loading placeholder")
    all_inline = " ".join(s.text or "" for s in scripts if not s.get("src"))
    if any(marker in all_inline for marker in STATE_MARKERS) or root.xpath("//script[@id='__NEXT_DATA__']"):
        strong.append("its data shipped as a script")
    if inline >= LARGE_INLINE_SCRIPT or any(_BUNDLE_NAME.search(src) for src in sources):
        weak.append("a large script bundle")
    elif sources or inline:
        weak.append("scripts")
    framework_mount = mount is not None and mount[1] and not _CUSTOM_ELEMENT.match(mount[2])
    weak_only = not strong and not (mount and mount[1])  # scripts, a bundle, an empty <div id=...> at most
    if framework_mount or (thin and (strong or mount or inline >= LARGE_INLINE_SCRIPT or "a large script bundle" in weak)
                           and not (weak_only and _text_links(root) >= LINKED_PAGE)):
        return ", ".join(strong + weak)
    return None


def _text_links(root) -> int:
    """Links with words of their own: a shell has next to none before its script runs."""
    return sum(1 for a in root.iter("a") if a.get("href") and (a.text_content() or "").strip())


def _empty_mount(root) -> tuple[str, bool, str] | None:
    """The first empty element a script would fill: (how to name it, whether it is a framework's mount,
    its tag).  An empty custom element (<ion-icon>, <access-bar>) on a page full of text is a widget
    its script fills, not the page's application: it decides only on a thin page."""
    body = root.find("body")
    if body is None:
        return None
    fallback = None
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "noscript", "template", "style", "iframe"):
            continue
        if len(element) or (element.text or "").strip():
            continue
        known = (element.get("id") in MOUNT_IDS or bool(_CUSTOM_ELEMENT.match(element.tag))
                 or any(attr in element.attrib for attr in MOUNT_ATTRIBUTES))
        if known:
            return _describe(element), True, element.tag
        if fallback is None and element.tag in ("div", "main", "section", "ul", "ol") and element.get("id"):
            fallback = _describe(element)
    return (fallback, False, "") if fallback else None


def _describe(element) -> str:
    ident = element.get("id")
    return f'<{element.tag} id="{ident}">' if ident else f"<{element.tag}>"


def _visible_text(root) -> str:
    body = root.find("body")
    if body is None:
        return ""
    parts = []
    for element in body.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style", "noscript", "template"):
            continue
        if element.text:
            parts.append(element.text)
    for element in body.iter():
        if element.tail and isinstance(element.tag, str):
            parts.append(element.tail)
    return " ".join(" ".join(parts).split())
