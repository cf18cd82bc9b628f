"""Small readings of elements and text that the page's parts (body, headline, date) share."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from lxml.etree import iterwalk
from lxml.html import HtmlElement

# Elements whose text is code, not something a reader sees.
_CODE_TAGS = frozenset({"script", "style", "template", "noscript"})


def attr(element: HtmlElement, name: str) -> str:
    """An attribute with its spacing collapsed ('' when absent)."""
    return " ".join((element.get(name) or "").split())


def class_and_id(element: HtmlElement) -> str:
    """The class and id of an element: where pages name what an element is for."""
    return f"{attr(element, 'class')} {attr(element, 'id')}"


def text_of(element: HtmlElement) -> str:
    """The text a reader sees in an element, its pieces joined by spaces."""
    pieces: list[str] = []
    walker = iterwalk(element, events=("start", "end"))
    for event, node in walker:
        if event == "start":
            if node.tag in _CODE_TAGS:
                walker.skip_subtree()
            elif node.text:
                pieces.append(node.text)
        elif node is not element and node.tail:
            pieces.append(node.tail)
    return " ".join(" ".join(pieces).split())


def squash(text: str) -> str:
    """Text reduced to folded letters and digits, for loose comparisons."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def ancestors(element: HtmlElement | None,
              root: HtmlElement | None) -> Iterator[HtmlElement]:
    """element and its ancestors up to and including root (the top of the page if None)."""
    while element is not None:
        yield element
        if element is root:
            return
        element = element.getparent()


def by_nearness(elements: list[HtmlElement],
                container: HtmlElement | None) -> list[HtmlElement]:
    """Elements ordered by nearness to the container (those sharing its deepest ancestor
    first), then in page order; in page order when there is no container."""
    if container is None:
        return list(elements)
    depth = {a: d for d, a in enumerate(reversed(list(ancestors(container, None))))}

    def nearness(element: HtmlElement) -> int:
        return next((depth[a] for a in ancestors(element, None) if a in depth), 0)
    return sorted(elements, key=lambda element: -nearness(element))
