"""The searchable part of one Whoosh segment, as numpy arrays written beside its files.

Whoosh keeps each segment's id terms (which find an article, or a file's articles, and mark
them deleted); the articles and their analysed text are kept here, in a form that a query
reads with a slice and that every process and thread maps from the page cache:

- per text field (`title`, `body`): a sorted term table (`.terms`, searchsvc.lexicon), and
  per term its collection frequency, a run of postings (document numbers and term
  frequencies, ascending by document) and of word positions (ascending by document, then
  position), and where the positions of every POSITION_BLOCK-th posting start; each
  document's length;
- per document: its date (a day number), its near-duplicate key, its source and language,
  and its tie key (a hash of its id: equal scores and dates list in that order, the same in
  one index and in shards);
- the articles as shown (headline, text, link, when indexed), each compressed on its own;
- the segment's vocabulary: the words as written (lowercased, accents folded) with the
  number of documents holding each, for completions and spelling corrections.

Files are named `<segment id>.<part>.npy`, so Whoosh deletes them with their segment.
Writing postings through Whoosh's own writer cost several microseconds a posting in Python,
most of the time of indexing; here a segment's postings are sorted in one numpy operation.
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .analysis import Analysis, split_words
from .arrays import load_array, load_bytes, load_json, save_array, save_bytes, save_json
from .lexicon import Lexicon

FORMAT = 5
"""Format 5 writes each term's collection frequency per segment: the statistics of a
query's words are looked up, not summed over their postings (0.2 ms a common word at a
million articles, on every search)."""
POSITION_BLOCK_BITS = 6
"""Where the positions of every 64th posting start is written down: the positions of a few
documents' postings are found by adding up at most 63 frequencies each, not every frequency
of the term (a common word's proximity in the 100 best articles, at a million articles:
1.4 ms a word, most of the proximity bonus)."""
TEXT_FIELDS = ("title", "body")
STORED_LEVEL = 3  # zlib level of each stored article (1-9 differ by 1% on ~1 KB articles)
NO_DATE = 0
MAX_SPELLING_BYTES = 40
"""Longer words are left out of the vocabulary (nobody completes or misspells them)."""


@dataclass(frozen=True)
class DocumentValues:
    """What a document contributes besides its text."""

    date: int  # proleptic Gregorian day number (date.toordinal()), NO_DATE if undated
    dupkey: int  # 64-bit key shared by the copies of one story
    source: str | None
    language: str  # the article's language ('en', 'sw', ...)
    analysis: str  # the analysis its text went through ('en', ..., 'xx')
    tiekey: int = 0  # orders documents that rank equal (63 bits of a hash of the id)


@dataclass(frozen=True)
class StoredText:
    """What an article shows that is not a column: its id, headline, text and link, and when
    it was indexed (Unix seconds)."""

    id: str
    title: str
    body: str
    url: str | None
    indexed: int


class _Stored:
    """Each document's StoredText, pickled and compressed on its own, one after another."""

    def __init__(self):
        self.blobs: list[bytes] = []

    def add(self, text: StoredText) -> None:
        self.blobs.append(zlib.compress(pickle.dumps(
            (text.id, text.title, text.body, text.url, text.indexed), protocol=5),
            STORED_LEVEL))

    def write(self, prefix: str) -> None:
        offsets = np.zeros(len(self.blobs) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, self.blobs), dtype=np.int64, count=len(self.blobs)),
                  out=offsets[1:])
        save_bytes(f"{prefix}.blob", b"".join(self.blobs))
        save_array(f"{prefix}.offsets.npy", offsets)


class StoredArticles:
    """A segment's stored articles, mapped; safe to read from any thread."""

    def __init__(self, prefix: str):
        self.blob = load_bytes(f"{prefix}.blob")
        self.offsets = load_array(f"{prefix}.offsets.npy")

    def __getitem__(self, docnum: int) -> StoredText:
        data = self.blob[self.offsets[docnum]:self.offsets[docnum + 1]]
        return StoredText(*pickle.loads(zlib.decompress(data)))

    def raw(self, docnum: int) -> bytes:
        return self.blob[self.offsets[docnum]:self.offsets[docnum + 1]]


