"""Word-level differences between two texts, and their renderings.

Pure functions over strings (difflib underneath), so every output that
reports an edited item (terminal, email, feeds, `tidings history`) marks
the same words the same way.  A text is cut into words, runs of spaces and
single punctuation marks; an edit is shown as whole words removed and added
(`[-old-]{+new+}`, as wdiff and git's --word-diff write it), never as a
jumble of letters.

Scraped text is untrusted: the HTML rendering escapes every character, and
the terminal renderings drop control characters (an ESC in a headline must
not drive the terminal).
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from typing import Literal, Sequence

EQUAL: Literal["equal"] = "equal"
DELETE: Literal["delete"] = "delete"
INSERT: Literal["insert"] = "insert"
Kind = Literal["equal", "delete", "insert"]

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
# C0 and C1 controls except tab and newline, and DEL.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ELLIPSIS = "…"

# ANSI SGR: removals red and struck through, additions green and underlined
# (underline, not only colour, so the marks survive colour blindness).
_ANSI = {DELETE: ("\x1b[31;9m", "\x1b[0m"), INSERT: ("\x1b[32;4m", "\x1b[0m")}
_PLAIN = {DELETE: ("[-", "-]"), INSERT: ("{+", "+}")}


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text that both versions share (equal), or only the old (delete) or the new (insert) has."""

    kind: Kind
    text: str


def tokens(text: str) -> list[str]:
    """Words, runs of whitespace and single other characters; joined, they are `text` again."""
    return _TOKEN.findall(text or "")


def diff(old: str, new: str) -> list[Segment]:
    """The segments that turn `old` into `new`, word by word.

    Within one edit, the removed words come before the added ones; a lone
    space between two edits joins them (`[-a b-]{+c d+}` rather than
    `[-a-]{+c+} [-b-]{+d+}`), which is how people read a rewording.
    """
    runs = _runs(tokens(old), tokens(new))
    segments: list[Segment] = []
    removed, added = [], []

    def flush() -> None:
        if removed:
            segments.append(Segment(DELETE, "".join(removed)))
        if added:
            segments.append(Segment(INSERT, "".join(added)))
        removed.clear()
        added.clear()

    for index, (tag, old_text, new_text) in enumerate(runs):
        if tag == "equal":
            between_edits = (removed or added) and index + 1 < len(runs) and runs[index + 1][0] != "equal"
            if between_edits and old_text.isspace():
                removed.append(old_text)
                added.append(new_text)
                continue
            flush()
            segments.append(Segment(EQUAL, old_text))
        else:
            removed.append(old_text)
            added.append(new_text)
    flush()
    return _space_after(_merged(segments))


def _merged(segments: list[Segment]) -> list[Segment]:
    """Adjacent segments of one kind as one; empty ones dropped."""
    out: list[Segment] = []
    for segment in segments:
        if not segment.text:
            continue
        if out and out[-1].kind == segment.kind:
            out[-1] = Segment(segment.kind, out[-1].text + segment.text)
        else:
            out.append(segment)
    return out


# difflib's matching grows faster than the square of the length on long texts
# (a space or "the" recurs everywhere).  The unchanged start and end are cut off
# first (an edit of a few words in a long text costs next to nothing); a changed
# middle longer than WORD_LIMIT tokens is compared sentence by sentence, and only
# edited stretches up to WORD_LIMIT word by word, so any text diffs in bounded time.
WORD_LIMIT = 800  # tokens (words, spaces, punctuation) per side
SENTENCE_LIMIT = 1000  # sentences per side; beyond, the changed middle is one replacement
Run = tuple[str, str, str]  # (difflib tag, old text, new text)
_SENTENCE_END = frozenset(".!?;:")


def _runs(a: list[str], b: list[str]) -> list[Run]:
    """The edit from token list `a` to `b` as difflib-style runs, in bounded time."""
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    runs: list[Run] = []
    if start:
        runs.append(("equal", "".join(a[:start]), "".join(b[:start])))
    runs.extend(_middle(a[start : len(a) - end], b[start : len(b) - end]))
    if end:
        runs.append(("equal", "".join(a[len(a) - end :]), "".join(b[len(b) - end :])))
    return runs


