"""Reuters-21578 SGML files: many <REUTERS> stories a file, each with DATE, TITLE and BODY."""

import html
import re
from collections.abc import Iterable, Iterator

from .folders import FolderDefaults
from .model import Article, make_article
from .streaming import BadRecord

_NEWID = re.compile(r'NEWID="(\d+)"')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ELEMENTS = {tag: re.compile(rf"<{tag}\b[^>]*>(.*?)</{tag}>", re.S)
             for tag in ("TITLE", "BODY", "TEXT", "DATE")}


def read_reuters(pieces: Iterable[str], *, id: str, path: str, limit: int,
                 defaults: FolderDefaults | None = None) -> Iterator[Article | BadRecord]:
    """Every story in the SGML text (read a piece at a time), its NEWID keeping its id stable
    (a story without one is numbered by its place in the file). A story longer than `limit`
    characters is reported and passed over."""
    number = 0
    for attributes, story in _stories(pieces, limit):
        number += 1
        newid = _NEWID.search(attributes)
        key = newid.group(1) if newid else str(number)
        if story is None:
            yield BadRecord(key, f"story {number}: longer than {limit // 2**20} MiB")
            continue
        title = _element(story, "TITLE")
        body = _element(story, "BODY")
        if body is None and 'TYPE="UNPROC"' in story:
            body = _element(story, "TEXT")
        body = _without_signoff(body or "")
        if not title and not body.strip():
            title = f"Untitled Reuters story {key}"  # one UNPROC story has no text at all
        yield make_article(id=f"{id}:{key}", path=path, body=_reflow(body), title=title,
                           date=(_element(story, "DATE") or "").strip(), source="Reuters",
                           language="en", defaults=defaults)
    if number == 0:
        raise ValueError("no <REUTERS> stories found in the SGML file")


def _stories(pieces: Iterable[str], limit: int) -> Iterator[tuple[str, str | None]]:
    """(attributes, content) of each <REUTERS ...>...</REUTERS> element, as
    re.findall(r"<REUTERS\\b([^>]*)>(.*?)</REUTERS>", text, re.S) gives them, found with
    str.find (a tenth of the time: the regex tries the end tag at every character) in the
    text read so far. The content is None for an element longer than `limit`."""
    pieces = iter(pieces)
    text = ""
    position = 0
    ended = False
    while True:
        start = text.find("<REUTERS", position)
        after = start + len("<REUTERS")
        close = text.find(">", after) if start >= 0 else -1
        end = text.find("</REUTERS>", close + 1) if close >= 0 else -1
        if end < 0 and not ended:  # read on, keeping the story begun (or a tag's beginning)
            if start >= 0 and len(text) - start > limit:
                yield (text[after:close] if close >= 0 else ""), None
                text, position, start = text[after:], 0, -1
            keep = start if start >= 0 else max(position, len(text) - len("<REUTERS"))
            piece = next(pieces, None)
            ended = piece is None
            text, position = text[keep:] + (piece or ""), 0
            continue
        if start < 0:
            return
        if after < len(text) and _is_word_char(text[after]):
            position = start + 1
            continue
        if end < 0:
            raise ValueError("the file ends inside its last <REUTERS> story")
        yield text[after:close], text[close + 1:end]
        position = end + len("</REUTERS>")


def _without_signoff(body: str) -> str:
    """The body without the closing "Reuter" word and the spaces around it (what the regex
    \\s*\\b(Reuter|REUTER)\\s*$ matches, found from the end instead of scanning the body)."""
    end = len(body.rstrip())
    for word in ("Reuter", "REUTER"):
        start = end - len(word)
        if body.endswith(word, 0, end) and (start == 0 or not _is_word_char(body[start - 1])):
            return body[:start].rstrip()
    return body


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _element(story: str, tag: str) -> str | None:
    match = _ELEMENTS[tag].search(story)
    if not match:
        return None
    return _CONTROL.sub("", html.unescape(match.group(1))).strip()


def _reflow(body: str) -> str:
    """Reuters wraps lines at 70 columns and starts paragraphs with an indent."""
    return re.sub(r"\n(?=\s{2,}\S)", "\n\n", body)
