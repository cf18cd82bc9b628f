"""JSON and JSON Lines exports: one article per object, under the field names exports use."""

import json
from collections.abc import Iterator

from bs4 import BeautifulSoup

from .model import Article, make_article

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


class BadRecord(ValueError):
    """Raised for one object of a multi-article file that is not an article; the rest go on."""

    def __init__(self, key: str, reason: str):
        super().__init__(reason)
        self.key = key


def read_json(text: str, *, id: str, path: str) -> Iterator[Article | BadRecord]:
    """A JSON file: one article object, a list of them, or an object holding such a list."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            # Many ".json" exports are really JSON Lines: one object per line.
            yield from read_jsonl(text, id=id, path=path)
            return
        raise ValueError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(data, dict):
        listed = next((data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)), None)
        if listed is None:
            yield _article(data, id=id, path=path)
            return
        data = listed
    if not isinstance(data, list):
        raise ValueError("the JSON holds neither an article object nor a list of articles")
    for number, item in enumerate(data, start=1):
        yield _record(item, number, id=id, path=path)


def read_jsonl(text: str, *, id: str, path: str) -> Iterator[Article | BadRecord]:
    """A JSON Lines file: one article object per line; a line that does not parse is reported."""
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BadRecord(str(number), f"line {number}: invalid JSON ({exc.msg})")
            continue
        yield _record(item, number, id=id, path=path)


def _record(item: object, number: int, *, id: str, path: str) -> Article | BadRecord:
    if not isinstance(item, dict):
        return BadRecord(str(number), f"item {number}: not a JSON object")
    key = _first(item, "id") or str(number)
    try:
        return _article(item, id=f"{id}:{key}", path=path)
    except ValueError as exc:
        return BadRecord(key, f"item {number}: {exc}")


def _article(item: dict, *, id: str, path: str) -> Article:
    body = _first(item, "body")
    if not body:
        raise ValueError("no article text (looked for: " + ", ".join(FIELDS["body"]) + ")")
    if "<" in body and ">" in body:
        body = html_fragment_text(body)
    return make_article(id=id, path=path, body=body, title=_first(item, "title"),
                        date=_first(item, "date", raw=True), source=_first(item, "source"),
                        url=_first(item, "url"), language=_first(item, "language"))


def _first(item: dict, field: str, raw: bool = False):
    for key in FIELDS[field]:
        value = item.get(key)
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
