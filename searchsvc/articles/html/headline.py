"""The article's headline, and the site names pages join to it in their titles."""

from __future__ import annotations

import re

from .elements import squash
from .metadata import PageMetadata, text_value

_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·•»«/]\s+|\s+::\s+")
# Separators that also occur inside headlines ("Review - ...", "Brexit: ...").
_AMBIGUOUS_SEPARATORS = {"-", ":", "/"}


def headline(page: PageMetadata) -> str:
    """The headline, preferring the publisher's own metadata over page titles."""
    candidates = (
        page.meta.get("og:title"),
        page.meta.get("twitter:title"),
        text_value(page.linked_data.get("headline")),
        _page_heading(page),
    )
    for candidate in candidates:
        title = " ".join((candidate or "").split())
        if title:
            return _strip_site_name(title, page.source)
    return ""


def _page_heading(page: PageMetadata) -> str:
    """The first <h1> if the <title> agrees with it (an <h1> may name a section), else the <title>."""
    h1, title_tag = page.first("h1"), page.first("title")
    heading = h1.get_text(" ") if h1 else ""
    title = title_tag.get_text(" ") if title_tag else ""
    heading_words = set(heading.lower().split())
    if not title or len(heading_words & set(title.lower().split())) * 2 >= len(heading_words) > 0:
        return heading
    return title


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
    looks_like_suffix = last_separator not in _AMBIGUOUS_SEPARATORS or len(tail.split()) <= 3
    if names_site or (looks_like_suffix and len(head.split()) >= 3):
        return _strip_site_name(head, source) if last_separator == "|" else head
    return title
