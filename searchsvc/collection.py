"""Collection-wide statistics: what a search reads beyond the documents it scores.

Scores, the proximity bonus, word variants, the matching of words side by side, spelling
corrections and the ranked lists all read numbers about the whole collection. One index reads
them from its own generation (`GenerationCollection`). A shard of a sharded index reads the
query-independent ones (documents, field lengths, each term's frequency and document count,
the term tables, the vocabulary, the languages) from the collection dictionary written when
the shards were built (`CollectionDictionary`), and gets the ones that depend on the query
(counts over the matched articles, the best scores, the stories a page lists) by `combine`:
each shard gives its own part, and every shard gets back the same whole, combined by the
functions of COMBINERS. One index combines its single part with the same functions, so both
go through the same arithmetic and a sharded search answers as one index does.
"""

from __future__ import annotations

import heapq
import json
from pathlib import Path

import numpy as np

from .arrays import load_array, load_json, save_array, save_json
from .lexicon import Lexicon
from .segments import TEXT_FIELDS
from .vocabulary import Vocabulary

DICTIONARY_META = "collection.json"


def _sum(parts):
    return sum(parts)


def _largest(parts):
    """The largest of the parts that have a value (None: none has)."""
    found = [part for part in parts if part is not None]
    return max(found) if found else None


def _patterns(parts):
    """The distinct rows of the parts' boolean matrices (each row: which words one or more
    articles hold), in order."""
    rows = sorted({row for part in parts for row in part})
    return rows


def _threshold(parts):
    """The ranking key of the last of the `count` best of the parts' (count, keys): keys
    (score, tie) are ordered by score descending, then tie ascending. None when fewer than
    `count` are ranked (all of them are among the best)."""
    count = parts[0][0]
    merged = heapq.merge(*(keys for _, keys in parts), key=lambda key: (-key[0], key[1]))
    best = list(_first(merged, count))
    return best[-1] if len(best) == count else None


def _gathered(parts):
    """The parts' ranked items merged, each as (key, part number, item), the first `count`
    (parts: (count, [(key, item), ...]) with keys ascending)."""
    count = parts[0][0]
    merged = heapq.merge(*([(key, number, item) for key, item in items]
                           for number, (_, items) in enumerate(parts)),
                         key=lambda entry: (entry[0], entry[1]))
    return list(_first(merged, count))


def _placed(parts):
    """The parts' items (place, item) in order of their places."""
    return [item for _, item in sorted((entry for part in parts for entry in part),
                                       key=lambda entry: entry[0])]


def _facets(parts):
    """Facet counts, each part a list of (value, count), added up by value: the largest
    first (then by value), the count of those with none (value None) last."""
    counts: dict = {}
    for part in parts:
        for value, count in part:
            counts[value] = counts.get(value, 0) + count
    found = sorted(((value, count) for value, count in counts.items() if value is not None),
                   key=lambda facet: (-facet[1], facet[0]))
    return found + [(None, counts[None])] if counts.get(None) else found


def _days(parts):
    """Per-day counts of dated results: (first day, last day, {day: count}) of each part, or
    None for a part without dated results; counts None where a part spans too many days.
    The whole: (first, last, counts or None), None when no part is dated."""
    dated = [part for part in parts if part is not None]
    if not dated:
        return None
    first = min(part[0] for part in dated)
    last = max(part[1] for part in dated)
    if any(part[2] is None for part in dated):
        return first, last, None
    counts: dict = {}
    for part in dated:
        for day, count in part[2].items():
            counts[day] = counts.get(day, 0) + count
    return first, last, counts


def _first(iterable, count):
    for number, item in enumerate(iterable):
        if number == count:
            return
        yield item


def _each(parts):
    """Several statistics at once: each part a dict of name -> (how, part)."""
    return {name: COMBINERS[how]([part[name][1] for part in parts])
            for name, (how, _) in parts[0].items()}


