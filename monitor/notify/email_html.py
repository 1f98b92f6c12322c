"""The HTML part of an alert email: one styled card per item, readable in any mail client.

Mail clients drop <style> blocks and <head>, and many ignore CSS layout,
so the layout is nested tables with inline `style` attributes only, a
640-pixel column that narrows on a phone, and system fonts.  Every scraped
or configured string is escaped (html.escape) and only http(s) links are
made links: a headline such as `<script>` arrives as text.

An updated item shows what changed: removed words struck through on red,
added words underlined on green (`<del>`/`<ins>`, so a client that drops
the colours still marks them).  Dates are in the configured time zone.
Pure: a payload in, a string out.
"""

from __future__ import annotations

import html
from datetime import timezone, tzinfo
from urllib.parse import urlsplit

from monitor.changes import edit, render_html as diff_html
from monitor.human_dates import human_date
from monitor.notify.payload import footer, health_lines, subject

FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
INK, MUTED, RULE, LINK = "#1f2328", "#59636e", "#d1d9e0", "#0b5cad"
DEL_STYLE = "background-color:#ffebe9;color:#82071e;text-decoration:line-through;padding:0 2px;border-radius:3px;"
INS_STYLE = "background-color:#dafbe1;color:#116329;text-decoration:underline;padding:0 2px;border-radius:3px;"
BADGES = {
    "new": ("New", "#0b5cad", "#ddf4ff"),
    "updated": ("Updated", "#9a6700", "#fff8c5"),
}
# Scraped text with nothing to wrap at (a long link, a headline without spaces)
# must wrap anyway instead of widening the message past a phone's screen.
WRAP = "overflow-wrap:anywhere;word-wrap:break-word;word-break:break-word;"
HEALTH_COLOURS = {"broken": "#cf222e", "recovered": "#1a7f37", "test": "#0b5cad"}


def render_html(payload: dict, zone: tzinfo = timezone.utc) -> str:
    """The whole HTML document of one alert, dates written in `zone`."""
    e = html.escape
    title = subject(payload)
    rows = [_header(payload, title)]
    if payload["kind"] == "items":
        rows.extend(_item(item, zone) for item in payload["items"])
    else:
        rows.append(_health(payload, zone))
    rows.append(_footer(payload, zone))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n</head>\n"
        f'<body style="margin:0;padding:0;background-color:#f6f8fa;color:{INK};font-family:{FONT};">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"'
        ' style="background-color:#f6f8fa;">\n<tr><td align="center" style="padding:24px 12px;">\n'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"'
        f' style="max-width:640px;table-layout:fixed;background-color:#ffffff;border:1px solid {RULE};border-radius:8px;">\n'
        + "\n".join(rows)
        + "\n</table>\n</td></tr>\n</table>\n</body>\n</html>\n"
    )


def _header(payload: dict, title: str) -> str:
    e = html.escape
    source = payload.get("source")
    eyebrow = f"Tidings · {e(source)}" if source else "Tidings"
    link = ""
    if payload.get("source_url"):
        link = (f'<p style="margin:6px 0 0;font-size:13px;line-height:1.4;word-break:break-all;">'
                f"{_link(payload['source_url'], payload['source_url'], MUTED)}</p>")
    return (
        f'<tr><td style="padding:20px 24px 16px;border-bottom:1px solid {RULE};font-family:{FONT};{WRAP}">'
        f'<p style="margin:0;font-size:12px;letter-spacing:0.06em;text-transform:uppercase;color:{MUTED};">{eyebrow}</p>'
        f'<h1 style="margin:6px 0 0;font-size:20px;line-height:1.3;font-weight:600;color:{INK};">{e(title)}</h1>'
        f"{link}</td></tr>"
    )


def _item(item: dict, zone: tzinfo) -> str:
    """One item's card: badge, headline link (diffed when edited), date, summary."""
    e = html.escape
    change = item.get("change", "new")
    label, colour, background = BADGES.get(change, BADGES["new"])
    previous = item.get("previous")
    if previous:
        diff = edit(previous, item)
        headline = diff_html(diff.headline, del_style=DEL_STYLE, ins_style=INS_STYLE)
        summary = (diff_html(diff.summary, del_style=DEL_STYLE, ins_style=INS_STYLE) if diff.summary_changed
                   else _plain_summary(item.get("summary")))
    else:
        headline = e(item["headline"])
        summary = _plain_summary(item.get("summary"))
    meta = []
    if item.get("published"):
        meta.append(f"Published {e(human_date(item['published'], zone))}")
    if previous:
        meta.append("Edited since Tidings last saw it")
    parts = [
        f'<tr><td class="tidings-item" data-change="{e(change, quote=True)}"'
        f' style="padding:18px 24px;border-bottom:1px solid {RULE};font-family:{FONT};{WRAP}">',
        f'<span style="display:inline-block;padding:2px 8px;border-radius:10px;font-size:11px;font-weight:600;'
        f'letter-spacing:0.04em;text-transform:uppercase;color:{colour};background-color:{background};">{label}</span>',
        f'<h2 style="margin:8px 0 4px;font-size:17px;line-height:1.35;font-weight:600;">'
        f"{_link(item.get('url'), headline, LINK, escaped=True)}</h2>",
    ]
    if meta:
        parts.append(f'<p style="margin:0 0 8px;font-size:13px;color:{MUTED};">{" · ".join(meta)}</p>')
    if summary:
        parts.append(f'<p style="margin:8px 0 0;font-size:15px;line-height:1.55;color:{INK};">{summary}</p>')
    parts.append("</td></tr>")
    return "".join(parts)


def _plain_summary(summary: str | None) -> str:
    paragraphs = [html.escape(p) for p in (summary or "").split("\n\n") if p.strip()]
    return "<br><br>".join(paragraphs)


def _health(payload: dict, zone: tzinfo) -> str:
    colour = HEALTH_COLOURS.get(payload["kind"], MUTED)
    lines = "".join(f'<p style="margin:0 0 8px;font-size:15px;line-height:1.5;">{html.escape(line)}</p>'
                    for line in health_lines(payload, zone))
    return (f'<tr><td style="padding:18px 24px;border-left:4px solid {colour};border-bottom:1px solid {RULE};'
            f'font-family:{FONT};{WRAP}">{lines}</td></tr>')


def _footer(payload: dict, zone: tzinfo) -> str:
    e = html.escape
    legend = ""
    if any(item.get("previous") for item in payload.get("items") or []):
        legend = (f'Edits: <del style="{DEL_STYLE}">removed</del> '
                  f'<ins style="{INS_STYLE}">added</ins><br>')
    sent = human_date(payload.get("created"), zone)
    return (
        f'<tr><td style="padding:14px 24px 18px;font-size:12px;line-height:1.5;color:{MUTED};font-family:{FONT};{WRAP}">'
        f"{legend}Sent {e(sent)} · {e(footer(payload))}</td></tr>"
    )


def _link(url: str | None, text: str, colour: str, *, escaped: bool = False) -> str:
    """`text` as a link to `url` when it is http(s); `escaped`: the text is HTML already."""
    body = text if escaped else html.escape(text)
    if url and urlsplit(url).scheme in ("http", "https"):
        return (f'<a href="{html.escape(url, quote=True)}" style="color:{colour};text-decoration:none;">'
                f"{body}</a>")
    return body
