"""Extract the article text and its metadata from a news web page.

The body is found readability-style: page furniture is skipped, text blocks
score their ancestor containers by length, commas and link density, and the
best container is kept with its related siblings. Metadata comes from meta
tags, JSON-LD and a few elements. All rules are generic: none names a site.
"""

from __future__ import annotations

import codecs
import datetime
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from .encoding import decode_text


@dataclass(frozen=True)
class HtmlArticle:
    """The article found in one HTML page."""

    title: str
    body: str
    date: datetime.date | None
    source: str | None
    language: str | None
    url: str | None


def extract_html(data: bytes | str) -> HtmlArticle:
    """Extract the article of an HTML page given as raw bytes or decoded text.

    Raises ValueError when the page holds no article text.
    """
    if isinstance(data, (bytes, bytearray)):
        data = decode_html(bytes(data))
    elif not isinstance(data, str):
        raise TypeError(f"expected bytes or str, not {type(data).__name__}")
    soup = _parse(data)
    page = _PageMetadata.scan(soup)
    title = _title(page)
    body = _body(page.first("body") or soup, title)
    declared_body = _linked_data_body(page)
    # Pages rendered by scripts may hold the text only in their JSON-LD.
    if len(body) * _DECLARED_BODY_RATIO < len(declared_body):
        body = declared_body
    if not body:
        raise ValueError("no article text found in HTML page")
    return HtmlArticle(title=title, body=body, date=_date(page), source=page.source,
                       language=_language(page), url=_url(page))


# The JSON-LD articleBody replaces a page text this many times shorter.
_DECLARED_BODY_RATIO = 3


# --- Decoding ---------------------------------------------------------------

_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE)
_CHARSET_SCAN_BYTES = 64 * 1024
# Browsers read these labels as Windows-1252 (WHATWG Encoding Standard).
_WINDOWS_1252_ALIASES = {"ascii", "latin-1", "iso8859-1", "cp1252"}


def decode_html(data: bytes) -> str:
    """Decode page bytes: BOM, then declared charset, then UTF-8, else Windows-1252."""
    return decode_text(data, declared=_declared_encoding(data))


def _declared_encoding(data: bytes) -> str | None:
    """The codec named by the page's meta charset or XML declaration, if usable."""
    match = _DECLARED_CHARSET.search(data, 0, _CHARSET_SCAN_BYTES)
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in _WINDOWS_1252_ALIASES:
        return "cp1252"
    if name.startswith(("utf-16", "utf-32")):
        # Bytes in which the declaration was readable as ASCII are not UTF-16.
        return "utf-8"
    return name


_SURROGATE = re.compile("[\ud800-\udfff]")


def _parse(text: str) -> BeautifulSoup:
    """Parse with lxml, which stops at NUL characters and rejects lone surrogates."""
    return BeautifulSoup(_SURROGATE.sub("\ufffd", text.replace("\x00", "")), "lxml")


# --- Metadata ---------------------------------------------------------------

_METADATA_TAGS = frozenset({"html", "meta", "link", "title", "h1", "time", "script", "body"})
_ARTICLE_TYPES = re.compile(r"(Article|Posting|Report)$")
# HTML comment or CDATA markers some pages wrap around their JSON-LD
_JSON_WRAPPER = re.compile(r"^\s*(?:<!--|(?://\s*)?<!\[CDATA\[)|(?:-->|(?://\s*)?\]\]>)\s*$")
_DATE_HINT = re.compile(r"date|publish|posted|timestamp", re.IGNORECASE)
_MAX_DATED_ELEMENTS = 20


