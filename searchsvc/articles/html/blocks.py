"""Split a page's markup into the runs of text a browser renders as paragraphs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bs4 import NavigableString, Tag
from bs4.element import PreformattedString

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
    owner: Tag

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


@dataclass
class Blocks:
    """The text blocks under an element, in document order."""

    blocks: list[Block]
    # ids of block elements that contain other block elements
    nested: set[int]
    # id of each owner element to the text of its last block
    last_text: dict[int, str]

    def leaf_text(self, tag: Tag) -> str:
        """The text of an element holding no other block element ('' otherwise)."""
        return "" if id(tag) in self.nested else self.last_text.get(id(tag), "")


def is_junk(tag: Tag) -> bool:
    return tag.name in _JUNK_TAGS


def text_blocks(root: Tag, skip: Callable[[Tag], bool]) -> Blocks:
    """Split the text under root into paragraph blocks, leaving out skipped elements."""
    blocks: list[Block] = []
    nested: set[int] = set()
    last_text: dict[int, str] = {}
    owners: list[Tag] = [root]
    parts: list[str] = []
    link_chars = 0
    # How many links and <pre> elements enclose the current node.
    inside = {"a": 0, "pre": 0}

    def flush(owner: Tag) -> None:
        nonlocal parts, link_chars
        text = _normalise_space("".join(parts))
        if text:
            blocks.append(Block(text, min(link_chars, len(text)), owner))
            last_text[id(owner)] = text
        parts, link_chars = [], 0

    # An explicit stack instead of recursion: broken pages can nest very deep.
    iterators = [iter(root.contents)]
    closing: list[Tag | None] = [None]
    while iterators:
        node = next(iterators[-1], None)
        if node is None:
            iterators.pop()
            tag = closing.pop()
            if tag is not None and tag.name in BLOCK_TAGS:
                flush(tag)
                owners.pop()
            if tag is not None and _counts_as(tag) in inside:
                inside[tag.name] -= 1
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append(_LINE_BREAK)
                continue
            if skip(node):
                continue
            if node.name in BLOCK_TAGS:
                flush(owners[-1])
                nested.add(id(owners[-1]))
                owners.append(node)
            if _counts_as(node) in inside:
                inside[node.name] += 1
            iterators.append(iter(node.contents))
            closing.append(node)
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            parts.append(node.replace("\n", _LINE_BREAK) if inside["pre"] else node)
            if inside["a"]:
                link_chars += len(node.strip())
    flush(root)
    return Blocks(blocks, nested, last_text)


def _counts_as(tag: Tag) -> str:
    """The tag's name, except for an <a> without href: an anchor ("top"), not a link; old
    pages leave one open around all their text."""
    return "anchor" if tag.name == "a" and "href" not in tag.attrs else tag.name


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
