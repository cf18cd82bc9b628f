"""JSON and JSON Lines exports: one article per object, under the field names exports use.

Both are read a piece at a time, so an export of any size takes little memory: a JSON Lines
file line by line, a JSON list item by item (json's C scanner decodes each item where it
starts in the text read so far)."""

import itertools
import json
import re
from collections.abc import Iterable, Iterator

from bs4 import BeautifulSoup

from .folders import FolderDefaults
from .model import Article, make_article
from .streaming import BadRecord, numbered_lines

FIELDS = {
    "title": ("title", "headline", "name"),
    "body": ("body", "text", "content", "articleBody", "article", "description", "summary"),
    "date": ("date", "published", "published_at", "publishedAt", "pubDate", "datePublished",
             "created_at", "time", "timestamp"),
    "source": ("source", "site", "site_name", "publisher", "outlet", "agency"),
    "url": ("url", "link", "href"),
    "language": ("language", "lang", "locale"),
    "id": ("id", "guid", "uuid", "_id"),
}
_LIST_KEYS = ("articles", "items", "data", "results", "documents", "docs")
# A body is cleaned as HTML when it holds an HTML element's tag or a comment. "<" and ">"
# alone say nothing: agency copy marks companies so ("<BCR>", "<IBM.N>"), and parsing those
# as HTML dropped them, at a millisecond an article.
_HTML_TAG = re.compile(
    r"<(?:/?(?:p|br|div|span|a|b|i|u|s|em|strong|small|sub|sup|ul|ol|li|dl|dt|dd|h[1-6]|q|"
    r"blockquote|cite|figure|figcaption|img|picture|table|caption|thead|tbody|tr|td|th|"
    r"section|article|header|footer|aside|nav|main|hr|pre|code|font|center|script|style|"
    r"noscript|iframe|template)(?=[\s/>])|!--)", re.IGNORECASE)


def read_json(pieces: Iterable[str], *, id: str, path: str, limit: int,
              defaults: FolderDefaults | None = None
              ) -> Iterator[Article | BadRecord]:
    """A JSON file (not JSON Lines, see `holds_json_lines`): one article object, a list of
    them, or an object holding such a list (the first member named in _LIST_KEYS that is a
    list). A list's items come as they are read; a failure past the first item is raised
    after the items before it. One object may take at most `limit` characters."""
    json_text = _JsonText(pieces, limit)
    first = json_text.peek()
    members = None
    if first == "[":
        yield from _items(json_text, id=id, path=path, defaults=defaults)
    elif first == "{":
        members = yield from _object(json_text, id=id, path=path, defaults=defaults, limit=limit)
    elif first:
        json_text.value()
        raise ValueError("the JSON holds neither an article object nor a list of articles")
    else:
        raise ValueError("the file holds only whitespace")
    if json_text.peek():
        raise json_text.error(json_text.pos, "Extra data")
    if members is not None:
        yield _article(members, id=id, path=path, defaults=defaults)


def holds_json_lines(pieces: Iterable[str], limit: int) -> bool:
    """Whether a ".json" file is really JSON Lines, as many exports are: its first line is a
    whole JSON object (of at most `limit` characters) and more text follows."""
    pieces = iter(pieces)
    first: list[str] = []
    size = 0
    for piece in pieces:
        if not size:
            piece = piece.lstrip()
        newline = piece.find("\n")
        first.append(piece if newline < 0 else piece[:newline])
        size += len(first[-1])
        if size > limit:
            return False
        if newline >= 0:
            rest = piece[newline + 1:]
            break
    else:
        return False
    try:
        if not isinstance(_DECODER.decode("".join(first)), dict):
            return False
    except ValueError:
        return False
    return any(text and not text.isspace() for text in itertools.chain([rest], pieces))