@dataclass
class _PageMetadata:
    """The metadata-bearing parts of a page, gathered in one pass over it."""

    meta: dict[str, str]
    linked_data: dict
    elements: dict[str, list[Tag]]
    # Elements whose class or id suggests they show a date ("publish-date")
    dated: list[Tag]

    @classmethod
    def scan(cls, soup: BeautifulSoup) -> _PageMetadata:
        elements: dict[str, list[Tag]] = {name: [] for name in _METADATA_TAGS}
        dated: list[Tag] = []
        for node in soup.descendants:
            if not isinstance(node, Tag):
                continue
            if node.name in _METADATA_TAGS:
                elements[node.name].append(node)
            elif len(dated) < _MAX_DATED_ELEMENTS and _DATE_HINT.search(_class_and_id(node)):
                dated.append(node)
        return cls(_meta_tags(elements["meta"]),
                   _article_linked_data(elements["script"]), elements, dated)

    def first(self, name: str) -> Tag | None:
        found = self.elements[name]
        return found[0] if found else None

    @property
    def source(self) -> str | None:
        """The site name."""
        return (self.meta.get("og:site_name")
                or _text_value(self.linked_data.get("publisher"))
                or self.meta.get("application-name")
                or None)


def _meta_tags(tags: list[Tag]) -> dict[str, str]:
    """Map lower-cased meta property/name/itemprop/http-equiv to the first content."""
    meta: dict[str, str] = {}
    for tag in tags:
        content = _attr(tag, "content")
        if not content:
            continue
        for key_attr in ("property", "name", "itemprop", "http-equiv"):
            key = _attr(tag, key_attr)
            if key:
                meta.setdefault(key.lower(), content)
    return meta


def _attr(tag: Tag, name: str) -> str:
    """An attribute as one stripped string ('' when absent)."""
    value = tag.attrs.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return (value or "").strip()


def _article_linked_data(scripts: list[Tag]) -> dict:
    """The JSON-LD object describing the article ({} when there is none)."""
    objects = [obj for script in scripts
               if "ld+json" in _attr(script, "type").lower()
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


def _linked_data_body(page: _PageMetadata) -> str:
    """The JSON-LD articleBody as paragraphs ('' when absent)."""
    text = _text_value(page.linked_data.get("articleBody"))
    if "<" in text:
        fragment = _parse(text)
        return "\n\n".join(block.text for block in _text_blocks(fragment, _is_junk).blocks)
    paragraphs = (" ".join(line.split()) for line in text.splitlines())
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _text_value(value) -> str:
    """A JSON-LD value as text: the first string, or a nested object's name."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name", "")
    return value.strip() if isinstance(value, str) else ""


_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·•»«/]\s+|\s+::\s+")
# Separators that also occur inside headlines ("Review - ...", "Brexit: ...").
_AMBIGUOUS_SEPARATORS = {"-", ":", "/"}


def _title(page: _PageMetadata) -> str:
    """The headline, preferring the publisher's own metadata over page titles."""
    candidates = (
        page.meta.get("og:title"),
        page.meta.get("twitter:title"),
        _text_value(page.linked_data.get("headline")),
        _page_heading(page),
    )
    for candidate in candidates:
        title = " ".join((candidate or "").split())
        if title:
            return _strip_site_name(title, page.source)
    return ""


def _page_heading(page: _PageMetadata) -> str:
    """The first <h1> if the <title> agrees with it (an <h1> may name a section), else the <title>."""
    h1, title_tag = page.first("h1"), page.first("title")
    heading = h1.get_text(" ") if h1 else ""
    title = title_tag.get_text(" ") if title_tag else ""
    heading_words = set(heading.lower().split())
    if not title or len(heading_words & set(title.lower().split())) * 2 >= len(heading_words) > 0:
        return heading
    return title


def _strip_site_name(title: str, source: str | None) -> str:
    """Drop a leading or trailing " | Site Name" part (and " | Section" parts) from a title."""
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) == 1:
        return title
    separators = _TITLE_SEPARATOR.findall(title)
    site = _squash(source or "")
    if site and _squash(parts[0]) == site:
        return title[title.find(separators[0]) + len(separators[0]):].strip()
    head, tail = title[:title.rfind(separators[-1])].strip(), parts[-1]
    last_separator = separators[-1].strip()
    names_site = bool(site) and _squash(tail).startswith(site)
    looks_like_suffix = last_separator not in _AMBIGUOUS_SEPARATORS or len(tail.split()) <= 3
    if names_site or (looks_like_suffix and len(head.split()) >= 3):
        return _strip_site_name(head, source) if last_separator == "|" else head
    return title


