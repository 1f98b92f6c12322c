"""A blog home page showing whole posts: the parts of one post's body are no listing.

Some blogs show each post in full on the home page.  One long post's body
may then hold a run of paragraphs or list rows with links (footnotes,
sources, a reading list) that outweighs the posts by text; scoring's
`_enclosing_items` gives the posts back when such a run lies inside blocks
whose linked headings rank above it, unless that outer level is too light
(a list's wrapper around each row's links, a news page's section boxes
under short section names).  Posts shown whole are light by headline text
but are no wrapper: the run lies inside one post only, and the posts'
headings read as titles.  This tells them apart.
"""

from __future__ import annotations

from scraper.autodetect.elements import link_ancestor
from scraper.autodetect.texts import is_title_text, text_of
from scraper.autodetect.headings import HEADINGS

_MIN_POSTS = 3  # posts shown whole on a page: a blog's home shows a few at least


def within_one_post(blocks: list, posts: dict, sample) -> bool:
    """Whether every block lies inside the same one of `posts`, and `posts` are three or
    more whose most (an even `sample` of them) open with a linked heading that reads as a
    title, each its own (not a page's parts under the site's name, twice)."""
    if len(posts) < _MIN_POSTS:
        return False
    post = next((anc for anc in blocks[0].iterancestors() if anc in posts), None)
    if post is None:
        return False
    for block in blocks[1:]:
        if not any(anc is post for anc in block.iterancestors()):
            return False
    shown = sample(list(posts))
    titles = [t for t in map(_title_text, shown) if is_title_text(t)]
    return len(titles) * 2 > len(shown) and len(set(titles)) == len(titles)


def _title_text(block) -> str:
    """The text of a block's first heading with a link in or around it, "" when none."""
    for heading in block.iter(*HEADINGS):
        if heading.find(".//a[@href]") is not None or link_ancestor(heading, block) is not None:
            return text_of(heading)
    return ""
