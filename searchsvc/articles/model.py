"""The Article every reader produces and everything downstream consumes."""

import datetime as dt
import re
from dataclasses import dataclass

from .dates import parse_date
from .folders import FolderDefaults
from .language import detect_language, normalize_language

HEADLINE_CHARS = 90
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'’”»)]*\s+(?=[A-ZА-ЯЁ0-9\"'“«])")


@dataclass(frozen=True)
class Article:
    """One news article, cleaned: plain-text title and body (paragraphs split by blank lines)."""

    id: str
    title: str
    body: str
    date: dt.date | None
    source: str | None
    language: str
    url: str | None
    path: str


def make_article(*, id: str, path: str, body: str, title: str | None = None, date: object = None,
                 source: str | None = None, language: str | None = None,
                 url: str | None = None, defaults: FolderDefaults | None = None) -> Article:
    """Normalise what a reader found: tidy whitespace, derive a missing headline and language.
    What the file does not say, its folder's `defaults` may: the source, the language (else
    detected), the time zone its times are read in."""
    defaults = defaults or FolderDefaults()
    body = clean_paragraphs(body)
    title = clean_line(title or "") or headline_from(body)
    return Article(
        id=id,
        title=title,
        body=body,
        date=parse_date(date, defaults.zone()),
        source=clean_line(source or "") or defaults.source,
        language=(normalize_language(language) or defaults.language
                  or detect_language(f"{title}\n{body}")),
        url=clean_line(url or "") or None,
        path=path,
    )


def clean_line(text: str) -> str:
    """Collapse all runs of whitespace (no-break spaces included) into single spaces."""
    # split() splits at every Unicode space (no-break ones too) but the zero-width one.
    return " ".join(str(text).replace("\u200b", " ").split())


def clean_paragraphs(text: str) -> str:
    """Paragraphs separated by one blank line; hard-wrapped lines inside a paragraph joined."""
    paragraphs = (clean_line(p) for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")))
    return "\n\n".join(p for p in paragraphs if p)


def headline_from(body: str) -> str:
    """A headline for an article that has none: its lead sentence, cut at a clause or word."""
    lead = re.sub(r"^\W+", "", body.split("\n\n", 1)[0])
    sentence = _SENTENCE_END.split(lead, maxsplit=1)[0].strip()
    if len(sentence) <= HEADLINE_CHARS:
        return sentence.rstrip(".")
    head = sentence[:HEADLINE_CHARS + 1]
    clause = max(head.rfind(", "), head.rfind("; "), head.rfind(" – "), head.rfind(" - "))
    if clause >= 40:
        return head[:clause].rstrip(" ,;-–")
    return head[:head.rfind(" ")].rstrip(" ,;:-–") + "…" if " " in head else head + "…"