class _FieldBuilder:
    """One text field's words, document by document, as term numbers in word order (-1 for
    a stop word, dropped when the field is written)."""

    def __init__(self, terms: dict[str, int]):
        self.terms = terms
        self.tokens = array("i")
        self.lengths = array("i")

    def add(self, numbers: list[int]) -> None:
        self.tokens.extend(numbers)
        self.lengths.append(len(numbers))

    def write(self, prefix: str) -> int:
        """Write the field's files; returns its total length in words."""
        tokens, lengths = _without_stop_words(np.frombuffer(self.tokens, dtype=np.int32),
                                              np.frombuffer(self.lengths, dtype=np.int32))
        # the terms this field holds (the numbering is shared with the other fields), in
        # byte order
        every = list(self.terms)
        used = np.flatnonzero(np.bincount(tokens, minlength=len(every))).tolist()
        words = [every[number].encode("utf-8") for number in used]
        order = sorted(range(len(words)), key=words.__getitem__)
        rank = np.full(len(every), -1, dtype=np.int32)
        rank[np.asarray(used, dtype=np.int64)[order]] = np.arange(len(words))
        docs, positions, terms = _sorted_occurrences(rank[tokens], lengths)
        # one posting per (term, document): where either changes
        starts = np.flatnonzero(np.concatenate(
            [[True], (terms[1:] != terms[:-1]) | (docs[1:] != docs[:-1])])) \
            if len(terms) else np.zeros(0, dtype=np.int64)
        frequencies = np.diff(np.append(starts, len(terms)))
        posting_terms = terms[starts]
        count = len(words)
        Lexicon.build(words[i] for i in order).save(f"{prefix}.terms")
        spans = np.searchsorted(posting_terms, np.arange(count + 1)).astype(np.int64)
        save_array(f"{prefix}.postings.npy", spans)
        totals = np.concatenate([[0], np.cumsum(frequencies, dtype=np.int64)])
        save_array(f"{prefix}.frequencies.npy", totals[spans[1:]] - totals[spans[:-1]])
        save_array(f"{prefix}.docs.npy", docs[starts].astype(np.int32))
        save_array(f"{prefix}.tf.npy", _narrow(frequencies))
        save_array(f"{prefix}.positions.npy", _narrow(positions))
        save_array(f"{prefix}.position_blocks.npy",
                   starts[::1 << POSITION_BLOCK_BITS].astype(np.int64))
        save_array(f"{prefix}.lengths.npy", lengths.astype(np.uint32))
        return int(lengths.sum())


def _without_stop_words(tokens: np.ndarray, lengths: np.ndarray):
    """(the tokens but the stop words (-1), each document's length without them)."""
    kept = tokens >= 0
    if kept.all():
        return tokens, lengths.astype(np.int64)
    documents = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths)
    return (tokens[kept],
            np.bincount(documents[kept], minlength=len(lengths)).astype(np.int64))


def _sorted_occurrences(terms: np.ndarray, lengths: np.ndarray):
    """(documents, positions, terms) of every word occurrence, ordered by term, document and
    position, as int32 arrays. `terms` lists each document's term numbers in word order,
    document after document, `lengths` how many each has. The three are packed into one
    64-bit key and sorted in place: about 32 bytes a word at the peak."""
    doc_bits = max(int(len(lengths)).bit_length(), 1)
    pos_bits = max(int(lengths.max() if len(lengths) else 0).bit_length(), 1)
    term_bits = max(int(terms.max() + 1 if len(terms) else 0).bit_length(), 1)
    firsts = np.cumsum(lengths) - lengths
    if doc_bits + pos_bits + term_bits > 63:  # too many to pack: a stable sort by term
        documents = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        positions = np.arange(len(terms), dtype=np.int64) - np.repeat(firsts, lengths)
        order = np.argsort(terms, kind="stable")  # occurrences are in document order
        return (documents[order].astype(np.int32), positions[order].astype(np.int32),
                terms[order].astype(np.int32))
    key = terms.astype(np.int64)
    key <<= doc_bits
    key |= np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    key <<= pos_bits
    key += np.arange(len(terms), dtype=np.int64)  # plus each word's position: its place
    key -= np.repeat(firsts, lengths)  # in the run of words, less where its document starts
    key.sort()
    positions = (key & ((1 << pos_bits) - 1)).astype(np.int32)
    key >>= pos_bits
    documents = (key & ((1 << doc_bits) - 1)).astype(np.int32)
    key >>= doc_bits
    return documents, positions, key.astype(np.int32)


