"""What a page says about itself: meta tags, JSON-LD, and the elements that carry a headline,
a date, a language or an address; gathered in one pass over the page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

from .elements import attr, class_and_id

_METADATA_TAGS = frozenset({"html", "meta", "link", "title", "time", "script", "body"})
_HEADING_TAGS = frozenset({"h1", "h2", "h3"})
_ARTICLE_TYPES = re.compile(r"(Article|Posting|Report)$")
# HTML comment or CDATA markers some pages wrap around their JSON-LD
_JSON_WRAPPER = re.compile(r"^\s*(?:<!--|(?://\s*)?<!\[CDATA\[)|(?:-->|(?://\s*)?\]\]>)\s*$")
_DATE_HINT = re.compile(r"date|publish|posted|timestamp", re.IGNORECASE)
_HEADLINE_HINT = re.compile(r"headline|title|heading", re.IGNORECASE)
_MAX_HINTED_ELEMENTS = 20


@dataclass
class PageMetadata:
    """The metadata-bearing parts of a page."""

    meta: dict[str, str]
    linked_data: dict
    elements: dict[str, list[Tag]]
    # <time> elements and elements whose class or id suggests they show a date
    # ("publish-date"), in page order
    dated: list[Tag]
    # <h1>-<h3> and elements whose class or id suggests a headline, in page order
    headings: list[Tag]

    @classmethod
    def scan(cls, soup: BeautifulSoup) -> PageMetadata:
        elements: dict[str, list[Tag]] = {name: [] for name in _METADATA_TAGS}
        dated: list[Tag] = []
        headings: list[Tag] = []
        hinted_headings = 0
        for node in soup.descendants:
            if not isinstance(node, Tag):
                continue
            if node.name in _METADATA_TAGS:
                elements[node.name].append(node)
                if node.name == "time" and len(dated) < _MAX_HINTED_ELEMENTS:
                    dated.append(node)
                continue
            if node.name in _HEADING_TAGS:
                headings.append(node)
                continue
            if not node.attrs:
                continue
            hints = class_and_id(node)
            if len(dated) < _MAX_HINTED_ELEMENTS and _DATE_HINT.search(hints):
                dated.append(node)
            elif hinted_headings < _MAX_HINTED_ELEMENTS and _HEADLINE_HINT.search(hints):
                headings.append(node)
                hinted_headings += 1
        return cls(_meta_tags(elements["meta"]),
                   _article_linked_data(elements["script"]), elements, dated, headings)

    def first(self, name: str) -> Tag | None:
        found = self.elements[name]
        return found[0] if found else None

    @property
    def source(self) -> str | None:
        """The site name."""
        return (self.meta.get("og:site_name")
                or text_value(self.linked_data.get("publisher"))
                or self.meta.get("application-name")
                or None)

    @property
    def language(self) -> str | None:
        """The page language as a two-letter code."""
        html, body = self.first("html"), self.first("body")
        values = (
            attr(html, "lang") if html else "",
            attr(html, "xml:lang") if html else "",
            self.meta.get("og:locale"),
            self.meta.get("content-language"),
            self.meta.get("language"),
            self.meta.get("dc.language"),
            text_value(self.linked_data.get("inLanguage")),
            attr(body, "lang") if body else "",
        )
        for value in values:
            match = _LANGUAGE_CODE.match(value or "")
            if match:
                return match.group(1).lower()
        return None

    @property
    def url(self) -> str | None:
        """The canonical URL, preferring absolute ones."""
        canonical = [attr(link, "href") for link in self.elements["link"]
                     if "canonical" in attr(link, "rel").lower().split()]
        urls = [url for url in (*canonical, self.meta.get("og:url")) if url]
        absolute = [url for url in urls if re.match(r"https?://", url, re.IGNORECASE)]
        return (absolute or urls or [None])[0]


_LANGUAGE_CODE = re.compile(r"\s*([a-z]{2})(?:$|[-_\s,;])", re.IGNORECASE)


def _meta_tags(tags: list[Tag]) -> dict[str, str]:
    """Map lower-cased meta property/name/itemprop/http-equiv to the first content."""
    meta: dict[str, str] = {}
    for tag in tags:
        content = attr(tag, "content")
        if not content:
            continue
        for key_attr in ("property", "name", "itemprop", "http-equiv"):
            key = attr(tag, key_attr)
            if key:
                meta.setdefault(key.lower(), content)
    return meta


def _article_linked_data(scripts: list[Tag]) -> dict:
    """The JSON-LD object describing the article ({} when there is none)."""
    objects = [obj for script in scripts
               if "ld+json" in attr(script, "type").lower()
               for obj in _linked_data_objects(script.string or "")]
    for obj in objects:
        types = obj.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(isinstance(t, str) and _ARTICLE_TYPES.search(t) for t in types):
            return obj
    return next((obj for obj in objects if "headline" in obj), {})


def _linked_data_objects(source: str) -> Iterator[dict]:
    """Every JSON object of one JSON-LD script, @graph members included."""
    source = _JSON_WRAPPER.sub("", source)
    try:
        pending = [json.loads(source, strict=False)]
    except (ValueError, RecursionError):
        return
    while pending:
        item = pending.pop(0)
        if isinstance(item, list):
            pending[:0] = item
        elif isinstance(item, dict):
            yield item
            if isinstance(item.get("@graph"), list):
                pending[:0] = item["@graph"]


def text_value(value) -> str:
    """A JSON-LD value as text: the first string, or a nested object's name."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name", "")
    return value.strip() if isinstance(value, str) else ""
