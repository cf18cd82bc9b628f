"""Extract the article of a web page: its text, headline, publication date and metadata.

One module per part of the page: `decoding` (bytes to a parsed tree), `metadata` (meta tags,
JSON-LD, language, address), `blocks` (markup to paragraphs), `furniture` (what surrounds an
article), `body` (which container holds the article), `headline` and `dates`. All rules are
generic: none names a site.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .blocks import Block, is_junk, text_blocks
from .body import article_text
from .dates import publication_date
from .decoding import decode_html, parse_html
from .elements import squash
from .headline import headline
from .metadata import PageMetadata, text_value

__all__ = ["HtmlArticle", "decode_html", "extract_html"]


@dataclass(frozen=True)
class HtmlArticle:
    """The article found in one HTML page."""

    title: str
    body: str
    date: datetime.date | None
    source: str | None
    language: str | None
    url: str | None


# The JSON-LD articleBody replaces a page text this many times shorter.
_DECLARED_BODY_RATIO = 3


def extract_html(data: bytes | str) -> HtmlArticle:
    """Extract the article of an HTML page given as raw bytes or decoded text.

    A page with a headline and a date but no article text (a video, a gallery, a page its
    scripts fill) gives an article with an empty body. Raises ValueError when the page holds
    no article text and lacks either.
    """
    if isinstance(data, (bytes, bytearray)):
        data = decode_html(bytes(data))
    elif not isinstance(data, str):
        raise TypeError(f"expected bytes or str, not {type(data).__name__}")
    soup = parse_html(data)
    page = PageMetadata.scan(soup)
    # The whole page, not its <body>: given no <body> tag, the parser leaves all of a page
    # inside <head> after an element it does not know; and <body> may hold the article.
    found = article_text(soup)
    title = headline(page, found.container)
    blocks = _without_headline(found.blocks, title)
    body = "\n\n".join(block.text for block in blocks)
    declared_body = _linked_data_body(page)
    # Pages rendered by scripts may hold the text only in their JSON-LD.
    if len(body) * _DECLARED_BODY_RATIO < len(declared_body):
        body = declared_body
    date = publication_date(page, found.container, data)
    if not body and not (title and date):
        raise ValueError("no article text found in HTML page")
    return HtmlArticle(title=title, body=body, date=date, source=page.source,
                       language=page.language, url=page.url)


def _without_headline(blocks: list[Block], title: str) -> list[Block]:
    """Leave out the headline when the page repeats it at the top of the article."""
    squashed = squash(title)
    for index, block in enumerate(blocks[:3]):
        if block.owner.name == "h1" or (squashed and squash(block.text) == squashed):
            return blocks[:index] + blocks[index + 1:]
    return blocks


def _linked_data_body(page: PageMetadata) -> str:
    """The JSON-LD articleBody as paragraphs ('' when absent)."""
    text = text_value(page.linked_data.get("articleBody"))
    if "<" in text:
        fragment = parse_html(text)
        return "\n\n".join(block.text for block in text_blocks(fragment, is_junk).blocks)
    paragraphs = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
