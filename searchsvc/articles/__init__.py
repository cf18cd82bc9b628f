"""Read article files of every supported format into `Article`s; report what cannot be read.

Files of many articles (JSON Lines, JSON lists, Reuters SGML) are read a piece at a time,
whatever their size; a JSON Lines file can also be split into parts that processes read
side by side (`split_file`, then `read_file(source, part=...)`).
"""

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ArticleError
from .encoding import decode_text, looks_binary, stream_encoding
from .folders import FOLDER_FILE, FolderDefaults, folder_defaults, save_folder_defaults
from .jsonl import holds_json_lines, read_json, read_jsonl
from .model import Article, make_article
from .reuters import read_reuters
from .streaming import BadRecord, FilePart, Progress, split_lines, text_pieces, unix_newlines
from .text import read_text

# The most a file read whole (a page, a seed text, one JSON object) or one record may take.
MAX_FILE_BYTES = 64 * 1024 * 1024
FORMATS = {
    ".txt": "text", ".text": "text", "": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".sgm": "reuters", ".sgml": "reuters",
}
# Files that travel with collections but are not articles.
DEFAULT_EXCLUDES = ("README*", "LICENSE*", "LICENCE*", "COPYING*", "CHANGELOG*", "SOURCE.md", ".*")

__all__ = ["FOLDER_FILE", "Article", "FilePart", "Flag", "FolderDefaults", "Problem",
           "SourceFile", "find_files", "make_article", "read_file", "save_folder_defaults",
           "split_file"]


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest: where it is, the id prefix its articles get, its change signature
    (which covers its folder's defaults: a file whose folder says otherwise is read again),
    and what its folder says of its articles."""

    path: str
    id: str
    signature: str
    defaults: FolderDefaults | None = None


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
    folders: dict = {}  # folder -> what it says of its articles
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
            defaults = folder_defaults(path.parent, folders)
            signature = f"{stat.st_mtime_ns}:{stat.st_size}"
            if defaults:
                signature += f":{defaults.key()}"
            found[str(path)] = SourceFile(str(path), relative.as_posix(), signature,
                                          defaults or None)
    return list(found.values())


def read_file(source: SourceFile, *, part: FilePart | None = None,
              progress: Progress | None = None) -> Iterator[Article | Problem]:
    """The articles of one file (or of one part of it, from `split_file`), a Problem for each
    record that cannot be read, and a Flag after each article indexed with a caveat. `progress`, when given, is called with the number of
    bytes read since its last call, as reading goes; by the time the iterator ends (or raises
    ArticleError) the calls add up to the size of the file or part.

    Raises ArticleError when the file as a whole cannot be read (the message is the reason),
    and only before the first item: a failure after that (a file that stops in the middle of
    a JSON list, say) comes as a last Problem, and what was read before it stays.
    """
    try:
        size = os.path.getsize(source.path)
        with open(source.path, "rb") as file:
            head = file.read(8192)
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
    whole = FilePart(0, size)
    part = whole if part is None or (part.start, part.end) == (0, size) else part
    reported = 0

    def advance(count: int) -> None:
        nonlocal reported
        reported += count
        progress(count)

    error = None
    try:
        if size == 0:
            raise ArticleError("empty file")
        if looks_binary(head):
            raise ArticleError("binary file, not text")
        yield from _records(source, _kind(source, size), part, advance if progress else None,
                            whole=part == whole)
    except OSError as exc:  # gone or unreadable since it was opened
        error = ArticleError(f"cannot read file: {exc.strerror or exc}")
    except ArticleError as exc:
        error = exc
    if progress and reported < part.end - part.start:
        progress(part.end - part.start - reported)
    if error:
        raise error from None


def split_file(source: SourceFile, parts: int) -> list[FilePart]:
    """Up to `parts` parts of about equal size of a JSON Lines file, cut at line ends, for
    `read_file(source, part=...)` to read side by side: together they give the articles and
    ids of the whole file, in order. Any other file (or one in UTF-16 or UTF-32) is one
    part. Reads a JSON Lines file through once, to number the lines."""
    try:
        size = os.path.getsize(source.path)
        with open(source.path, "rb") as file:
            head = file.read(8192)
        if (parts > 1 and size and not looks_binary(head) and _kind(source, size) == "jsonl"
                and stream_encoding(head)[0] == "utf-8"):
            return split_lines(source.path, parts)
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
    return [FilePart(0, size)]


def _kind(source: SourceFile, size: int) -> str:
    """How to read the file: its extension's format, but "jsonl" for a ".json" file holding
    JSON Lines."""
    kind = FORMATS[Path(source.path).suffix.lower()]
    if kind == "json" and holds_json_lines(text_pieces(source.path, FilePart(0, size)),
                                           MAX_FILE_BYTES):
        return "jsonl"
    return kind


def _records(source: SourceFile, kind: str, part: FilePart, progress: Progress | None,
             whole: bool) -> Iterator[Article | Problem]:
    if kind != "jsonl" and not whole:
        raise ValueError(f"{source.path}: only JSON Lines files are read in parts")
    if kind in ("html", "text"):
        article = _read_whole(source, kind, part.end)
        yield article
        if kind == "html" and not article.body:
            yield Flag(source.path, "no article text found; indexed by its headline and date")
        return
    pieces = text_pieces(source.path, part, progress)
    if kind == "jsonl":
        records = read_jsonl(pieces, id=source.id, path=source.path, limit=MAX_FILE_BYTES,
                             first_line=part.first_line, defaults=source.defaults)
    elif kind == "json":
        records = read_json(pieces, id=source.id, path=source.path, limit=MAX_FILE_BYTES,
                            defaults=source.defaults)
    else:
        records = read_reuters(unix_newlines(pieces), id=source.id, path=source.path,
                               limit=MAX_FILE_BYTES, defaults=source.defaults)
    started = False
    try:
        for record in records:
            started = True
            if isinstance(record, BadRecord):
                yield Problem(f"{source.path}:{record.key}", str(record))
            else:
                yield record
    except (ValueError, RecursionError, OSError) as exc:
        if not started:
            raise ArticleError(_reason(exc)) from None
        yield Problem(source.path, f"{_reason(exc)}; the articles before it are read")
    if not started and whole:
        raise ArticleError("the file holds only whitespace")


def _read_whole(source: SourceFile, kind: str, size: int) -> Article:
    """The one article of a page or a text file, read whole."""
    if size > MAX_FILE_BYTES:
        raise ArticleError(f"file is larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        data = Path(source.path).read_bytes()
    except OSError as exc:
        raise ArticleError(f"cannot read file: {exc.strerror or exc}") from None
    try:
        if kind == "html":
            from .html import extract_html

            page = extract_html(data)
            return make_article(id=source.id, path=source.path, body=page.body,
                                title=page.title, date=page.date, source=page.source,
                                language=page.language, url=page.url,
                                defaults=source.defaults)
        text = decode_text(data)
        if not text.strip():
            raise ArticleError("the file holds only whitespace")
        return read_text(text, id=source.id, path=source.path, defaults=source.defaults)
    except (ValueError, RecursionError) as exc:
        raise ArticleError(_reason(exc)) from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot read file: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__