def _narrow(values: np.ndarray) -> np.ndarray:
    """Non-negative integers in 16 bits where they fit, else 32."""
    if not len(values) or int(values.max()) < 2**16:
        return values.astype(np.uint16)
    return values.astype(np.uint32)


class _Codes:
    """Distinct strings numbered in order of appearance (0: none)."""

    def __init__(self):
        self.numbers: dict[str, int] = {}
        self.codes = array("i")

    def add(self, value: str | None) -> None:
        if not value:
            self.codes.append(0)
            return
        number = self.numbers.get(value)
        if number is None:
            number = self.numbers[value] = len(self.numbers) + 1
        self.codes.append(number)

    def write(self, prefix: str) -> None:
        save_array(f"{prefix}.npy", np.frombuffer(self.codes, dtype=np.int32))
        save_json(f"{prefix}.json", list(self.numbers))


class SegmentBuilder:
    """Collects a segment's documents in memory, then writes its arrays (`write`).

    Analysis is done here, in as few passes over the words as Python allows: each word as
    written maps straight to its term number (and to its vocabulary number) through a
    dictionary per language, filled from `Analysis` the first time a word is seen."""

    def __init__(self):
        self.count = 0
        self.tokens = 0
        self.terms: dict[str, int] = {}  # index term -> term number
        self.fields = {name: _FieldBuilder(self.terms) for name in TEXT_FIELDS}
        self.dates = array("i")
        self.dupkeys = array("Q")
        self.tiekeys = array("q")
        self.sources = _Codes()
        self.languages = _Codes()
        self.analyses: set[str] = set()
        self.stored = _Stored()
        self.words: dict[str, int] = {}  # vocabulary word -> number
        self.spelled = array("i")  # the vocabulary numbers of each document, distinct
        self.merged_counts: dict[int, int] = {}  # from merged segments
        self._known: dict[str, tuple[dict, dict]] = {}  # language -> word as written -> numbers

    def add(self, texts: dict[str, str], analysis: Analysis, values: DocumentValues,
            stored: StoredText) -> None:
        """One document: the text of each text field, analysed with `analysis`, its other
        values and what it shows."""
        self.stored.add(stored)
        term_of, word_of = self._known.get(analysis.language) or self._learner(analysis)
        spelled: set[int] = set()
        for name, field in self.fields.items():
            words = split_words(texts.get(name) or "")
            numbers = list(map(term_of.get, words))
            if None in numbers:
                numbers = self._learn(analysis, words, numbers)
            field.add(numbers)
            self.tokens += len(numbers)
            spelled.update(map(word_of.get, words))
        spelled.discard(-1)
        self.spelled.extend(spelled)
        self._add_values(values)

    def _learner(self, analysis: Analysis) -> tuple[dict, dict]:
        known = self._known[analysis.language] = ({}, {})
        return known

    def _learn(self, analysis: Analysis, words: list[str], numbers: list) -> list[int]:
        """`numbers` with the words seen for the first time looked up and remembered."""
        term_of, word_of = self._known[analysis.language]
        found = []
        for word, number in zip(words, numbers):
            if number is None:
                lowered = word.lower()
                term = analysis.term(lowered)
                number = -1 if term is None else self.terms.setdefault(term, len(self.terms))
                term_of[word] = number
                word_of[word] = (-1 if term is None else
                                 self.words.setdefault(analysis.fold(lowered), len(self.words)))
            found.append(number)
        return found

    def _add_values(self, values: DocumentValues) -> None:
        self.dates.append(values.date)
        self.dupkeys.append(values.dupkey)
        self.tiekeys.append(values.tiekey)
        self.sources.add(values.source)
        self.languages.add(values.language)
        self.analyses.add(values.analysis)
        self.count += 1

    def add_segment(self, segment: "SegmentArrays", live: np.ndarray) -> None:
        """The live documents of an existing segment (`live`: its mask), in order: how
        segments are merged, as Whoosh's writer adds their stored fields."""
        keep = np.flatnonzero(live)
        for name, field in self.fields.items():
            for terms in segment.fields[name].documents(keep):
                field.add([self.terms.setdefault(term, len(self.terms)) for term in terms])
                self.tokens += len(terms)
        # the merged segment's counts, deleted documents included: spelling is approximate
        for word, count in zip(segment.vocabulary.words(), segment.vocabulary_counts.tolist()):
            number = self.words.setdefault(word.decode("utf-8"), len(self.words))
            self.merged_counts[number] = self.merged_counts.get(number, 0) + count
        for value, column in ((segment.sources, self.sources),
                              (segment.languages, self.languages)):
            for code in value.codes[keep].tolist():
                column.add(value.values[code - 1] if code else None)
        self.dates.extend(segment.dates[keep].tolist())
        self.dupkeys.extend(segment.dupkeys[keep].tolist())
        self.tiekeys.extend(segment.tiekeys[keep].tolist())
        self.stored.blobs += [segment.stored.raw(docnum) for docnum in keep.tolist()]
        self.analyses.update(segment.meta["analyses"])
        self.count += len(keep)

    def write(self, folder: str | Path, segment_id: str) -> None:
        prefix = str(Path(folder) / segment_id)
        totals = {name: field.write(f"{prefix}.{name}") for name, field in self.fields.items()}
        save_array(f"{prefix}.date.npy", np.frombuffer(self.dates, dtype=np.int32))
        save_array(f"{prefix}.dupkey.npy", np.frombuffer(self.dupkeys, dtype=np.uint64))
        save_array(f"{prefix}.tiekey.npy", np.frombuffer(self.tiekeys, dtype=np.int64))
        self.sources.write(f"{prefix}.source")
        self.languages.write(f"{prefix}.language")
        self.stored.write(f"{prefix}.stored")
        self._write_vocabulary(prefix)
        save_json(f"{prefix}.arrays.json", {"format": FORMAT, "documents": self.count,
                                            "lengths": totals,
                                            "analyses": sorted(self.analyses)})

    def _write_vocabulary(self, prefix: str) -> None:
        """The vocabulary: words and the number of documents holding each."""
        spelled = np.frombuffer(self.spelled, dtype=np.int32)
        counts = np.bincount(spelled[spelled >= 0], minlength=len(self.words))
        for number, count in self.merged_counts.items():
            counts[number] += count
        words = [word.encode("utf-8") for word in self.words]
        order = [i for i in sorted(range(len(words)), key=words.__getitem__)
                 if len(words[i]) <= MAX_SPELLING_BYTES and counts[i]]
        Lexicon.build(words[i] for i in order).save(f"{prefix}.vocabulary")
        save_array(f"{prefix}.vocabulary.counts.npy", counts[order].astype(np.int32))


