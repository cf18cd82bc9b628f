"""Turn page bytes into text and text into a parsed tree, as browsers would read them."""

from __future__ import annotations

import codecs
import re

from bs4 import BeautifulSoup

from ..encoding import decode_text

_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE)
_CHARSET_SCAN_BYTES = 64 * 1024
# Browsers read these labels as Windows-1252 (WHATWG Encoding Standard).
_WINDOWS_1252_ALIASES = {"ascii", "latin-1", "iso8859-1", "cp1252"}
_SURROGATE = re.compile("[\ud800-\udfff]")


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


def parse_html(text: str) -> BeautifulSoup:
    """Parse with lxml, which stops at NUL characters and rejects lone surrogates."""
    return BeautifulSoup(_SURROGATE.sub("\ufffd", text.replace("\x00", "")), "lxml")
