"""Split a page's markup into the runs of text a browser renders as paragraphs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml.etree import iterwalk
from lxml.html import HtmlElement

BLOCK_TAGS = frozenset("""
    address article aside blockquote body center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html
    li main menu nav ol p pre section summary table tbody thead tfoot tr td th caption ul
""".split())
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Shorter blocks are labels, not paragraphs.
MIN_PARAGRAPH_CHARS = 25
# Elements never part of an article's text. <head> is not one: a page without <body> whose
# <head> holds an element it does not know gets all its text inside <head> from the parser.
_JUNK_TAGS = frozenset(
    "script style noscript template iframe object embed svg canvas math button select "
    "input textarea option label nav aside footer menu dialog figcaption picture video "
    "audio map title link meta base".split())
# Stands for <br> in collected text; parsed text holds no NUL characters.
_LINE_BREAK = "\x00"
# Control characters read as spaces; soft hyphens and zero-width spaces as nothing.
_CONTROL_TO_SPACE = dict.fromkeys([*range(0x20), 0x7F], " ") | dict.fromkeys([0xAD, 0x200B, 0xFEFF])


@dataclass
class Block:
    """A run of text rendered as one paragraph, with the element holding it."""

    text: str
    link_chars: int
    owner: HtmlElement

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


@dataclass
class Blocks:
    """The text blocks under an element, in document order."""

    blocks: list[Block]
    # block elements that contain other block elements
    nested: set[HtmlElement]
    # each owner element's last block's text
    last_text: dict[HtmlElement, str]

    def leaf_text(self, element: HtmlElement) -> str:
        """The text of an element holding no other block element ('' otherwise)."""
        return "" if element in self.nested else self.last_text.get(element, "")


def is_junk(element: HtmlElement) -> bool:
    return element.tag in _JUNK_TAGS


def text_blocks(root: HtmlElement, skip: Callable[[HtmlElement], bool]) -> Blocks:
    """Split the text under root into paragraph blocks, leaving out skipped elements."""
    blocks: list[Block] = []
    nested: set[HtmlElement] = set()
    last_text: dict[HtmlElement, str] = {}
    owners: list[HtmlElement] = [root]
    parts: list[str] = []
    link_chars = 0
    # How many links and <pre> elements enclose the current text.
    inside = {"a": 0, "pre": 0}

    def flush(owner: HtmlElement) -> None:
        nonlocal parts, link_chars
        text = _normalise_space("".join(parts))
        if text:
            blocks.append(Block(text, min(link_chars, len(text)), owner))
            last_text[owner] = text
        parts, link_chars = [], 0

    def add(text: str | None) -> None:
        nonlocal link_chars
        if text:
            parts.append(text.replace("\n", _LINE_BREAK) if inside["pre"] else text)
            if inside["a"]:
                link_chars += len(text.strip())

    # lxml walks the tree in C; an element's tail is the text after it, in its parent.
    walker = iterwalk(root, events=("start", "end"))
    passed_over = None
    for event, element in walker:
        if event == "start":
            if element is root:
                add(element.text)
            elif element.tag == "br" or skip(element):
                if element.tag == "br":
                    parts.append(_LINE_BREAK)
                walker.skip_subtree()
                passed_over = element
            else:
                if element.tag in BLOCK_TAGS:
                    flush(owners[-1])
                    nested.add(owners[-1])
                    owners.append(element)
                if _counts_as(element) in inside:
                    inside[element.tag] += 1
                add(element.text)
            continue
        if element is root:
            break
        if element is not passed_over:
            if element.tag in BLOCK_TAGS:
                flush(element)
                owners.pop()
            if _counts_as(element) in inside:
                inside[element.tag] -= 1
        add(element.tail)
    flush(root)
    return Blocks(blocks, nested, last_text)


def _counts_as(element: HtmlElement) -> str:
    """The tag's name, except for an <a> without href: an anchor ("top"), not a link; old
    pages leave one open around all their text."""
    return "anchor" if element.tag == "a" and "href" not in element.attrib else element.tag


def _normalise_space(text: str) -> str:
    """Collapse whitespace; a line break starts a line, two start a paragraph."""
    paragraphs: list[str] = []
    lines: list[str] = []
    for segment in text.split(_LINE_BREAK):
        line = " ".join(segment.translate(_CONTROL_TO_SPACE).split())
        if line:
            lines.append(line)
        elif lines:
            paragraphs.append("\n".join(lines))
            lines = []
    if lines:
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)