def read_jsonl(pieces: Iterable[str], *, id: str, path: str, limit: int, first_line: int = 1,
               defaults: FolderDefaults | None = None
               ) -> Iterator[Article | BadRecord]:
    """A JSON Lines file, or a part of one starting at line `first_line`: one article object
    per line; a line that does not parse, or is longer than `limit` characters, is reported."""
    for number, line, ended in numbered_lines(pieces, first_line, limit):
        if line is None:
            yield BadRecord(str(number), f"line {number}: longer than {limit // 2**20} MiB")
            continue
        if not line or line.isspace():
            continue
        try:
            item = _DECODER.decode(line)
        except json.JSONDecodeError as exc:
            cut = not ended and _cut_off(exc, line)
            yield BadRecord(str(number), f"line {number}: invalid JSON ({exc.msg})"
                                         + (", cut off by the end of the file" if cut else ""))
            continue
        except RecursionError:
            yield BadRecord(str(number), f"line {number}: JSON nested too deeply")
            continue
        yield _record(item, number, id=id, path=path, defaults=defaults)


_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Text that stops inside a value fails within this many characters of its end ("-Infinity"
# is the longest token), or as an unterminated string.
_CUT_MARGIN = 16


def _cut_off(exc: json.JSONDecodeError, text: str, margin: int = 0) -> bool:
    """Whether the error is one that more text after `text` could mend."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= len(text.rstrip()) - margin


class _JsonText:
    """JSON text read a piece at a time, and a position in it from which values are decoded
    one at a time; the text before the position is let go as more is read."""

    def __init__(self, pieces: Iterable[str], limit: int):
        self._pieces = iter(pieces)
        self._limit = limit
        self.text = ""
        self.pos = 0
        self.ended = False
        self._let_go = 0  # characters before the text's first one
        self._newlines_before = 0  # among them
        self._column_before = 0  # of the text's first character

    def peek(self) -> str:
        """The next character that is not JSON white space ("" at the end), stepping to it."""
        while True:
            self.pos = _WHITESPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._read():
                return ""

    def value(self) -> object:
        """The JSON value at the position, stepping past it."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
                if end < len(self.text) or self.ended:  # a number at the end may go on
                    self.pos = end
                    return value
            except json.JSONDecodeError as exc:
                if self.ended or not _cut_off(exc, self.text, _CUT_MARGIN):
                    raise self.error(exc.pos, exc.msg) from None
            if len(self.text) - self.pos > self._limit:
                line, column = self._where(self.pos)
                raise ValueError(f"the JSON value at line {line} column {column} is larger "
                                 f"than {self._limit // 2**20} MiB")
            self._read()

    def offset(self) -> int:
        """Characters read before the position."""
        return self._let_go + self.pos

    def expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            raise self.error(self.pos, message)
        self.pos += 1

    def error(self, pos: int, message: str) -> ValueError:
        """The error for invalid JSON at `pos`, or for a file that stops inside a value."""
        if self.ended and (pos >= len(self.text.rstrip()) or message.startswith("Unterminated")):
            line, column = self._where(len(self.text))
            return ValueError(f"the file ends in the middle of the JSON (at line {line} "
                              f"column {column})")
        line, column = self._where(pos)
        return ValueError(f"invalid JSON at line {line} column {column}: {message}")

    def _where(self, pos: int) -> tuple[int, int]:
        line_start = self.text.rfind("\n", 0, pos)
        column = pos - line_start if line_start >= 0 else self._column_before + pos + 1
        return self._newlines_before + self.text.count("\n", 0, pos) + 1, column

    def _read(self) -> bool:
        piece = next(self._pieces, None)
        if piece is None:
            self.ended = True
            return False
        newlines = self.text.count("\n", 0, self.pos)
        if newlines:
            self._newlines_before += newlines
            self._column_before = self.pos - self.text.rfind("\n", 0, self.pos) - 1
        else:
            self._column_before += self.pos
        self._let_go += self.pos
        self.text = self.text[self.pos:] + piece
        self.pos = 0
        return True


def _items(json_text: _JsonText, *, id: str, path: str, defaults: FolderDefaults | None
           ) -> Iterator[Article | BadRecord]:
    """The items of the list at the position, each as it is read."""
    json_text.expect("[", "Expecting '['")
    if json_text.peek() == "]":
        json_text.pos += 1
        return
    number = 0
    while True:
        number += 1
        try:
            item = json_text.value()
        except ValueError as exc:
            raise ValueError(f"item {number}: {exc}") from None
        yield _record(item, number, id=id, path=path, defaults=defaults)
        following = json_text.peek()
        if following not in ("]", ","):
            raise json_text.error(json_text.pos, "Expecting ',' delimiter")
        json_text.pos += 1
        if following == "]":
            return


def _object(json_text: _JsonText, *, id: str, path: str, limit: int,
            defaults: FolderDefaults | None
            ) -> Iterator[Article | BadRecord]:
    """Read the object at the position: when it holds a list of articles, yield them and
    return None; otherwise return its members (at most `limit` characters of them)."""
    start = json_text.offset()
    json_text.expect("{", "Expecting '{'")
    members: dict | None = {}
    if json_text.peek() == "}":
        json_text.pos += 1
        return members
    while True:
        if json_text.peek() != '"':
            raise json_text.error(json_text.pos,
                                  "Expecting property name enclosed in double quotes")
        key = json_text.value()
        json_text.expect(":", "Expecting ':' delimiter")
        if members is not None and key in _LIST_KEYS and json_text.peek() == "[":
            members = None
            yield from _items(json_text, id=id, path=path, defaults=defaults)
        else:
            value = json_text.value()
            if members is not None:
                members[key] = value
                if json_text.offset() - start > limit:
                    raise ValueError(f"the JSON object is larger than {limit // 2**20} MiB")
        if json_text.peek() == "}":
            json_text.pos += 1
            return members
        json_text.expect(",", "Expecting ',' delimiter")


def _record(item: object, number: int, *, id: str, path: str,
            defaults: FolderDefaults | None) -> Article | BadRecord:
    if not isinstance(item, dict):
        return BadRecord(str(number), f"item {number}: not a JSON object")
    key = _first(item, "id") or str(number)
    try:
        return _article(item, id=f"{id}:{key}", path=path, defaults=defaults)
    except ValueError as exc:
        return BadRecord(key, f"item {number}: {exc}")


def _article(item: dict, *, id: str, path: str, defaults: FolderDefaults | None) -> Article:
    body = _first(item, "body")
    if not body:
        raise ValueError("no article text (looked for: " + ", ".join(FIELDS["body"]) + ")")
    if _HTML_TAG.search(body):
        body = html_fragment_text(body)
    return make_article(id=id, path=path, body=body, title=_first(item, "title"),
                        date=_first(item, "date", raw=True), source=_first(item, "source"),
                        url=_first(item, "url"), language=_first(item, "language"),
                        defaults=defaults)


def _first(item: dict, field: str, raw: bool = False):
    for key in FIELDS[field]:
        value = item.get(key)
        if value is None or value == "":  # most names an export does not use
            continue
        if isinstance(value, dict):
            value = value.get("name") or value.get("title") or value.get("url")
        if isinstance(value, list):
            value = "\n\n".join(str(v) for v in value if isinstance(v, (str, int, float)))
        if value not in (None, ""):
            return value if raw and isinstance(value, (int, float)) else str(value)
    return None


def html_fragment_text(fragment: str) -> str:
    """Text of an HTML fragment (a body field holding markup), one paragraph per block."""
    soup = BeautifulSoup(fragment, "lxml")
    for tag in soup(["script", "style", "noscript", "iframe", "template"]):
        tag.decompose()
    for tag in soup.find_all(["p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                              "blockquote", "tr", "section", "article"]):
        tag.insert_before("\n\n")
    return soup.get_text()