def _squash(text: str) -> str:
    """Text reduced to lower-case letters and digits, for loose comparisons."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


# Meta names of publication dates, read after JSON-LD and article:published_time.
_OTHER_DATE_META_KEYS = (
    "article:published", "og:article:published_time",
    "og:published_time", "datepublished", "article.published", "published_time",
    "publishdate", "publish-date", "publish_date", "pubdate", "date", "dc.date",
    "dc.date.issued", "dc.date.created", "dcterms.date", "dcterms.issued",
    "dcterms.created", "sailthru.date", "parsely-pub-date", "citation_publication_date",
    "citation_date", "prism.publicationdate", "datecreated",
)


def _date(page: _PageMetadata) -> datetime.date | None:
    """The publication date from meta tags, JSON-LD, a <time> element or a dateline."""
    values = [_text_value(page.linked_data.get("datePublished")),
              page.meta.get("article:published_time")]
    values += [page.meta.get(key) for key in _OTHER_DATE_META_KEYS]
    values += [_text_value(page.linked_data.get("dateCreated"))]
    values += _time_element_values(page.elements["time"])
    values += [_attr(tag, "content") or tag.get_text(" ", strip=True)[:200] for tag in page.dated]
    for value in values:
        date = _parse_date(value) if value else None
        if date:
            return date
    return None


def _time_element_values(times: list[Tag]) -> list[str]:
    """Values of <time> elements, those marked as the publication time first."""
    marked, others = [], []
    for time in times:
        value = _attr(time, "datetime") or time.get_text(" ", strip=True)
        hint = f"{_attr(time, 'itemprop')} {_attr(time, 'class')}".lower()
        is_marked = "pubdate" in time.attrs or re.search("publish|pubdate|created", hint)
        (marked if is_marked else others).append(value)
    return marked + others


_MONTHS = {name: number for number, names in enumerate((
    ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
    ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
    ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
    ("dec", "december")), start=1) for name in names}
_DATE_PATTERNS = (
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})(?:$|[T\s])"), "ymd"),
    (re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I), "mdy"),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+([a-z]{3,9})\.?,?\s+(\d{4})\b", re.I), "dmy"),
)


def _parse_date(value: str) -> datetime.date | None:
    """The calendar date written in a date string (ISO, RFC 2822 or English words).

    The date is taken as written, in the publisher's time zone.
    """
    for pattern, order in _DATE_PATTERNS:
        match = pattern.search(value)
        if match:
            parts = dict(zip(order, match.groups(), strict=True))
            month = int(parts["m"]) if parts["m"].isdigit() else _MONTHS.get(parts["m"].lower())
            date = _make_date(int(parts["y"]), month, int(parts["d"]))
            if date:
                return date
    try:
        return parsedate_to_datetime(value.strip()).date()
    except (TypeError, ValueError, IndexError):
        return None


def _make_date(year: int, month: int | None, day: int) -> datetime.date | None:
    """A date if the parts form a plausible one."""
    if not month or not 1900 <= year <= 2200:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


_LANGUAGE_CODE = re.compile(r"\s*([a-z]{2})(?:$|[-_\s,;])", re.IGNORECASE)


def _language(page: _PageMetadata) -> str | None:
    """The page language as a two-letter code."""
    html, body = page.first("html"), page.first("body")
    values = (
        _attr(html, "lang") if html else "",
        _attr(html, "xml:lang") if html else "",
        page.meta.get("og:locale"),
        page.meta.get("content-language"),
        page.meta.get("language"),
        page.meta.get("dc.language"),
        _text_value(page.linked_data.get("inLanguage")),
        _attr(body, "lang") if body else "",
    )
    for value in values:
        match = _LANGUAGE_CODE.match(value or "")
        if match:
            return match.group(1).lower()
    return None


def _url(page: _PageMetadata) -> str | None:
    """The canonical URL, preferring absolute ones."""
    canonical = [_attr(link, "href") for link in page.elements["link"]
                 if "canonical" in _attr(link, "rel").lower().split()]
    urls = [url for url in (*canonical, page.meta.get("og:url")) if url]
    absolute = [url for url in urls if re.match(r"https?://", url, re.IGNORECASE)]
    return (absolute or urls or [None])[0]


# --- Body -------------------------------------------------------------------

_BLOCK_TAGS = frozenset("""
    address article aside blockquote body center dd details dialog dir div dl dt
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html
    li main menu nav ol p pre section summary table tbody thead tfoot tr td th caption ul
