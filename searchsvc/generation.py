"""One index generation as arrays: its segments' postings, and the per-document columns and
vocabulary of the whole generation, written once when the generation is written.

`write_generation` runs at the end of every indexing run, after Whoosh has committed the
segments: it joins the segments' columns (dates, near-duplicate keys, sources, languages,
field lengths, and which documents are deleted) into one array each, numbered by the
document numbers Whoosh's reader gives, and merges the segments' vocabularies. `Generation`
maps all of it read-only; opening one costs milliseconds whatever the archive's size, and
every worker process shares the pages.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from . import weighting
from .arrays import load_array, load_json, save_array, save_json
from .lexicon import Lexicon
from .segments import FORMAT, NO_DATE, TEXT_FIELDS, SegmentArrays, StoredText
from .vocabulary import Vocabulary

META = "searchsvc.json"
PREFIX = "searchsvc"
REMEMBERED_PLACES = 65536
REMEMBERED_FACTORS = 8
MAX_FACET_CODES = 1 << 22
_EPOCH_MONTH = np.datetime64("0001-01", "M")


class IncompatibleIndex(Exception):
    """Raised when a generation was written by another version of searchsvc's format."""


def write_generation(folder: str | Path, segments: list) -> None:
    """Write the generation-wide files for Whoosh `segments` (in the reader's order)."""
    folder = Path(folder)
    parts = [SegmentArrays(folder, segment.segment_id()) for segment in segments]
    sizes = [part.count for part in parts]
    for part, segment in zip(parts, segments):
        if part.count != segment.doc_count_all():
            raise IncompatibleIndex(f"segment {part.segment_id} has {part.count} documents in "
                                    f"its arrays and {segment.doc_count_all()} in Whoosh")
    size = sum(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    live = np.ones(size, dtype=bool)
    for offset, segment in zip(offsets.tolist(), segments):
        deleted = list(segment.deleted_docs()) if segment.has_deletions() else []
        if deleted:
            live[offset + np.asarray(deleted, dtype=np.int64)] = False

    def joined(arrays, dtype):
        return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)

    prefix = folder / PREFIX
    save_array(f"{prefix}.live.npy", live)
    dates = joined([part.dates for part in parts], np.int32)
    save_array(f"{prefix}.date.npy", dates)
    _save_months(f"{prefix}.month", dates)
    distinct, stories = np.unique(joined([part.dupkeys for part in parts], np.uint64),
                                  return_inverse=True)
    save_array(f"{prefix}.dupkey.npy", (stories.reshape(-1) + 1).astype(np.int32))
    save_array(f"{prefix}.tiekey.npy", joined([part.tiekeys for part in parts], np.int64))
    for name in ("sources", "languages"):
        _save_codes(f"{prefix}.{name[:-1]}", [getattr(part, name) for part in parts])
    for field in TEXT_FIELDS:
        save_array(f"{prefix}.{field}.lengths.npy",
                   joined([part.fields[field].lengths for part in parts], np.uint32))
    _save_vocabulary(f"{prefix}.vocabulary", parts)
    save_json(folder / META, {
        "format": FORMAT,
        "documents": size,
        "stories": len(distinct),
        "segments": [[part.segment_id, part.count] for part in parts],
        "lengths": {field: sum(part.meta["lengths"][field] for part in parts)
                    for field in TEXT_FIELDS},
        "analyses": sorted({name for part in parts for name in part.meta["analyses"]}),
    })


def _save_codes(prefix: str, columns) -> None:
    """One code column for the generation: each segment's codes renumbered into a shared,
    sorted table of values (code 0: none)."""
    values = sorted({value for column in columns for value in column.values})
    number = {value: code for code, value in enumerate(values, start=1)}
    codes = [np.asarray([0] + [number[v] for v in column.values], dtype=np.int32)[column.codes]
             for column in columns]
    save_array(f"{prefix}.npy", np.concatenate(codes) if codes else np.zeros(0, np.int32))
    save_json(f"{prefix}.json", values)


def _save_months(prefix: str, dates: np.ndarray) -> None:
    """Each document's month as a code into a sorted table of "YYYY-MM" (code 0: undated)."""
    dated = dates != NO_DATE
    months = np.zeros(len(dates), dtype=np.int64)
    months[dated] = _months(dates[dated])
    distinct = np.unique(months[dated])
    codes = np.zeros(len(dates), dtype=np.int32)
    codes[dated] = np.searchsorted(distinct, months[dated]) + 1
    save_array(f"{prefix}.npy", codes)
    save_json(f"{prefix}.json", [str(_EPOCH_MONTH + int(m)) for m in distinct.tolist()])


def _months(days: np.ndarray) -> np.ndarray:
    """Months since January of year 1 of proleptic Gregorian day numbers."""
    return (np.datetime64("0001-01-01", "D") + (days.astype(np.int64) - 1)) \
        .astype("datetime64[M]").astype(np.int64) - _EPOCH_MONTH.astype(np.int64)


