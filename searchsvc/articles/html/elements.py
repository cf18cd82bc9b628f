"""Small readings of elements and text that the page's parts (body, headline, date) share."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from bs4 import Tag


def attr(tag: Tag, name: str) -> str:
    """An attribute as one stripped string ('' when absent)."""
    value = tag.attrs.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return (value or "").strip()


def class_and_id(tag: Tag) -> str:
    """The class and id of an element: where pages name what an element is for."""
    return f"{attr(tag, 'class')} {attr(tag, 'id')}"


def squash(text: str) -> str:
    """Text reduced to folded letters and digits, for loose comparisons."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def ancestors(element: Tag, root: Tag) -> Iterator[Tag]:
    """element and its ancestors up to and including root."""
    while element is not None:
        yield element
        if element is root:
            return
        element = element.parent


def by_nearness(tags: list[Tag], container: Tag | None) -> list[Tag]:
    """Tags ordered by nearness to the container (those sharing its deepest ancestor first),
    then in page order; in page order when there is no container."""
    if container is None:
        return list(tags)
    depth = {id(a): d for d, a in enumerate(reversed(list(ancestors(container, None))))}

    def nearness(tag: Tag) -> int:
        return next((depth[id(a)] for a in ancestors(tag, None) if id(a) in depth), 0)
    return sorted(tags, key=lambda tag: -nearness(tag))
