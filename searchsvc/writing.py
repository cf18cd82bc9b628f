"""Write many articles into a Whoosh index fast.

`write_files` spreads the files over a writer process per core, by size and in file order,
each filling a segment of its own, so the index holds the documents in the order one writer
would give them. `ArticleWriter` is Whoosh's SegmentWriter without what took most of a rebuild
of Reuters-21578 beyond the articles themselves: a spelling-list posting per document and
word, where only the words and their document counts are ever read (it keeps one posting per
word, weighted by the count, which `IndexReader.frequency` returns); a disk lookup per posting
for the length file of fields that have none; and a posting block, compressed, for each of the
many terms with a single posting (`ArticleCodec` keeps those in the term table).
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import multiprocessing
import operator
import os
import pickle
import queue
import random
import signal
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from whoosh import fields, index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3PostingsWriter
from whoosh.matching import ListMatcher
from whoosh.writing import PostingPool, SegmentWriter

from .articles import Problem, SourceFile

# Postings a writer process keeps in memory before it sorts them out to disk, which costs half
# as much again as writing them: Reuters-21578 five times over (108,000 articles) fits in two
# processes, each at 0.95 GB.
WRITER_MEMORY_MB = 1024
# zlib level of posting blocks (Whoosh's default, 3, took 12% more CPU for Reuters-21578 for
# an index 1.5% smaller) and the fewest postings a block needs to be compressed at all.
COMPRESSION = 1
MIN_COMPRESSED_POSTINGS = 8
# Terms with fewer postings than this keep them in the term table, no posting block.
INLINE_POSTINGS = 2
# Memory of one queued posting, as Whoosh's PostingPool reckons it for a short word.
POSTING_BYTES = 200
# Values of the non-text fields whose postings a writer remembers.
RECURRING_VALUES = 10_000
# Below this many bytes of files one process is quicker than starting writer processes.
PARALLEL_MIN_BYTES = 2 * 2**20
# Writer processes for larger runs; None: one per core.
WRITER_PROCESSES = None
WORKER_POLL_S = 0.5


@dataclass
class FileResult:
    """What one file gave: how many of its articles were indexed, and what was skipped (all of
    it when the file could not be read)."""

    path: str
    readable: bool = True
    indexed: int = 0
    problems: list[Problem] = field(default_factory=list)


AddFile = Callable[[SegmentWriter, SourceFile, set], FileResult]


class WorkerFailed(Exception):
    """The traceback of an error in a writer process, as the cause of the error re-raised in
    the parent."""


class ArticleCodec(W3Codec):
    """Whoosh's codec with two costs of small posting lists taken out, for the one-posting
    lists of most terms (spelling words, ids, rare words): they are kept in the term table
    (Whoosh's own inlining fails on a misspelt method name), and posting blocks of a few
    postings are not compressed (zlib's fixed cost per call outweighs what it saves).
    Index segments name this class: keep it here."""

    def __init__(self):
        super().__init__(compression=COMPRESSION, inlinelimit=INLINE_POSTINGS)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return _InlineMatcher(ids, weights, values, format_, scorer=scorer, term=term,
                                  terminfo=terminfo)
        return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)


class _FieldWriter(W3FieldWriter):
    """Hands each term's postings to the postings writer in one call; Whoosh's loop makes
    three calls and four type checks per posting."""

    def add_postings(self, schema, lengths, items):
        for fieldname, postings in itertools.groupby(items, key=_FIELDNAME):
            self.start_field(fieldname, schema[fieldname])
            field_lengths = lengths.field_lengths(fieldname) if lengths else None
            for btext, term_postings in itertools.groupby(postings, key=_TERM):
                self.start_term(btext)
                self._postwriter.add_postings(term_postings, field_lengths)
                self.finish_term()
            self.finish_field()


_FIELDNAME = operator.itemgetter(0)
_TERM = operator.itemgetter(1)


class _PostingsWriter(W3PostingsWriter):
    def __init__(self, *args, compression: int, **kwargs):
        super().__init__(*args, compression=compression, **kwargs)
        self._level = compression

    def add_postings(self, items, lengths: list | None) -> None:
        """add_posting for each of one term's (field, term, docnum, weight, value) in turn;
        `lengths` holds the field's length of every document (None: the field has none)."""
        ids, weights, values = self._ids, self._weights, self._values
        maxweight, minlength, maxlength = self._maxweight, self._minlength, self._maxlength
        limit = self._blocklimit
        for _, _, docnum, weight, value in items:
            if len(ids) >= limit:
                self._maxweight, self._minlength, self._maxlength = maxweight, minlength, maxlength
                self._write_block()
                ids, weights, values = self._ids, self._weights, self._values
                maxweight, minlength, maxlength = self._maxweight, self._minlength, self._maxlength
            ids.append(docnum)
            weights.append(weight)
            if weight > maxweight:
                maxweight = weight
            if value:
                values.append(value)
            length = lengths[docnum] if lengths else None
            if length:
                if minlength is None or length < minlength:
                    minlength = length
                if length > maxlength:
                    maxlength = length
        self._maxweight, self._minlength, self._maxlength = maxweight, minlength, maxlength

    def _write_block(self, last=False):
        self._compression = self._level if len(self._ids) >= MIN_COMPRESSED_POSTINGS else 0
        super()._write_block(last)

    def finish_postings(self):
        if self.written() or len(self._ids) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = self._terminfo
        terminfo.add_block(self)
        # as a posting block reads back: no values at all for formats of value size 0
        values = ((None,) * len(self._ids) if self._format.fixed_value_size() == 0
                  else self._values)
        terminfo.set_inlined(self._ids, self._weights, values)
        self._terminfo = None
        return terminfo


class _InlineMatcher(ListMatcher):
    """The postings of an inlined term; unlike Whoosh's ListMatcher, its copies keep the term
    and its statistics."""

    def copy(self):
        return self.__class__(self._ids, self._weights, self._values, self._format,
                              self._scorer, self._i, self._all_weights, self._term,
                              self._terminfo)


class SpellingPool(PostingPool):
    """Counts the spelling postings (field `spell_body`, `spell_title`, ...) per word instead of
    queueing one per document; each word becomes one posting whose weight is its count. Takes
    a document's postings of a field in one call (`add_field`)."""

    def __init__(self, tempstore, segment, limitmb: int, spelling_fields: set[str]):
        super().__init__(tempstore, segment, limitmb=limitmb)
        self._spelling_fields = spelling_fields
        self._spelling: dict[str, Counter] = {}

    def add(self, item):
        if item[0] in self._spelling_fields:
            self.fieldnames.add(item[0])
            words = self._spelling.setdefault(item[0], Counter())
            words[item[1].decode("utf-8")] += item[3]
        else:
            super().add(item)

    def add_field(self, fieldname: str, docnum: int, postings: list) -> None:
        """One document's (term bytes, frequency, weight, value bytes) of one field; memory
        is reckoned at POSTING_BYTES a posting instead of item by item."""
        self.fieldnames.add(fieldname)
        self.current.extend([(fieldname, term, docnum, weight, value)
                             for term, _, weight, value in postings])
        self.currentsize += POSTING_BYTES * len(postings)
        if self.currentsize > self.limit:
            self.save()

    def add_spelling(self, fieldname: str, words) -> None:
        """Count one document's spelling words (unique) for `fieldname`."""
        self.fieldnames.add(fieldname)
        self._spelling.setdefault(fieldname, Counter()).update(words)

    def iter_postings(self):
        words = ((name, word.encode("utf-8"), 0, float(count), b"")
                 for name in sorted(self._spelling)
                 for word, count in sorted(self._spelling[name].items()))  # UTF-8 keeps order
        return heapq.merge(super().iter_postings(), words)


class _FieldLengths:
    """The per-document reader the postings writer asks for a field length at every posting:
    each field's lengths are read once into a list (none for fields that keep none)."""

    def __init__(self, reader, scorable: set[str]):
        self._reader = reader
        self._scorable = scorable
        self._lengths: dict[str, list[int]] = {}

    def field_lengths(self, fieldname: str) -> list | None:
        """The field's length in every document, by document number (None: it keeps none)."""
        lengths = self._lengths.get(fieldname)
        if lengths is None and fieldname in self._scorable:
            lengths = self._lengths[fieldname] = [
                self._reader.doc_field_length(n, fieldname, 0)
                for n in range(self._reader.doc_count_all())]
        return lengths

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self.field_lengths(fieldname)
        return lengths[docnum] if lengths is not None and docnum < len(lengths) else default

    def close(self):
        self._reader.close()


class ArticleWriter(SegmentWriter):
    """A SegmentWriter with the SpellingPool and quick field lengths; on commit it also adds
    the segments worker processes wrote (`parts`)."""

    def __init__(self, ix, limitmb: int = WRITER_MEMORY_MB, **kwargs):
        kwargs.setdefault("codec", ArticleCodec())
        super().__init__(ix, limitmb=limitmb, **kwargs)
        schema = self.schema
        spelling = {f.spelling_fieldname(name) for name, f in schema.items()
                    if f.separate_spelling()}
        self.pool = SpellingPool(self._tempstorage, self.newsegment, limitmb, spelling)
        self._scorable = {name for name, f in schema.items() if f.scorable}
        self._recurring: dict[tuple, list] = {}
        self.parts = []

    def add_document(self, **fields):
        """Whoosh's SegmentWriter.add_document for documents without boosts, stored-value
        overrides or term vectors (what indexing.document makes), with each document's
        spelling words counted in one go."""
        schema = self.schema
        names = sorted(fields)
        self._check_state()
        self._check_fields(schema, [name for name in names if not name.startswith("_")])
        if any(name.startswith("_") or schema[name].vector for name in names):
            return super().add_document(**fields)
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        pool = self.pool
        perdocwriter.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    postings = self._postings(name, field, value)
                    if field.scorable:
                        length = sum(posting[1] for posting in postings)
                    pool.add_field(name, docnum, postings)
                if field.separate_spelling():
                    pool.add_spelling(field.spelling_fieldname(name),
                                      field.spellable_words(value))
                perdocwriter.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _postings(self, name: str, field, value) -> list:
        """field.index(value), remembered for the values that recur from one document to the
        next (file, date, month, source, language): analysing them costs as much as a body."""
        if isinstance(field, fields.TEXT):
            return list(field.index(value))
        key = (name, value)
        postings = self._recurring.get(key)
        if postings is None:
            postings = list(field.index(value))
            if len(self._recurring) >= RECURRING_VALUES:
                self._recurring.clear()
            self._recurring[key] = postings
        return postings

    def per_document_reader(self):
        return _FieldLengths(super().per_document_reader(), self._scorable)

    def finish_part(self):
        """Close this writer's segment for a parent writer to commit (None if it is empty)."""
        if self._added:
            return self._finalize_segment()
        self._close_segment()
        return None

    def _commit_toc(self, segments):
        super()._commit_toc(list(segments) + self.parts)


def write_files(writer: ArticleWriter, sources: list[SourceFile], add_file: AddFile,
                progress: Callable[[int], None]) -> list[FileResult]:
    """Add the articles of `sources` with `add_file`, in worker processes when there is
    enough to do; the results come back in the order of `sources`. Worker segments are added
    to `writer.parts`, so the writer's commit publishes everything at once."""
    sizes = [_size(s.path) for s in sources]
    processes = WRITER_PROCESSES or os.cpu_count() or 1
    if processes < 2 or sum(sizes) < PARALLEL_MIN_BYTES or len(sources) < 2:
        seen: set[str] = set()
        results = []
        for source, size in zip(sources, sizes):
            results.append(add_file(writer, source, seen))
            progress(size)
        return results
    shares = _shares(sources, sizes, processes)
    return _run_workers(writer, shares, add_file, progress)


def _shares(sources: list[SourceFile], sizes: list[int], processes: int
            ) -> list[list[tuple[int, SourceFile]]]:
    """Split the files into runs of about equal size, in order. Files whose articles could
    share ids (the same path under two roots) stay in one share, where the first one wins
    as it does in a single writer."""
    target = sum(sizes) / processes
    shares: list[list[tuple[int, SourceFile]]] = [[] for _ in range(processes)]
    first_share: dict[str, int] = {}
    done = 0
    for number, (source, size) in enumerate(zip(sources, sizes)):
        share = min(processes - 1, int(done // target)) if target else 0
        share = first_share.setdefault(source.id.split(":", 1)[0], share)
        shares[share].append((number, source))
        done += size
    return [share for share in shares if share]


def _run_workers(writer: ArticleWriter, shares, add_file: AddFile,
                 progress: Callable[[int], None]) -> list[FileResult]:
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    messages = context.Queue()
    where = (writer.storage.folder, writer.indexname, writer.schema)
    workers = [context.Process(target=_worker, args=(where, share, add_file, messages),
                               daemon=True)
               for share in shares]
    for worker in workers:
        worker.start()
    results: dict[int, FileResult] = {}
    segments: dict[int, object] = {}
    try:
        while len(segments) < len(workers):
            try:
                message = messages.get(timeout=WORKER_POLL_S)
            except queue.Empty:
                if any(w.exitcode is not None and share[0][0] not in segments
                       for w, share in zip(workers, shares)):
                    raise RuntimeError("an indexing worker process died") from None
                continue
            kind = message[0]
            if kind == "progress":
                progress(message[1])
            elif kind == "done":
                _, share, segment, share_results = message
                segments[share] = segment
                results.update(share_results)
            else:
                _, error, trace = message
                raise error from WorkerFailed(trace)
        for worker in workers:
            worker.join()
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
                worker.join()
    writer.parts += [segments[n] for n in sorted(segments) if segments[n] is not None]
    return [results[number] for number in sorted(results)]


def _worker(where: tuple, share: list[tuple[int, SourceFile]], add_file: AddFile,
            messages) -> None:
    """Write one share of the files into a new segment of the index (folder, name, schema)."""
    _die_with_parent()
    random.seed()  # forked workers would otherwise draw the same segment names
    folder, indexname, schema = where
    number = share[0][0]
    try:
        ix = whoosh_index.open_dir(folder, indexname=indexname, schema=schema)
        writer = ArticleWriter(ix, _lk=False)
        seen: set[str] = set()
        results = {}
        for position, source in share:
            results[position] = add_file(writer, source, seen)
            messages.put(("progress", _size(source.path)))
        messages.put(("done", number, writer.finish_part(), results))
    except BaseException as error:
        try:
            pickle.dumps(error)
        except Exception:
            error = RuntimeError(f"{type(error).__name__}: {error}")
        messages.put(("error", error, traceback.format_exc()))


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the run that started it dies: a run killed with
    SIGKILL would otherwise leave workers writing on, holding the run's lock (inherited with
    the fork), and the next run would be refused as busy."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers finish their share, then exit
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before the line above
        os._exit(1)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