COMBINERS = {
    "each": _each,
    "sum": _sum,
    "largest": _largest,
    "patterns": _patterns,
    "threshold": _threshold,
    "gathered": _gathered,
    "placed": _placed,
    "facets": _facets,
    "days": _days,
}
"""How the parts of a query-dependent statistic make the whole, by name. A part and a whole
travel between processes: plain values, tuples, lists and dicts of them."""


class Collection:
    """The statistics a search reads about the whole collection (see the module's doc)."""

    size: int
    analyses: list[str]
    vocabulary: Vocabulary
    part: int = 0
    """This index's number among the parts of the collection (its shard's number)."""

    def average_length(self, field: str) -> float:
        raise NotImplementedError

    def field_length(self, field: str) -> int:
        raise NotImplementedError

    def statistics(self, field: str, term: bytes) -> tuple[int, int]:
        """(collection frequency, document frequency) of a term."""
        raise NotImplementedError

    def doc_frequency(self, field: str, term: bytes) -> int:
        return self.statistics(field, term)[1]

    def has_term(self, field: str, term: bytes) -> bool:
        raise NotImplementedError

    def terms_from(self, field: str, prefix: bytes, limit: int) -> list[bytes]:
        raise NotImplementedError

    def terms_between(self, field: str, low: bytes | None, high: bytes | None,
                      limit: int) -> list[bytes]:
        raise NotImplementedError

    def combine(self, how: str, part):
        """The whole of a query-dependent statistic of which this index holds `part`,
        combined by COMBINERS[how]."""
        raise NotImplementedError


class GenerationCollection(Collection):
    """One index's statistics: its generation's."""

    def __init__(self, generation):
        self.generation = generation
        self.size = generation.size
        self.analyses = generation.analyses
        self.vocabulary = generation.vocabulary

    def average_length(self, field: str) -> float:
        return self.generation.average_length(field)

    def field_length(self, field: str) -> int:
        return self.generation.meta["lengths"][field]

    def statistics(self, field: str, term: bytes) -> tuple[int, int]:
        return self.generation.statistics(field, term)

    def doc_frequency(self, field: str, term: bytes) -> int:
        return self.generation.doc_frequency(field, term)

    def has_term(self, field: str, term: bytes) -> bool:
        return self.generation.has_term(field, term)

    def terms_from(self, field: str, prefix: bytes, limit: int) -> list[bytes]:
        return self.generation.terms_from(field, prefix, limit)

    def terms_between(self, field, low, high, limit):
        return self.generation.terms_between(field, low, high, limit)

    def combine(self, how: str, part):
        return COMBINERS[how]([part])


