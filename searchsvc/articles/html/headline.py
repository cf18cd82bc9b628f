"""The article's headline as readers see it: the heading nearest the article text that agrees
with the page's own titles (og:title, JSON-LD, <title>); else those titles without the site
names and sections joined to them."""

from __future__ import annotations

import re

from bs4 import Tag

from .elements import ancestors, by_nearness, squash
from .metadata import PageMetadata, text_value

_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·•»«/]\s+|\s+::\s+|\s*_+\s*")
# Separators that also occur inside headlines ("Review - ...", "Brexit: ...").
_AMBIGUOUS_SEPARATORS = {"-", ":", "/"}
# Separators that join several parts to a headline ("Headline | Section | Site").
_REPEATED_SEPARATORS = {"|", "_"}
# Longer elements named like titles are wrappers, not headings.
_MAX_HEADING_CHARS = 300
# Letters of scripts written without spaces: each counts as a word.
_UNSPACED_LETTER = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_WORD = re.compile(r"[^\W_]+")
# A heading agrees with a title when it holds this share of the title's text, or when their
# words overlap this much (Jaccard): "Vision Pro is the ..." and "Vision Pro hands-on: the ...".
_AGREEING_SHARE = 0.5
_AGREEING_WORDS = 0.6


def headline(page: PageMetadata, container: Tag | None) -> str:
    """The headline of the article held by container (None: the whole page)."""
    titles = [title for title in (_clean(page.meta.get("og:title")),
                                  _clean(page.meta.get("twitter:title")),
                                  _clean(text_value(page.linked_data.get("headline"))),
                                  _clean(_element_text(page.first("title"))))
              if title]
    stripped = [_strip_site_name(title, page.source) for title in titles]
    headings = _nearest_first(page.headings, container)
    surroundings = _surroundings(container)
    for heading in headings:
        text = _clean(_element_text(heading))
        if len(text) > _MAX_HEADING_CHARS:
            continue
        is_near = any(a is surroundings for a in ancestors(heading, None))
        for title, short in zip(titles, stripped):
            # Near the article, a heading may show one part of a title the site name was not
            # stripped from ("About bugs" of "About bugs – Vortex Cannon").
            if _agrees(text, title, short) or (is_near and squash(text) in _parts(short)):
                # A heading repeating the whole title, site name and all, is a copy of it.
                return short if short != title and squash(title) in squash(text) else text
    if stripped:
        return stripped[0]
    h1s = (_clean(_element_text(heading)) for heading in headings if heading.name == "h1")
    return next((text for text in h1s if text), "")


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _element_text(tag: Tag | None) -> str:
    return tag.get_text(" ") if tag is not None else ""


def _nearest_first(headings: list[Tag], container: Tag | None) -> list[Tag]:
    """<h1> elements before other headings; each ordered by nearness to the container."""
    return sorted(by_nearness(headings, container), key=lambda tag: tag.name != "h1")


def _surroundings(container: Tag | None) -> Tag | None:
    """The element around the article container where its headline is, if not inside it."""
    return container.parent if container is not None else None


def _agrees(heading: str, title: str, short_title: str) -> bool:
    """Whether a heading shows the page's title: most of it (with or without the site name),
    or the title and more, or most of the same words."""
    squashed = squash(heading)
    if not squashed:
        return False
    for whole in (squash(short_title), squash(title)):
        if squashed in whole and len(squashed) >= _AGREEING_SHARE * len(whole):
            return True
        if whole and whole in squashed and len(whole) >= _AGREEING_SHARE * len(squashed):
            return True
    heading_words, title_words = _words(heading), _words(short_title)
    union = heading_words | title_words
    return bool(union) and len(heading_words & title_words) >= _AGREEING_WORDS * len(union)


def _parts(title: str) -> set[str]:
    """The squashed beginnings and ends of a title that end or start at a separator."""
    cuts = [(m.start(), m.end()) for m in _TITLE_SEPARATOR.finditer(title)]
    return {squash(title[:start]) for start, _ in cuts} | {squash(title[end:]) for _, end in cuts}


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _word_count(text: str) -> int:
    """Words in text; letters of scripts without spaces count one each."""
    unspaced = len(_UNSPACED_LETTER.findall(text))
    return unspaced + len(_WORD.findall(_UNSPACED_LETTER.sub(" ", text)))


def _strip_site_name(title: str, source: str | None) -> str:
    """Drop a leading or trailing " | Site Name" part (and " | Section" parts) from a title."""
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) == 1:
        return title
    separators = _TITLE_SEPARATOR.findall(title)
    site = squash(source or "")
    if site and squash(parts[0]) == site:
        return title[title.find(separators[0]) + len(separators[0]):].strip()
    head, tail = title[:title.rfind(separators[-1])].strip(), parts[-1]
    last_separator = separators[-1].strip()
    names_site = bool(site) and squash(tail).startswith(site)
    looks_like_suffix = last_separator not in _AMBIGUOUS_SEPARATORS or _word_count(tail) <= 3
    if names_site or (looks_like_suffix and _word_count(head) >= 3):
        return _strip_site_name(head, source) if last_separator in _REPEATED_SEPARATORS else head
    return title
