"""Sorted tables of words, stored as one byte blob plus offsets and searched by bisection.

The index's term tables and its vocabulary hold millions of words at archive scale. As numpy
files opened with `mmap_mode="r"` they cost no time to open and are shared by every process
that reads them through the page cache; a Python dict of the same words would take seconds
to build and hundreds of megabytes in each worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .arrays import load_array, load_bytes, save_array, save_bytes


class Lexicon(Sequence):
    """Byte strings in ascending order (UTF-8 order is code point order); item i is
    blob[offsets[i]:offsets[i + 1]]. Each word's first 8 bytes, as a big-endian number
    (`keys`), are searched by numpy; only words sharing those are compared in Python."""

    def __init__(self, blob, offsets: np.ndarray, keys: np.ndarray | None = None):
        self._blob = blob  # bytes, or a read-only mmap
        self._offsets = offsets
        self._count = len(offsets) - 1
        self._keys = keys if keys is not None else _keys(blob, offsets)

    @classmethod
    def build(cls, words: Iterable[bytes]) -> "Lexicon":
        """A lexicon of `words`, which must already be sorted and distinct."""
        words = list(words)
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        offsets = np.zeros(len(words) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(b"".join(words), offsets)

    def save(self, path: str | os.PathLike) -> None:
        """Write `<path>.blob` (the words, one after another), `<path>.offsets.npy` and
        `<path>.keys.npy`."""
        save_bytes(f"{path}.blob", bytes(self._blob))
        save_array(f"{path}.offsets.npy", self._offsets)
        save_array(f"{path}.keys.npy", self._keys)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Lexicon":
        return cls(load_bytes(f"{path}.blob"), load_array(f"{path}.offsets.npy"),
                   load_array(f"{path}.keys.npy"))

    @staticmethod
    def exists(path: str | os.PathLike) -> bool:
        return Path(f"{path}.offsets.npy").is_file()

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._count))]
        if i < 0:
            i += self._count
        return self._blob[self._offsets[i]:self._offsets[i + 1]]

    def find(self, word: bytes) -> int:
        """The position of `word`, or -1."""
        i = self.first_from(word)
        return i if i < self._count and self[i] == word else -1

    def __contains__(self, word) -> bool:
        return self.find(word) >= 0

    def first_from(self, word: bytes) -> int:
        """The position of the first word >= `word` (len(self) if none)."""
        offsets, blob = self._offsets, self._blob
        key = np.uint64(_key(word))
        low = int(self._keys.searchsorted(key, side="left"))
        if len(word) <= 8 and b"\0" not in word:
            return low  # the words sharing its key start with it: none is before it
        high = int(self._keys.searchsorted(key, side="right"))
        while low < high:  # among the words sharing the first 8 bytes
            middle = (low + high) // 2
            if blob[offsets[middle]:offsets[middle + 1]] < word:
                low = middle + 1
            else:
                high = middle
        return low

    def prefix_range(self, prefix: bytes) -> tuple[int, int]:
        """Positions [start, end) of the words starting with `prefix`."""
        start = self.first_from(prefix)
        end = start
        if prefix:
            # the first word greater than every word that starts with the prefix
            end = self.first_from(prefix + b"\xff\xff\xff\xff")
        else:
            end = self._count
        return start, end

    def words(self, start: int = 0, end: int | None = None) -> list[bytes]:
        """The words at positions [start, end), in one slice of the blob."""
        end = self._count if end is None else end
        if end <= start:
            return []
        offsets = self._offsets[start:end + 1].tolist()
        base = offsets[0]
        data = self._blob[base:offsets[-1]]
        return [data[a - base:b - base] for a, b in zip(offsets, offsets[1:])]


def _key(word: bytes) -> int:
    return int.from_bytes(word[:8].ljust(8, b"\0"), "big")


def _keys(blob, offsets: np.ndarray) -> np.ndarray:
    """The first 8 bytes of every word, zero-padded, as big-endian unsigned numbers: they sort
    as the words do (UTF-8 has no zero bytes, so a shorter word sorts first)."""
    data = np.frombuffer(bytes(blob), dtype=np.uint8) if len(blob) else np.zeros(1, np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    keys = np.zeros(len(starts), dtype=np.uint64)
    for byte in range(8):
        where = starts + byte
        present = where < ends
        keys <<= np.uint64(8)
        keys |= np.where(present, data[np.minimum(where, len(data) - 1)], 0).astype(np.uint64)
    return keys