class CollectionDictionary:
    """The query-independent statistics of the generations of a sharded index's shards,
    merged into one set of mapped files when the shards are built: per text field a term
    table with each term's collection frequency and document frequency (deleted documents
    counted, as a generation counts them), the vocabulary with its document counts, and the
    document count, field lengths and languages."""

    def __init__(self, folder: str | Path):
        folder = Path(folder)
        meta = load_json(folder / DICTIONARY_META)
        self.size: int = meta["documents"]
        self.lengths: dict[str, int] = meta["lengths"]
        self.analyses: list[str] = meta["analyses"]
        self.terms = {field: Lexicon.open(folder / f"{field}.terms") for field in TEXT_FIELDS}
        self.frequencies = {field: load_array(folder / f"{field}.frequency.npy")
                            for field in TEXT_FIELDS}
        self.documents = {field: load_array(folder / f"{field}.documents.npy")
                          for field in TEXT_FIELDS}
        self.vocabulary = Vocabulary(Lexicon.open(folder / "vocabulary"),
                                     load_array(folder / "vocabulary.counts.npy"))

    @staticmethod
    def write(folder: str | Path, generations: list) -> None:
        """Merge the statistics of `generations` (searchsvc.generation.Generation) into
        `folder`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for field in TEXT_FIELDS:
            tables = [(part.fields[field].terms, part.fields[field])
                      for generation in generations for part in generation.segments]
            words, counts = _merged([terms for terms, _ in tables], [
                np.stack([np.diff(np.asarray(arrays.postings)),
                          np.asarray(arrays.frequencies)]) for _, arrays in tables])
            Lexicon.build(words).save(folder / f"{field}.terms")
            save_array(folder / f"{field}.documents.npy", counts[0])
            save_array(folder / f"{field}.frequency.npy", counts[1])
        words, counts = _merged([generation.vocabulary.words for generation in generations],
                                [np.asarray(generation.vocabulary.counts)[np.newaxis]
                                 for generation in generations])
        Lexicon.build(words).save(folder / "vocabulary")
        save_array(folder / "vocabulary.counts.npy", counts[0].astype(np.int32))
        save_json(folder / DICTIONARY_META, {
            "documents": sum(generation.size for generation in generations),
            "lengths": {field: sum(generation.meta["lengths"][field]
                                   for generation in generations) for field in TEXT_FIELDS},
            "analyses": sorted({name for generation in generations
                                for name in generation.analyses}),
        })

    @staticmethod
    def describe(folder: str | Path) -> dict:
        return json.loads((Path(folder) / DICTIONARY_META).read_text())


def _merged(lexicons: list[Lexicon], counts: list[np.ndarray]) -> tuple[list[bytes], np.ndarray]:
    """The distinct words of `lexicons`, sorted, and per word the sums of the rows of
    `counts` (each lexicon's counts: rows x its words)."""
    lexicons = [(lexicon, count) for lexicon, count in zip(lexicons, counts) if len(lexicon)]
    rows = counts[0].shape[0] if counts else 1
    if not lexicons:
        return [], np.zeros((rows, 0), dtype=np.int64)
    words = [word for lexicon, _ in lexicons for word in lexicon.words()]
    width = max(1, max(map(len, words)))
    table = np.array(words, dtype=f"S{width}")
    joined = np.concatenate([count for _, count in lexicons], axis=1).astype(np.int64)
    distinct, inverse = np.unique(table, return_inverse=True)
    inverse = inverse.reshape(-1)
    totals = np.stack([np.bincount(inverse, weights=row, minlength=len(distinct))
                       for row in joined]).round().astype(np.int64)
    return distinct.tolist(), totals


class DictionaryCollection(Collection):
    """A shard's statistics: the collection dictionary's, and `combine` through `exchange`
    (a callable (how, part) -> whole that waits for every shard's part)."""

    def __init__(self, dictionary: CollectionDictionary, part: int, exchange):
        self.dictionary = dictionary
        self.part = part
        self.exchange = exchange
        self.size = dictionary.size
        self.analyses = dictionary.analyses
        self.vocabulary = dictionary.vocabulary

    def average_length(self, field: str) -> float:
        return self.dictionary.lengths[field] / max(self.size, 1) or 1.0

    def field_length(self, field: str) -> int:
        return self.dictionary.lengths[field]

    def statistics(self, field: str, term: bytes) -> tuple[int, int]:
        found = self.dictionary.terms[field].find(term)
        if found < 0:
            return 0, 0
        return (int(self.dictionary.frequencies[field][found]),
                int(self.dictionary.documents[field][found]))

    def has_term(self, field: str, term: bytes) -> bool:
        return self.dictionary.terms[field].find(term) >= 0

    def terms_from(self, field: str, prefix: bytes, limit: int) -> list[bytes]:
        lexicon = self.dictionary.terms[field]
        start, end = lexicon.prefix_range(prefix)
        return lexicon.words(start, min(end, start + limit))

    def terms_between(self, field, low, high, limit):
        lexicon = self.dictionary.terms[field]
        start = lexicon.first_from(low) if low else 0
        end = lexicon.first_from(high + b"\x00") if high else len(lexicon)
        return lexicon.words(start, min(end, start + limit))

    def combine(self, how: str, part):
        return self.exchange(how, part)