def _save_vocabulary(prefix: str, parts: list[SegmentArrays]) -> None:
    words = [part.vocabulary for part in parts if len(part.vocabulary)]
    if not words:
        Lexicon.build([]).save(prefix)
        save_array(f"{prefix}.counts.npy", np.zeros(0, dtype=np.int32))
        return
    width = max(int(np.diff(lexicon._offsets).max()) for lexicon in words)
    table = np.concatenate([np.array(lexicon.words(), dtype=f"S{width}") for lexicon in words])
    counts = np.concatenate([part.vocabulary_counts for part in parts if len(part.vocabulary)])
    distinct, inverse = np.unique(table, return_inverse=True)
    totals = np.bincount(inverse.reshape(-1), weights=counts, minlength=len(distinct))
    Lexicon.build(distinct.tolist()).save(prefix)
    save_array(f"{prefix}.counts.npy", totals.astype(np.int32))


@dataclass(frozen=True)
class Postings:
    """A term's postings across the generation (deleted documents included)."""

    docs: np.ndarray  # ascending document numbers
    tf: np.ndarray  # the term's frequency in each


class Generation:
    """A generation's arrays, mapped; shared by every thread of a process."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        try:
            meta = load_json(self.folder / META)
        except FileNotFoundError:
            raise IncompatibleIndex(f"{self.folder} has no {META}") from None
        if meta.get("format") != FORMAT:
            raise IncompatibleIndex(f"{self.folder} was written in index format "
                                    f"{meta.get('format')}, this searchsvc reads {FORMAT}")
        self.meta = meta
        self.size = meta["documents"]
        self.segments = [SegmentArrays(self.folder, name) for name, _ in meta["segments"]]
        self.offsets = np.concatenate(
            [[0], np.cumsum([count for _, count in meta["segments"]])]).astype(np.int64)
        self.analyses: list[str] = meta["analyses"]
        prefix = self.folder / PREFIX
        self.live = load_array(f"{prefix}.live.npy")
        self.dates = load_array(f"{prefix}.date.npy")
        self.dupkeys = load_array(f"{prefix}.dupkey.npy")
        self.tiekeys = load_array(f"{prefix}.tiekey.npy")
        self.columns = {name: (load_array(f"{prefix}.{name}.npy"),
                               [None, *load_json(f"{prefix}.{name}.json")])
                        for name in ("source", "language", "month")}
        self.lengths = {field: load_array(f"{prefix}.{field}.lengths.npy")
                        for field in TEXT_FIELDS}
        self.vocabulary = Vocabulary(Lexicon.open(f"{prefix}.vocabulary"),
                                     load_array(f"{prefix}.vocabulary.counts.npy"))
        self.live_count = int(np.count_nonzero(self.live))
        self._places: dict[tuple[str, bytes], list] = {}
        self._factors: dict[tuple, np.ndarray] = {}
        self._facet_codes: dict[tuple, np.ndarray] = {}
        self.word_counts: dict[tuple, int] = {}  # searchsvc.evaluation.Evaluator's, shared

    def length_factors(self, field: str, average_length: float) -> np.ndarray:
        """Every document's normalisation factor (searchsvc.weighting.length_factors) for
        `field` against `average_length` (the collection's: one index's own, or a sharded
        collection's), computed on first use: 8 bytes per document and field in each
        process."""
        key = (field, average_length, weighting.C)
        found = self._factors.get(key)
        if found is None:
            if len(self._factors) >= REMEMBERED_FACTORS:
                self._factors = {}
            found = weighting.length_factors(self.lengths[field], average_length)
            self._factors[key] = found
        return found

    def facet_codes(self, names: tuple[str, ...]) -> np.ndarray | None:
        """One code per document for the values of all the code columns `names` at once
        (column by column, the first most significant), so that one count over a search's
        matches gives every facet; None when the combinations would be more than
        MAX_FACET_CODES. Computed on first use: 8 bytes per document in each process."""
        sizes = [len(self.columns[name][1]) for name in names]
        if math.prod(sizes) > MAX_FACET_CODES:
            return None
        found = self._facet_codes.get(names)
        if found is None:
            found = np.zeros(self.size, dtype=np.int64)
            for name, size in zip(names, sizes):
                found *= size
                found += self.columns[name][0]
            self._facet_codes[names] = found
        return found

    def touch_columns(self) -> None:
        """Read every per-document column once, so that its pages are mapped into this
        process before searches need them (each first touch of a page is a page fault)."""
        columns = [self.live, self.dates, self.stories[0], self.tiekeys, *self.lengths.values(),
                   *(codes for codes, _ in self.columns.values())]
        for column in columns:
            int(np.asarray(column).sum())

    @cached_property
    def stories(self) -> tuple[np.ndarray, int]:
        """(code of each document's story, number of codes), for stories with more than one
        version in this generation, numbered from 1; 0 for a document alone in its story, as
        nine in ten are. Grouping matches by these codes counts only over the stories that
        can have copies, in a table small enough for the caches: for 509,500 matches of a
        million articles, 3 ms where counting by every story's code took 11 ms."""
        versions = np.bincount(np.asarray(self.dupkeys), minlength=self.meta["stories"] + 1)
        shared = versions > 1
        codes = (np.cumsum(shared) * shared).astype(np.int32)
        return codes[self.dupkeys], int(np.count_nonzero(shared))

    def segment_ids(self) -> list[str]:
        return [name for name, _ in self.meta["segments"]]

    def average_length(self, field: str) -> float:
        return self.meta["lengths"][field] / max(self.size, 1) or 1.0

    def _where(self, field: str, term: bytes) -> list[tuple]:
        """(segment number, the segment's arrays of `field`, where the term's postings start
        and end there, its frequency there) of each segment holding the term; the
        REMEMBERED_PLACES latest are kept (a search asks for its terms several times, each
        a binary search in every segment's lexicon)."""
        key = (field, term)
        found = self._places.get(key)
        if found is None:
            found = []
            for number, segment in enumerate(self.segments):
                arrays = segment.fields[field]
                where = arrays.find(term)
                if where >= 0:
                    start, end = arrays.span(where)
                    found.append((number, arrays, start, end, int(arrays.frequencies[where])))
            if len(self._places) >= REMEMBERED_PLACES:
                self._places.clear()
            self._places[key] = found
        return found

    def has_term(self, field: str, term: bytes) -> bool:
        return bool(self._where(field, term))

    def doc_frequency(self, field: str, term: bytes) -> int:
        return self.statistics(field, term)[1]

    def statistics(self, field: str, term: bytes) -> tuple[int, int]:
        """(collection frequency, document frequency) of a term, deleted documents
        counted."""
        frequency = documents = 0
        for _, _, start, end, count in self._where(field, term):
            documents += end - start
            frequency += count
        return frequency, documents

    def postings(self, field: str, term: bytes) -> Postings:
        """The term's postings of every segment, renumbered into the generation's document
        numbers and written straight into one pair of arrays (one pass over a common word's
        postings, where converting, renumbering and joining took three)."""
        where = self._where(field, term)
        if not where:
            return Postings(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint16))
        docs = np.empty(sum(end - start for _, _, start, end, _ in where), dtype=np.int32)
        tf = np.empty(len(docs), dtype=np.result_type(*(place[1].tf.dtype for place in where)))
        filled = 0
        for segment, arrays, start, end, _ in where:
            np.add(arrays.docs[start:end], np.int32(self.offsets[segment]),
                   out=docs[filled:filled + end - start])
            tf[filled:filled + end - start] = arrays.tf[start:end]
            filled += end - start
        return Postings(docs, tf)

    def occurrences(self, field: str, term: bytes, docs: np.ndarray) -> np.ndarray:
        """Sorted keys `document << 32 | position` of the term's occurrences in `docs`
        (ascending document numbers)."""
        found = []
        cuts = np.searchsorted(docs, self.offsets).tolist()  # each segment's docs
        for segment, arrays, start, end, _ in self._where(field, term):
            if cuts[segment] < cuts[segment + 1]:
                low = int(self.offsets[segment])
                held, positions = arrays.occurrences(
                    start, end, docs[cuts[segment]:cuts[segment + 1]].astype(np.int64) - low)
                found.append(((held + low) << 32) | positions)
        if not found:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(found) if len(found) > 1 else found[0]

    def terms_from(self, field: str, prefix: bytes, limit: int) -> list[bytes]:
        """The distinct terms of `field` starting with `prefix`, in order, at most `limit`
        (callers ask for one more than they allow, to tell when there are too many)."""
        found: set[bytes] = set()
        for segment in self.segments:
            lexicon = segment.fields[field].terms
            start, end = lexicon.prefix_range(prefix)
            found.update(lexicon.words(start, min(end, start + limit)))
        return sorted(found)[:limit]

    def terms_between(self, field: str, low: bytes | None, high: bytes | None,
                      limit: int) -> list[bytes]:
        """The distinct terms of `field` from `low` to `high` (inclusive), at most `limit`."""
        found: set[bytes] = set()
        for segment in self.segments:
            lexicon = segment.fields[field].terms
            start = lexicon.first_from(low) if low else 0
            end = lexicon.first_from(high + b"\x00") if high else len(lexicon)
            found.update(lexicon.words(start, min(end, start + limit)))
        return sorted(found)[:limit]

    def stored(self, docnum: int) -> StoredText:
        """What an article shows (headline, text, link, when indexed)."""
        segment = int(np.searchsorted(self.offsets, docnum, side="right")) - 1
        return self.segments[segment].stored[docnum - int(self.offsets[segment])]

    def day(self, docnum: int) -> dt.date | None:
        value = int(self.dates[docnum])
        return dt.date.fromordinal(value) if value != NO_DATE else None