""".split())
_HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Elements never part of an article's text.
_JUNK_TAGS = frozenset(
    "script style noscript template iframe object embed svg canvas math button select "
    "input textarea option label nav aside footer menu dialog figcaption picture video "
    "audio map head title link meta".split())
# Class/id words of page furniture, skipped unless holding nearly all the page's prose
# (a page wrapper may be called "ad-pusher"). Short words count only ending a class name.
_FURNITURE = re.compile(r"""
    (?:^|[\s_-])(?:
        share|sharing|social|comment(?!ary)|related|recommend|cookie|consent|gdpr
        |newsletter|subscri|signup|sign-up|promo|breadcrumb|footer|byline|dateline
        |timestamp|author|email|follow|login|trending|popular|most-?read|more-stories
        |recirc|disclaimer|copyright|caption|credit|advert|sponsor|rating|recent|dfp
        |(?:ads?|adv|tags?|meta|date|cta)(?=$|\s)
    )""", re.IGNORECASE | re.VERBOSE)
# Layout parts; these sometimes wrap the whole article ("has-sidebar", "modal-open"),
# so they are skipped only when they do not hold most of the page's prose.
_LAYOUT = re.compile(r"""
    (?:^|[\s_-])(?:
        sidebar|widget|menu|navbar|navigation|masthead|toolbar|popup|modal|overlay|banner
        |pagination|pager|skip|sr-only|visually-?hidden|screen-?reader|print
        |nav(?=$|\s)
    )|(?:^|\s)hidden(?=$|\s)""", re.IGNORECASE | re.VERBOSE)
_LAYOUT_TAGS = frozenset({"header", "form"})
_LAYOUT_ROLES = frozenset(
    "navigation banner complementary contentinfo menu menubar dialog alertdialog "
    "search toolbar tablist alert".split())
# Semantic article containers: their classes often carry taxonomy ("tag-x", "author-y").
_ARTICLE_TAGS = frozenset({"article", "main"})
# Embedded posts (tweets and the like) quoted by the article are part of it.
_EMBED = re.compile(r"embed", re.IGNORECASE)
_CONTENT_HINT = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose",
    re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_TAG_WEIGHTS = {
    "div": 5, "pre": 3, "td": 3, "blockquote": 3,
    "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5,
}
_AD_LABEL = re.compile(r"(advertisement|advertising|sponsored|ad)$", re.IGNORECASE)
_SENTENCE_ENDS = (".", "!", "?", "…", "。", "！", "？", '"', "”", "»")
_MIN_PARAGRAPH_CHARS = 25
# Stands for <br> in collected text; parsed text holds no NUL characters.
_LINE_BREAK = "\x00"
# Control characters read as spaces; soft hyphens and zero-width spaces as nothing.
_CONTROL_TO_SPACE = dict.fromkeys([*range(0x20), 0x7F], " ") | dict.fromkeys([0xAD, 0x200B, 0xFEFF])
# Furniture or layout holding more than this share of the page's prose wraps the article.
_WRAPPER_PROSE_SHARE = {"furniture": 0.8, "layout": 0.5}


@dataclass
class _Block:
    """A run of text rendered as one paragraph, with the element holding it."""

    text: str
    link_chars: int
    owner: Tag

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


@dataclass
class _Blocks:
    """The text blocks under an element, in document order."""

    blocks: list[_Block]
    # ids of block elements that contain other block elements
    nested: set[int]
    # id of each owner element to the text of its last block
    last_text: dict[int, str]

    def leaf_text(self, tag: Tag) -> str:
        """The text of an element holding no other block element ('' otherwise)."""
        return "" if id(tag) in self.nested else self.last_text.get(id(tag), "")


def _body(root: Tag, title: str) -> str:
    """The article text, paragraphs separated by blank lines."""
    skip_furniture = _furniture_filter(root)
    found = _text_blocks(root, skip_furniture)
    if not found.blocks:
        return ""
    kept = [block for block in _article_blocks(root, found)
            if not _is_link_list_item(block) and not _AD_LABEL.match(block.text)]
    kept = _drop_title(kept, title)
    return "\n\n".join(block.text for block in kept)


def _is_junk(tag: Tag) -> bool:
    return tag.name in _JUNK_TAGS


def _furniture_filter(root: Tag) -> Callable[[Tag], bool]:
    """A test for elements to skip: junk, furniture, and layout parts not wrapping the prose."""
    prose = _prose_chars(_text_blocks(root, _is_junk).blocks, root)
    total = prose.get(id(root), 0)

    def skip(tag: Tag) -> bool:
        if _is_junk(tag):
            return True
        kind = _furniture_kind(tag)
        return kind is not None and prose.get(id(tag), 0) <= _WRAPPER_PROSE_SHARE[kind] * total
    return skip


def _prose_chars(blocks: list[_Block], root: Tag) -> dict[int, int]:
    """Per element id: characters of paragraph-like text beneath it, links left out."""
    prose: dict[int, int] = {}
    for block in blocks:
        if len(block.text) >= _MIN_PARAGRAPH_CHARS:
            chars = len(block.text) - block.link_chars
            for element in _ancestors(block.owner, root):
                prose[id(element)] = prose.get(id(element), 0) + chars
    return prose


def _ancestors(element: Tag, root: Tag) -> Iterator[Tag]:
    """element and its ancestors up to and including root."""
    while element is not None:
        yield element
        if element is root:
            return
        element = element.parent


def _furniture_kind(tag: Tag) -> str | None:
    """"furniture" for sharing, ads, comments and the like; "layout" for menus,
    sidebars, hidden parts and the like; None for anything else."""
    if tag.name in _LAYOUT_TAGS:
        return "layout"
    attrs = tag.attrs
    if not attrs:
        return None
    if ("hidden" in attrs or _attr(tag, "aria-hidden").lower() == "true"
            or _attr(tag, "role").lower() in _LAYOUT_ROLES
            or ("style" in attrs and _HIDDEN_STYLE.search(_attr(tag, "style")))):
        return "layout"
    if tag.name in _ARTICLE_TAGS or _is_marked_article_body(tag):
        return None
    hints = _class_and_id(tag)
    if _EMBED.search(hints):
        return None
    if _FURNITURE.search(hints):
        return "furniture"
    return "layout" if _LAYOUT.search(hints) else None


def _class_and_id(tag: Tag) -> str:
    return f"{_attr(tag, 'class')} {_attr(tag, 'id')}"


def _text_blocks(root: Tag, skip: Callable[[Tag], bool]) -> _Blocks:
    """Split the text under root into paragraph blocks, leaving out skipped elements."""
    blocks: list[_Block] = []
    nested: set[int] = set()
    last_text: dict[int, str] = {}
    owners: list[Tag] = [root]
    parts: list[str] = []
    link_chars = 0
    # How many <a> and <pre> elements enclose the current node.
    inside = {"a": 0, "pre": 0}

    def flush(owner: Tag) -> None:
        nonlocal parts, link_chars
        text = _normalise_space("".join(parts))
        if text:
            blocks.append(_Block(text, min(link_chars, len(text)), owner))
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
            if tag is not None and tag.name in _BLOCK_TAGS:
                flush(tag)
                owners.pop()
            if tag is not None and tag.name in inside:
                inside[tag.name] -= 1
        elif isinstance(node, Tag):
            if node.name == "br":
                parts.append(_LINE_BREAK)
                continue
            if skip(node):
                continue
            if node.name in _BLOCK_TAGS:
                flush(owners[-1])
                nested.add(id(owners[-1]))
                owners.append(node)
            if node.name in inside:
                inside[node.name] += 1
            iterators.append(iter(node.contents))
            closing.append(node)
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            parts.append(node.replace("\n", _LINE_BREAK) if inside["pre"] else node)
            if inside["a"]:
                link_chars += len(node.strip())
    flush(root)
    return _Blocks(blocks, nested, last_text)


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


def _is_link_list_item(block: _Block) -> bool:
    """Mostly-link text (related stories, tags, menus); linked sentences stay."""
    if block.link_density <= 0.5:
        return False
    return block.owner.name != "p" or not block.text.endswith(_SENTENCE_ENDS)


def _article_blocks(root: Tag, found: _Blocks) -> list[_Block]:
    """The blocks of the best-scoring container and of its related siblings."""
    scores = _container_scores(root, found)
    if not scores:
        return found.blocks
    totals = _text_totals(found.blocks, root)
    final = {key: score * (1 - _density(totals, key)) for key, (score, _) in scores.items()}
    elements = {key: element for key, (_, element) in scores.items()}
    best, best_score = _best_container(root, final, elements)
    if best is root:
        return found.blocks
    keep = _related_siblings(best, best_score, final, totals, found)
    return [block for block in found.blocks if _is_kept(block, keep, best.parent)]


def _container_scores(root: Tag, found: _Blocks) -> dict[int, tuple[float, Tag]]:
    """Readability scores: each paragraph credits its ancestors, less the further up."""
    scores: dict[int, tuple[float, Tag]] = {}
    for block in found.blocks:
        if block.owner.name in _HEADING_TAGS or len(block.text) < _MIN_PARAGRAPH_CHARS:
            continue
        points = 1 + _comma_count(block.text) + min(len(block.text) / 100, 3)
        points *= 1 - block.link_density
        # Text beside other blocks is a paragraph of its own inside its owner.
        first = block.owner if id(block.owner) in found.nested or block.owner is root \
            else block.owner.parent
        for level, ancestor in enumerate(_ancestors(first, root)):
            if level == 5:
                break
            score = scores[id(ancestor)][0] if id(ancestor) in scores else _initial_score(ancestor)
            divider = 1 if level == 0 else 2 if level == 1 else level * 3
            scores[id(ancestor)] = (score + points / divider, ancestor)
    return scores


def _comma_count(text: str) -> int:
    return text.count(",") + text.count("，") + text.count("、")


def _initial_score(tag: Tag) -> float:
    """A container's starting score from its tag and its class/id hints."""
    score = _TAG_WEIGHTS.get(tag.name, 0)
    hints = f"{_class_and_id(tag)} {_attr(tag, 'itemprop')}"
    if _FURNITURE.search(hints) or _LAYOUT.search(hints):
        score -= 25
    if _CONTENT_HINT.search(hints):
        score += 25
    return score


