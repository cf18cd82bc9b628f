"""Plain-text articles: the seed format (`key value` header lines, body, source line) and
headline-first text (first line is the headline, as in the BBC corpus)."""

import re

from .folders import FolderDefaults
from .model import Article, make_article

HEADER_KEYS = {"date": "date", "title": "title", "headline": "title", "source": "source",
               "url": "url", "link": "url", "language": "language", "lang": "language"}
_HEADER = re.compile(r"^\s*([A-Za-z]+)\s*:?\s+(\S.*?)\s*$")
_SENTENCE_PUNCT = re.compile(r"[.!?:;,\"”]$")


def read_text(text: str, *, id: str, path: str, defaults: FolderDefaults | None = None
              ) -> Article:
    """Parse one plain-text article."""
    lines = text.split("\n")
    headers: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        match = _HEADER.match(line)
        key = HEADER_KEYS.get(match.group(1).lower()) if match else None
        if not key or key in headers:
            break
        headers[key] = match.group(2)
        index += 1
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(lines[index:])) if p.strip()]
    if not paragraphs:
        raise ValueError("the file has no article text")

    title = headers.get("title")
    source = headers.get("source")
    if headers and len(paragraphs) > 1 and _is_source_line(paragraphs[-1]):
        # The seed format closes with a short line naming the agency: metadata, not body.
        source = source or paragraphs[-1]
        paragraphs.pop()
    elif not headers and len(paragraphs) > 1 and _is_headline(paragraphs[0]):
        title = paragraphs.pop(0)
    return make_article(id=id, path=path, body="\n\n".join(paragraphs), title=title,
                        date=headers.get("date"), source=source,
                        language=headers.get("language"), url=headers.get("url"),
                        defaults=defaults)


def _is_source_line(paragraph: str) -> bool:
    return ("\n" not in paragraph and len(paragraph) <= 40 and len(paragraph.split()) <= 5
            and not _SENTENCE_PUNCT.search(paragraph))


def _is_headline(paragraph: str) -> bool:
    return "\n" not in paragraph and len(paragraph) <= 200 and not paragraph.endswith(".")
