"""Read article files of every supported format into `Article`s; report what cannot be read."""

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArticleError
from .encoding import decode_text, looks_binary
from .jsonl import BadRecord, read_json, read_jsonl
from .model import Article, make_article
from .reuters import read_reuters
from .text import read_text

MAX_FILE_BYTES = 64 * 1024 * 1024
FORMATS = {
    ".txt": "text", ".text": "text", "": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".sgm": "reuters", ".sgml": "reuters",
}
# Files that travel with collections but are not articles.
DEFAULT_EXCLUDES = ("README*", "LICENSE*", "LICENCE*", "COPYING*", "CHANGELOG*", "SOURCE.md", ".*")

__all__ = ["Article", "Flag", "Problem", "SourceFile", "find_files", "read_file", "make_article"]


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest: where it is, the id prefix its articles get, and its change signature."""

    path: str
    id: str
    signature: str


@dataclass(frozen=True)
class Problem:
    """Something that was skipped (a whole file, or one record of a multi-article file)."""

    path: str
    reason: str


@dataclass(frozen=True)
class Flag(Problem):
    """Something to know about an article that was indexed all the same (a page indexed by
    its headline alone)."""


def find_files(roots: Iterable[str | os.PathLike], excludes: Iterable[str] = ()) -> list[SourceFile]:
    """Every article file under the roots, in a stable order. A root may also be a single file."""
    patterns = (*DEFAULT_EXCLUDES, *excludes)
    found: dict[str, SourceFile] = {}
    for root in roots:
        root = Path(root).resolve()
        if root.is_file():
            candidates = [root]
            base = root.parent
        elif root.is_dir():
            candidates = sorted(p for p in root.rglob("*") if p.is_file())
            base = root.parent
        else:
            raise ArticleError(f"{root}: no such file or folder")
        for path in candidates:
            relative = path.relative_to(base)
            if any(fnmatch.fnmatch(part, pat) for part in relative.parts for pat in patterns):
                continue
            if path.suffix.lower() not in FORMATS:
                continue
            stat = path.stat()
            found[str(path)] = SourceFile(str(path), relative.as_posix(),
                                          f"{stat.st_mtime_ns}:{stat.st_size}")
    return list(found.values())


def read_file(source: SourceFile) -> Iterator[Article | Problem]:
    """The articles of one file, a Problem for each part that cannot be read, and a Flag
    after each article indexed with a caveat.

    Raises ArticleError when the file as a whole cannot be read (the message is the reason).
    """
    path = Path(source.path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise ArticleError("empty file")
        if size > MAX_FILE_BYTES:
            raise ArticleError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
    if looks_binary(data):
        raise ArticleError("binary file, not text")
    kind = FORMATS[path.suffix.lower()]
    try:
        if kind == "html":
            from .html import extract_html

            page = extract_html(data)
            yield make_article(id=source.id, path=source.path, body=page.body, title=page.title,
                               date=page.date, source=page.source, language=page.language,
                               url=page.url)
            if not page.body:
                yield Flag(source.path, "no article text found; indexed by its headline and date")
            return
        text = decode_text(data)
        if not text.strip():
            raise ArticleError("the file holds only whitespace")
        if kind == "text":
            yield read_text(text, id=source.id, path=source.path)
        elif kind == "reuters":
            yield from read_reuters(text, id=source.id, path=source.path)
        else:
            reader = read_json if kind == "json" else read_jsonl
            for item in reader(text, id=source.id, path=source.path):
                if isinstance(item, BadRecord):
                    yield Problem(f"{source.path}:{item.key}", str(item))
                else:
                    yield item
    except ArticleError:
        raise
    except (ValueError, RecursionError) as exc:
        raise ArticleError(str(exc) or type(exc).__name__) from None