class FieldArrays:
    """One text field of a segment, mapped."""

    def __init__(self, prefix: str):
        self.terms = Lexicon.open(f"{prefix}.terms")
        self.postings = load_array(f"{prefix}.postings.npy")
        self.frequencies = load_array(f"{prefix}.frequencies.npy")  # per term, its tf summed
        self.docs = load_array(f"{prefix}.docs.npy")
        self.tf = load_array(f"{prefix}.tf.npy")
        self.positions = load_array(f"{prefix}.positions.npy")
        self.position_blocks = load_array(f"{prefix}.position_blocks.npy")
        self.lengths = load_array(f"{prefix}.lengths.npy")

    def find(self, term: bytes) -> int:
        return self.terms.find(term)

    def span(self, number: int) -> tuple[int, int]:
        """Where term `number`'s postings are in `docs` and `tf`."""
        return int(self.postings[number]), int(self.postings[number + 1])

    def occurrences(self, start: int, end: int,
                    docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(document, position) of each occurrence of the term whose postings are
        [`start`, `end`) in those of the (segment-local, ascending) `docs` that hold it."""
        held = self.docs[start:end]
        where = np.minimum(np.searchsorted(held, docs), max(len(held) - 1, 0))
        where = where[held[where] == docs] if len(held) else where[:0]
        postings = where.astype(np.int64) + start
        counts = self.tf[postings].astype(np.int64)
        steps = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        places = np.repeat(self._position_starts(postings), counts) + steps
        return (np.repeat(held[where].astype(np.int64), counts),
                self.positions[places].astype(np.int64))

    def _position_starts(self, postings: np.ndarray) -> np.ndarray:
        """Where the positions of each of `postings` (indexes into `docs`) start: at the
        start of its block's, after the frequencies of the postings before it there."""
        blocks = postings >> POSITION_BLOCK_BITS
        firsts = blocks << POSITION_BLOCK_BITS
        steps = np.arange(1 << POSITION_BLOCK_BITS)
        before = np.minimum(firsts[:, None] + steps, max(len(self.tf) - 1, 0))
        frequencies = np.where(steps < (postings - firsts)[:, None],
                               self.tf[before].astype(np.int64), 0)
        return self.position_blocks[blocks] + frequencies.sum(axis=1)

    def documents(self, docs: np.ndarray):
        """The term texts of each of `docs` in word order (for merging segments)."""
        count = len(self.lengths)
        terms = np.repeat(np.arange(len(self.terms), dtype=np.int64), np.diff(self.postings))
        posting_doc = self.docs.astype(np.int64)
        frequencies = self.tf.astype(np.int64)
        occurrence_term = np.repeat(terms, frequencies)
        occurrence_doc = np.repeat(posting_doc, frequencies)
        key = occurrence_doc * (int(self.positions.max(initial=0)) + 1) + self.positions
        order = np.argsort(key, kind="stable")
        by_doc = occurrence_term[order]
        lengths = np.bincount(occurrence_doc, minlength=count)
        ends = np.cumsum(lengths)
        texts = [word.decode("utf-8") for word in self.terms.words()]
        for doc in docs.tolist():
            yield [texts[t] for t in by_doc[ends[doc] - lengths[doc]:ends[doc]].tolist()]


class _CodeColumn:
    def __init__(self, prefix: str):
        self.codes = load_array(f"{prefix}.npy")
        self.values = load_json(f"{prefix}.json")


class SegmentArrays:
    """A segment's arrays, mapped read-only."""

    def __init__(self, folder: str | Path, segment_id: str):
        prefix = str(Path(folder) / segment_id)
        self.segment_id = segment_id
        self.meta = load_json(f"{prefix}.arrays.json")
        self.count = self.meta["documents"]
        self.fields = {name: FieldArrays(f"{prefix}.{name}") for name in TEXT_FIELDS}
        self.dates = load_array(f"{prefix}.date.npy")
        self.dupkeys = load_array(f"{prefix}.dupkey.npy")
        self.tiekeys = load_array(f"{prefix}.tiekey.npy")
        self.sources = _CodeColumn(f"{prefix}.source")
        self.languages = _CodeColumn(f"{prefix}.language")
        self.stored = StoredArticles(f"{prefix}.stored")
        self.vocabulary = Lexicon.open(f"{prefix}.vocabulary")
        self.vocabulary_counts = load_array(f"{prefix}.vocabulary.counts.npy")

    @staticmethod
    def exists(folder: str | Path, segment_id: str) -> bool:
        return (Path(folder) / f"{segment_id}.arrays.json").is_file()
