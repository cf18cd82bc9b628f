"""Turn page bytes into text and text into a parsed tree, as browsers would read them."""

from __future__ import annotations

import codecs
import re

import lxml.html
from lxml.etree import ParserError

from ..encoding import decode_text

_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE)
_CHARSET_SCAN_BYTES = 64 * 1024
# Browsers read these labels as Windows-1252 (WHATWG Encoding Standard).
_WINDOWS_1252_ALIASES = {"ascii", "latin-1", "iso8859-1", "cp1252"}
# Characters lxml refuses in text: lone surrogates, and control characters (NUL ends a page
# for the parser, so it goes).
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f]")


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


def parse_html(text: str) -> lxml.html.HtmlElement:
    """The page's <html> element, parsed by libxml2 as browsers would; comments and
    processing instructions are left out (their neighbouring text is kept)."""
    text = _CONTROL.sub(" ", _SURROGATE.sub("\ufffd", text.replace("\x00", "")))
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except ParserError:  # nothing but whitespace
        return lxml.html.document_fromstring(b"<html></html>", parser=parser)
