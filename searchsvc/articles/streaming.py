"""Read big multi-article files a piece at a time: decoded text in pieces, numbered lines,
and JSON Lines files split at line boundaries so that several processes can share one."""

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .encoding import stream_decoder, stream_encoding

# Bytes read at a time: large enough that the work per piece outweighs the calls around it.
CHUNK_BYTES = 1 << 20

Progress = Callable[[int], None]


class BadRecord(ValueError):
    """Raised for one record of a multi-article file that is not an article; the rest go on."""

    def __init__(self, key: str, reason: str):
        super().__init__(reason)
        self.key = key


@dataclass(frozen=True)
class FilePart:
    """Bytes `start` to `end` of a file, beginning at a line start: the line numbered
    `first_line` in the whole file, so ids made from line numbers come out the same."""

    start: int
    end: int
    first_line: int = 1


def text_pieces(path: str, part: FilePart, progress: Progress | None = None) -> Iterator[str]:
    """The text of `part` of the file, decoded a piece at a time (the encoding comes from the
    file's first bytes, wherever the part starts). `progress` is called with the bytes of each
    piece once the reader has asked for the next; the calls add up to the part's size."""
    with open(path, "rb") as file:
        encoding, bom = stream_encoding(file.read(4))
        decoder = stream_decoder(encoding)
        start = max(part.start, bom)
        file.seek(start)
        if progress and start > part.start:
            progress(start - part.start)
        remaining = part.end - start
        while remaining > 0:
            data = file.read(min(CHUNK_BYTES, remaining))
            if not data:
                break
            remaining -= len(data)
            text = decoder.decode(data)
            if text:
                yield text
            if progress:
                progress(len(data))
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail


def numbered_lines(pieces: Iterable[str], first: int, limit: int
                   ) -> Iterator[tuple[int, str | None, bool]]:
    """(number, text, ended) for each line of the text, split at "\\n" only, numbered from
    `first`. `text` is None for a line longer than `limit` characters (it is not kept);
    `ended` is False for a last line that the text stops inside."""
    number = first
    pending: list[str] = []
    pending_size = 0
    for piece in pieces:
        lines = piece.split("\n")
        if len(lines) == 1:
            pending_size += len(piece)
            if pending_size <= limit:
                pending.append(piece)
            else:
                pending = []
            continue
        head = lines[0]
        pending_size += len(head)
        if pending_size > limit:
            yield number, None, True
        else:
            yield number, "".join(pending) + head if pending else head, True
        number += 1
        for line in lines[1:-1]:
            yield number, line if len(line) <= limit else None, True
            number += 1
        tail = lines[-1]
        pending = [tail]
        pending_size = len(tail)
    if pending_size:
        yield number, "".join(pending) if pending_size <= limit else None, False


def unix_newlines(pieces: Iterable[str]) -> Iterator[str]:
    """The text with CRLF and lone CR line ends made "\\n", as decode_text makes them."""
    carried = ""
    for piece in pieces:
        piece = carried + piece
        carried = "\r" if piece.endswith("\r") else ""
        if carried:
            piece = piece[:-1]
        yield piece.replace("\r\n", "\n").replace("\r", "\n")
    if carried:
        yield "\n"


def split_lines(path: str, parts: int) -> list[FilePart]:
    """Up to `parts` parts of about equal size of a file whose lines end in b"\\n" (UTF-8 or
    a single-byte encoding), cut after a line end, each with the number of its first line.
    Reads the whole file once, to count the lines (at the speed of the disk)."""
    size = os.path.getsize(path)
    with open(path, "rb") as file:
        cuts = [0]
        for number in range(1, parts):
            cut = _line_start_from(file, max(size * number // parts, cuts[-1] + 1), size)
            if cut < size:
                cuts.append(cut)
        cuts.append(size)
        found = []
        line = 1
        file.seek(0)
        for start, end in zip(cuts, cuts[1:]):
            found.append(FilePart(start, end, line))
            remaining = end - start
            while remaining:
                data = file.read(min(CHUNK_BYTES, remaining))
                if not data:
                    break
                remaining -= len(data)
                line += data.count(b"\n")
    return found


def _line_start_from(file, position: int, size: int) -> int:
    """The first offset at or after `position` that starts a line (or `size`)."""
    file.seek(position - 1)
    while True:
        data = file.read(64 * 1024)
        if not data:
            return size
        newline = data.find(b"\n")
        if newline >= 0:
            return file.tell() - len(data) + newline + 1