def _middle(a: list[str], b: list[str]) -> list[Run]:
    if not a and not b:
        return []
    if len(a) <= WORD_LIMIT and len(b) <= WORD_LIMIT:
        return _word_runs(a, b)
    sa, sb = _sentences(a), _sentences(b)
    if len(sa) > SENTENCE_LIMIT or len(sb) > SENTENCE_LIMIT:
        return [("replace", "".join(a), "".join(b))]
    runs: list[Run] = []
    matcher = difflib.SequenceMatcher(None, sa, sb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = "".join(sa[i1:i2]), "".join(sb[j1:j2])
        ta, tb = tokens(old), tokens(new)
        if tag == "equal" or len(ta) > WORD_LIMIT or len(tb) > WORD_LIMIT:
            runs.append((tag, old, new))
        else:
            runs.extend(_word_runs(ta, tb))
    return runs


def _word_runs(a: list[str], b: list[str]) -> list[Run]:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [(tag, "".join(a[i1:i2]), "".join(b[j1:j2])) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]


def _sentences(words: list[str]) -> list[str]:
    """Tokens joined into sentences, each with the space after it: cut after
    . ! ? ; : followed by a space, and at line and paragraph breaks."""
    out, current = [], []
    for token in words:
        current.append(token)
        if token.isspace() and ("\n" in token or (len(current) > 1 and current[-2] in _SENTENCE_END)):
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def _space_after(segments: list[Segment]) -> list[Segment]:
    """Move a lone addition's or removal's leading space to its end:
    `launches {+new +}guidelines`, not `launches{+ new+} guidelines`."""
    out = list(segments)
    for i in range(1, len(out) - 1):
        before, change, after = out[i - 1], out[i], out[i + 1]
        if before.kind != EQUAL or after.kind != EQUAL or change.kind == EQUAL:
            continue
        space = change.text[: len(change.text) - len(change.text.lstrip())]
        if space and after.text.startswith(space) and not change.text.isspace():
            out[i - 1] = Segment(EQUAL, before.text + space)
            out[i] = Segment(change.kind, change.text[len(space):] + space)
            out[i + 1] = Segment(EQUAL, after.text[len(space):])
    return _merged(out)


def changed(segments: Sequence[Segment]) -> bool:
    return any(s.kind != EQUAL for s in segments)


def old_text(segments: Sequence[Segment]) -> str:
    return "".join(s.text for s in segments if s.kind != INSERT)


def new_text(segments: Sequence[Segment]) -> str:
    return "".join(s.text for s in segments if s.kind != DELETE)


def compact(segments: Sequence[Segment], context: int = 6) -> list[Segment]:
    """The segments with long unchanged stretches cut to `context` words each side of an edit.

    What a terminal shows of a long summary where one word changed:
    `… the meeting [-on-]{+in+} Geneva adopted …`.
    """
    out: list[Segment] = []
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment.kind != EQUAL:
            out.append(segment)
            continue
        words = tokens(segment.text)
        keep = context * 2  # a word and the space after it are two tokens
        before = index > 0  # an edit precedes this stretch
        after = index < last  # an edit follows it
        limit = keep * (before + after)
        if not (before or after) or len(words) <= limit + 2:
            out.append(segment)
            continue
        head = "".join(words[:keep]).rstrip() + " " if before else ""
        tail = " " + "".join(words[-keep:]).lstrip() if after else ""
        out.append(Segment(EQUAL, f"{head}{ELLIPSIS}{tail}"))
    return out


def printable(text: str) -> str:
    """`text` without control characters, fit to print on a terminal."""
    return _CONTROL.sub("", text)


def render_plain(segments: Sequence[Segment]) -> str:
    """`unchanged [-removed-]{+added+} unchanged`: for plain text and pipes."""
    return "".join(_wrap(s, _PLAIN) for s in segments)


def render_ansi(segments: Sequence[Segment]) -> str:
    """The same marks as colours for a terminal (removed red and struck, added green and underlined)."""
    return "".join(_wrap(s, _ANSI) for s in segments)


def render_html(segments: Sequence[Segment], *, del_style: str = "", ins_style: str = "") -> str:
    """`<del>` and `<ins>` around the changes; every character of the text escaped.

    The optional inline styles are for email, whose clients drop <style> blocks.
    """
    parts = []
    for s in segments:
        text = html.escape(s.text, quote=True)
        if s.kind == EQUAL:
            parts.append(text)
        else:
            tag = "del" if s.kind == DELETE else "ins"
            style = del_style if s.kind == DELETE else ins_style
            attribute = f' style="{html.escape(style, quote=True)}"' if style else ""
            parts.append(f"<{tag}{attribute}>{text}</{tag}>")
    return "".join(parts)


def _wrap(segment: Segment, marks: dict) -> str:
    text = printable(segment.text)
    if segment.kind == EQUAL:
        return text
    start, end = marks[segment.kind]
    return f"{start}{text}{end}"