def _text_totals(blocks: list[_Block], root: Tag) -> dict[int, tuple[int, int]]:
    """Per element id: (characters of text, characters of link text) beneath it."""
    totals: dict[int, tuple[int, int]] = {}
    for block in blocks:
        for element in _ancestors(block.owner, root):
            text, links = totals.get(id(element), (0, 0))
            totals[id(element)] = (text + len(block.text), links + block.link_chars)
    return totals


def _density(totals: dict[int, tuple[int, int]], key: int) -> float:
    text, links = totals.get(key, (0, 0))
    return links / text if text else 0.0


def _child_tags(tag: Tag) -> list[Tag]:
    return [child for child in tag.contents if isinstance(child, Tag)]


def _best_container(root: Tag, final: dict[int, float],
                    elements: dict[int, Tag]) -> tuple[Tag, float]:
    """The top-scoring element, widened to an ancestor when content looks split up,
    and the score it stands for."""
    ranked = sorted(final, key=final.get, reverse=True)
    best, best_score = elements[ranked[0]], final[ranked[0]]
    if best is root:
        return root, best_score
    # Several near-best candidates under one ancestor: the article is that ancestor.
    close = [elements[key] for key in ranked[1:5] if final[key] >= 0.75 * best_score]
    if len(close) >= 3:
        close_ancestors = [{id(a) for a in _ancestors(element, root)} for element in close]
        for ancestor in _ancestors(best.parent, root):
            if sum(id(ancestor) in ids for ids in close_ancestors) >= 3:
                best = ancestor
                break
    # A parent scoring higher than its child holds more of the content.
    last_score = final.get(id(best), 0.0)
    for parent in _ancestors(best.parent, root):
        parent_score = final.get(id(parent))
        if parent is root or (parent_score is not None and parent_score < best_score / 3):
            break
        if parent_score is not None:
            if parent_score > last_score:
                best = parent
                break
            last_score = parent_score
    # A wrapper around nothing else holds the same content: it inherits the score.
    score = final.get(id(best), 0.0)
    while best is not root and best.parent is not root and len(_child_tags(best.parent)) == 1:
        best = best.parent
        score = max(score, final.get(id(best), 0.0))
    # The publisher's own mark for the article text wins over a part of it
    # (a caption gallery, a quiz) that happens to score higher.
    marked = next((a for a in _ancestors(best, root) if _is_marked_article_body(a)), best)
    return marked, max(score, final.get(id(marked), 0.0))


