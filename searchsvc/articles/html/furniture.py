"""Page furniture: the parts of a page around an article (menus, sharing, ads, comments,
bylines), told apart by tag, ARIA role and the words in class and id names."""

from __future__ import annotations

import re
from collections.abc import Callable

from bs4 import Tag

from .blocks import MIN_PARAGRAPH_CHARS, Block, is_junk, text_blocks
from .elements import ancestors, attr, class_and_id

# Class/id words of page furniture, skipped unless holding nearly all the page's prose
# (a page wrapper may be called "ad-pusher"). Short words count only ending a class name.
FURNITURE = re.compile(r"""
    (?:^|[\s_-])(?:
        share|sharing|social|comment(?!ary)|related|recommend|cookie|consent|gdpr
        |newsletter|subscri|signup|sign-up|promo|breadcrumb|footer|email|follow|login
        |trending|popular|most-?read|more-stories|recirc|disclaimer|copyright|caption
        |credit|advert|sponsor|rating|recent|dfp
        |(?:ads?|adv|cta)(?=$|\s)
    )""", re.IGNORECASE | re.VERBOSE)
# Layout parts; these sometimes wrap the whole article ("has-sidebar", "modal-open"),
# so they are skipped only when they do not hold most of the page's prose.
LAYOUT = re.compile(r"""
    (?:^|[\s_-])(?:
        sidebar|widget|menu|navbar|navigation|masthead|toolbar|popup|modal|overlay|banner
        |pagination|pager|skip|sr-only|visually-?hidden|screen-?reader
        |nav(?=$|\s)
    )|(?:^|\s)(?:hidden|hide|d-none)(?=$|\s)""", re.IGNORECASE | re.VERBOSE)
# Words for the parts around an article's text (byline, date, tags) and for printing. Alone
# they are furniture, but blogs put them on whole posts ("post author-jane-doe",
# "entry-author-jane", "authored-by-jane", "entry_Date") and the printable copy of a page is
# its article ("printReady"): an element so named that holds paragraphs of prose is kept.
ARTICLE_PART = re.compile(r"""
    (?:^|[\s_-])(?:
        author|byline|dateline|timestamp|print
        |(?:date|meta|tags?)(?=$|\s)
    )""", re.IGNORECASE | re.VERBOSE)
# Paragraphs of prose: blocks this long with few links. An element holding this many is not
# a byline, a date or a tag list.
_PROSE_PARAGRAPH_CHARS = 80
_PROSE_LINK_DENSITY = 0.3
_ARTICLE_PART_MIN_PARAGRAPHS = 2
_LAYOUT_TAGS = frozenset({"header", "form"})
_LAYOUT_ROLES = frozenset(
    "navigation banner complementary contentinfo menu menubar dialog alertdialog "
    "search toolbar tablist alert".split())
# Semantic article containers: their classes often carry taxonomy ("tag-x", "author-y").
_ARTICLE_TAGS = frozenset({"article", "main"})
# Embedded posts (tweets and the like) quoted by the article are part of it.
_EMBED = re.compile(r"embed", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Furniture or layout holding more than this share of the page's prose wraps the article.
_WRAPPER_PROSE_SHARE = {"furniture": 0.8, "layout": 0.5}


def furniture_filter(root: Tag) -> Callable[[Tag], bool]:
    """A test for elements to skip: junk, furniture, and layout parts not wrapping the prose."""
    prose, paragraphs = _prose(text_blocks(root, is_junk).blocks, root)
    total = prose.get(id(root), 0)

    def skip(tag: Tag) -> bool:
        if is_junk(tag):
            return True
        kind = _furniture_kind(tag)
        if kind == "article part":
            return paragraphs.get(id(tag), 0) < _ARTICLE_PART_MIN_PARAGRAPHS
        return kind is not None and prose.get(id(tag), 0) <= _WRAPPER_PROSE_SHARE[kind] * total
    return skip


def is_furniture_hint(hints: str) -> bool:
    """Whether class/id words name furniture, layout or a part around the article text."""
    return bool(FURNITURE.search(hints) or LAYOUT.search(hints) or ARTICLE_PART.search(hints))


def _prose(blocks: list[Block], root: Tag) -> tuple[dict[int, int], dict[int, int]]:
    """Per element id: characters of paragraph-like text beneath it (links left out), and
    how many paragraphs of prose it holds."""
    prose: dict[int, int] = {}
    paragraphs: dict[int, int] = {}
    for block in blocks:
        if len(block.text) < MIN_PARAGRAPH_CHARS:
            continue
        chars = len(block.text) - block.link_chars
        is_paragraph = (len(block.text) >= _PROSE_PARAGRAPH_CHARS
                        and block.link_density < _PROSE_LINK_DENSITY)
        for element in ancestors(block.owner, root):
            prose[id(element)] = prose.get(id(element), 0) + chars
            if is_paragraph:
                paragraphs[id(element)] = paragraphs.get(id(element), 0) + 1
    return prose, paragraphs


def _furniture_kind(tag: Tag) -> str | None:
    """"furniture" for sharing, ads, comments and the like; "layout" for menus,
    sidebars, hidden parts and the like; "article part" for bylines, dates and the like;
    None for anything else."""
    if tag.name in _LAYOUT_TAGS:
        return "layout"
    attrs = tag.attrs
    if not attrs:
        return None
    if ("hidden" in attrs or attr(tag, "aria-hidden").lower() == "true"
            or attr(tag, "role").lower() in _LAYOUT_ROLES
            or ("style" in attrs and _HIDDEN_STYLE.search(attr(tag, "style")))):
        return "layout"
    if tag.name in _ARTICLE_TAGS or is_marked_article_body(tag):
        return None
    hints = class_and_id(tag)
    if _EMBED.search(hints):
        return None
    if FURNITURE.search(hints):
        return "furniture"
    if LAYOUT.search(hints):
        return "layout"
    return "article part" if ARTICLE_PART.search(hints) else None


def is_marked_article_body(tag: Tag) -> bool:
    """Whether the publisher marked the element as the article text (schema.org)."""
    return "articlebody" in attr(tag, "itemprop").lower()
