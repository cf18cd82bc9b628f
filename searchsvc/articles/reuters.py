"""Reuters-21578 SGML files: many <REUTERS> stories a file, each with DATE, TITLE and BODY."""

import html
import re
from collections.abc import Iterator

from .model import Article, make_article

_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="(\d+)"')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SIGNOFF = re.compile(r"\s*\b(Reuter|REUTER)\s*$")


def read_reuters(text: str, *, id: str, path: str) -> Iterator[Article]:
    """Every story in the file, its NEWID keeping its id stable."""
    stories = _STORY.findall(text)
    if not stories:
        raise ValueError("no <REUTERS> stories found in the SGML file")
    for attributes, story in stories:
        newid = _NEWID.search(attributes)
        key = newid.group(1) if newid else str(len(stories))
        title = _element(story, "TITLE")
        body = _element(story, "BODY")
        if body is None and 'TYPE="UNPROC"' in story:
            body = _element(story, "TEXT")
        body = _SIGNOFF.sub("", body or "")
        if not title and not body.strip():
            title = f"Untitled Reuters story {key}"  # one UNPROC story has no text at all
        yield make_article(id=f"{id}:{key}", path=path, body=_reflow(body), title=title,
                           date=(_element(story, "DATE") or "").strip(), source="Reuters",
                           language="en")


def _element(story: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}>", story, re.S)
    if not match:
        return None
    return _CONTROL.sub("", html.unescape(match.group(1))).strip()


def _reflow(body: str) -> str:
    """Reuters wraps lines at 70 columns and starts paragraphs with an indent."""
    return re.sub(r"\n(?=\s{2,}\S)", "\n\n", body)