def _is_marked_article_body(tag: Tag) -> bool:
    """Whether the publisher marked the element as the article text (schema.org)."""
    return "articlebody" in _attr(tag, "itemprop").lower()


def _related_siblings(best: Tag, best_score: float, final: dict[int, float],
                      totals: dict[int, tuple[int, int]], found: _Blocks) -> set[int]:
    """Ids of the best container and the siblings that look like more of the article."""
    threshold = max(10.0, best_score * 0.2)
    best_class = _attr(best, "class")
    keep = {id(best)}
    for sibling in _child_tags(best.parent):
        bonus = best_score * 0.2 if best_class and _attr(sibling, "class") == best_class else 0
        if (final.get(id(sibling), 0) + bonus >= threshold
                or _looks_like_paragraph(sibling, totals, found)):
            keep.add(id(sibling))
    return keep


def _looks_like_paragraph(tag: Tag, totals: dict[int, tuple[int, int]], found: _Blocks) -> bool:
    """A stand-alone sibling paragraph: long with few links, or a short clean sentence."""
    text = found.leaf_text(tag)
    density = _density(totals, id(tag))
    if len(text) > 80:
        return density < 0.25
    return bool(text) and density == 0 and text.endswith(_SENTENCE_ENDS)


def _is_kept(block: _Block, keep: set[int], parent: Tag) -> bool:
    """Whether the block lies inside one of the kept children of parent."""
    element = block.owner
    while element is not None and element is not parent:
        if id(element) in keep:
            return True
        element = element.parent
    return False


def _drop_title(blocks: list[_Block], title: str) -> list[_Block]:
    """Leave out the headline when the page repeats it at the top of the article."""
    squashed = _squash(title)
    for index, block in enumerate(blocks[:3]):
        if block.owner.name == "h1" or (squashed and _squash(block.text) == squashed):
            return blocks[:index] + blocks[index + 1:]
    return blocks
