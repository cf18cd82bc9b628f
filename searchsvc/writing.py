"""Write many articles into an index generation fast.

Articles are written into segments by "part writers": each analyses its articles, hands the
stored fields and id terms to Whoosh, and keeps the analysed text in a SegmentBuilder whose
arrays it writes beside the Whoosh segment (searchsvc.segments). A part writer closes its
segment and starts another every WRITER_MEMORY_MB or so of text, so memory stays bounded
whatever the size of the input. Larger runs spread their files over a writer process per
core, by size and in file order, so the index holds the documents in the order one process
would give them. The run's own writer then deletes what changed, merges small segments, and
commits every part at once.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import multiprocessing
import os
import pickle
import queue
import random
import signal
import time
import traceback
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter
from whoosh.matching import ListMatcher
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from .analysis import analysis_for, analysis_language
from .articles import Article, FilePart, Problem, SourceFile, split_file
from .schema import dupkey, file_signature_term
from .segments import NO_DATE, DocumentValues, SegmentArrays, SegmentBuilder, StoredText

WRITER_MEMORY_MB = 1024
"""What one writer process may hold before it writes its segment (about 40 bytes a word)."""
BYTES_PER_WORD = 40
# zlib level of Whoosh's posting blocks (its default, 3, costs more CPU for little) and the
# fewest postings a block needs to be compressed at all.
COMPRESSION = 1
MIN_COMPRESSED_POSTINGS = 8
# Terms with fewer postings than this keep them in the term table, no posting block.
INLINE_POSTINGS = 2
# Below this many bytes of files one process is quicker than starting writer processes.
PARALLEL_MIN_BYTES = 2 * 2**20
# JSON Lines files this large are split into parts that writer processes read side by side.
SPLIT_MIN_BYTES = 8 * 2**20
# Writer processes for larger runs; None: one per core.
WRITER_PROCESSES = None
WORKER_POLL_S = 0.5
# Segments under this many documents are merged once there are more than MAX_SMALL_SEGMENTS
# of them (so small incremental runs do not leave hundreds of segments behind); segments
# under MERGE_MAX_DOCS that are mostly deleted are merged (compacted) too.
SMALL_SEGMENT_DOCS = 20_000
MAX_SMALL_SEGMENTS = 8
MERGE_MAX_DOCS = 200_000


@dataclass
class FileResult:
    """What one file gave: how many of its articles were indexed, and what was skipped (all of
    it when the file could not be read)."""

    path: str
    readable: bool = True
    indexed: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Unit:
    """What one writer reads: a file, or a part of a large JSON Lines file."""

    number: int  # the file's place in the run
    source: SourceFile
    part: FilePart | None
    size: int


Progress = Callable[[int, int], None]
"""Called with the bytes read and the articles added since its last call."""


class WorkerFailed(Exception):
    """The traceback of an error in a writer process, as the cause of the error re-raised in
    the parent."""


class ArticleCodec(W3Codec):
    """Whoosh's codec with two costs of small posting lists taken out, for the one-posting
    lists of the id terms: they are kept in the term table (Whoosh's own inlining fails on a
    misspelt method name), and posting blocks of a few postings are not compressed (zlib's
    fixed cost per call outweighs what it saves). Index segments name this class: keep it
    here."""

    def __init__(self):
        super().__init__(compression=COMPRESSION, inlinelimit=INLINE_POSTINGS)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return _InlineMatcher(ids, weights, values, format_, scorer=scorer, term=term,
                                  terminfo=terminfo)
        return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)


class _PostingsWriter(W3PostingsWriter):
    def __init__(self, *args, compression: int, **kwargs):
        super().__init__(*args, compression=compression, **kwargs)
        self._level = compression

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


class ArticleWriter(SegmentWriter):
    """Whoosh's SegmentWriter for articles: `add_article` stores an article in Whoosh and its
    analysed text in the segment's arrays, which are written with the segment. Committing
    also publishes the segments of part writers (`parts`) and merges small segments."""

    def __init__(self, ix, **kwargs):
        kwargs.setdefault("codec", ArticleCodec())
        # Separate files, not one compound file per segment: Whoosh reads a column of a
        # compound file by copying it whole into memory (a segment's stored articles, 140 MB
        # at 140,000 articles, in every searcher); a separate file is read where needed.
        kwargs.setdefault("compound", False)
        super().__init__(ix, **kwargs)
        self.arrays = SegmentBuilder()
        self.parts = []
        self.mergetype = merge_small_segments
        self.id_hashes = array("Q")  # of the articles added, in order: duplicates across parts

    def add_article(self, article: Article, source: SourceFile) -> None:
        values = DocumentValues(
            date=article.date.toordinal() if article.date else NO_DATE,
            dupkey=dupkey(article.title, article.body, article.source),
            source=article.source, language=article.language,
            analysis=analysis_language(article.language), tiekey=id_hash(article.id) >> 1)
        self.add_document(id=article.id, file=source.path,
                          filesig=file_signature_term(source.path, source.signature))
        self.id_hashes.append(id_hash(article.id))
        self.arrays.add({"title": article.title, "body": article.body},
                        analysis_for(article.language), values,
                        StoredText(article.id, article.title, article.body, article.url,
                                   int(time.time())))

    def full(self) -> bool:
        """True once the segment holds WRITER_MEMORY_MB of text: time to write it."""
        return self.arrays.tokens * BYTES_PER_WORD >= WRITER_MEMORY_MB * 2**20

    def _finalize_segment(self):
        segment = super()._finalize_segment()
        self.arrays.write(self.storage.folder, segment.segment_id())
        return segment

    def merge_segment(self, segment) -> None:
        """Add a committed segment's live documents to this writer's segment."""
        reader = SegmentReader(self.storage, self.schema, segment)
        try:
            live = [not segment.is_deleted(n) for n in range(segment.doc_count_all())]
            self.add_reader(reader)
        finally:
            reader.close()
        self.arrays.add_segment(SegmentArrays(self.storage.folder, segment.segment_id()),
                                np.asarray(live, dtype=bool))

    def finish_part(self):
        """Close this writer's segment for a parent writer to commit (None if it is empty)."""
        if self._added:
            return self._finalize_segment()
        self._close_segment()
        return None

    def _commit_toc(self, segments):
        super()._commit_toc(list(segments) + self.parts)


def merge_small_segments(writer: ArticleWriter, segments: list) -> list:
    """The merge policy: segments whose documents are all deleted are dropped; the small
    ones, and the mostly deleted ones under MERGE_MAX_DOCS, are merged into the writer's
    segment once there are more than MAX_SMALL_SEGMENTS of them; the rest stay as they are
    (in order: document numbers keep their order)."""
    live = [s for s in segments if s.doc_count() > 0]
    small = [s for s in live if s.doc_count_all() < SMALL_SEGMENT_DOCS
             or (s.doc_count_all() < MERGE_MAX_DOCS and 2 * s.deleted_count() > s.doc_count_all())]
    if len(small) <= MAX_SMALL_SEGMENTS and not any(2 * s.deleted_count() > s.doc_count_all()
                                                    for s in small):
        return live
    for segment in small:
        writer.merge_segment(segment)
    return [s for s in live if s not in small]


AddFile = Callable[["PartWriters", Unit, set, Progress], FileResult]


class PartWriters:
    """Part writers one after another: `writer()` gives the current one, starting a new one
    when the last holds WRITER_MEMORY_MB of text; `finish()` gives their segments."""

    def __init__(self, ix):
        self.ix = ix
        self.current: ArticleWriter | None = None
        self.segments = []  # (segment, the id hashes of its articles)

    def writer(self) -> ArticleWriter:
        if self.current is not None and self.current.full():
            self._close()
        if self.current is None:
            self.current = ArticleWriter(self.ix, _lk=False)
        return self.current

    def _close(self) -> None:
        segment = self.current.finish_part()
        if segment is not None:
            self.segments.append((segment, self.current.id_hashes.tobytes()))
        self.current = None

    def finish(self) -> list:
        if self.current is not None:
            self._close()
        return self.segments

    def cancel(self) -> None:
        if self.current is not None:
            self.current.cancel()
            self.current = None


def write_files(writer: ArticleWriter, sources: list[SourceFile], add_file: AddFile,
                progress: Progress) -> tuple[list[FileResult], list[Problem]]:
    """Add the articles of `sources` with `add_file`, in worker processes when there is
    enough to do, large JSON Lines files split among them. Returns each source's result, in
    the order of `sources`, and the articles dropped because an earlier part of the run held
    their id. The segments written are added to `writer.parts`, so the writer's commit
    publishes everything at once."""
    sizes = [_size(s.path) for s in sources]
    processes = WRITER_PROCESSES or os.cpu_count() or 1
    parallel = processes > 1 and sum(sizes) >= PARALLEL_MIN_BYTES
    units = _units(sources, sizes, processes if parallel else 1)
    if not parallel or len(units) < 2:
        parts = PartWriters(_index_of(writer))
        seen: set[str] = set()
        results = []
        try:
            for unit in units:
                results.append(add_file(parts, unit, seen, progress))
        except BaseException:
            parts.cancel()
            raise
        written = parts.finish()
    else:
        results, written = _run_workers(writer, _shares(units, processes), add_file, progress)
    writer.parts += [segment for segment, _ in written]
    return _joined(sources, units, results), _drop_repeated_ids(writer, written)


def id_hash(article_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(article_id.encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "little")


def _units(sources: list[SourceFile], sizes: list[int], processes: int) -> list[Unit]:
    """The files to read, large JSON Lines files cut into parts so that each writer gets
    about a fourth of its share from each (and the shares come out even)."""
    piece = sum(sizes) / (4 * processes) if processes > 1 else math.inf
    units = []
    for number, (source, size) in enumerate(zip(sources, sizes)):
        if size >= SPLIT_MIN_BYTES and size > piece:
            parts = split_file(source, min(64, math.ceil(size / piece)))
            if len(parts) > 1:
                units += [Unit(number, source, part, part.end - part.start) for part in parts]
                continue
        units.append(Unit(number, source, None, size))
    return units


def _joined(sources: list[SourceFile], units: list[Unit],
            results: list[FileResult]) -> list[FileResult]:
    """One result per source from the results of its units. A file read in parts is
    unreadable only when no part gave an article and a part could not be read."""
    joined: dict[int, FileResult] = {}
    for unit, result in zip(units, results):
        found = joined.get(unit.number)
        if found is None:
            joined[unit.number] = FileResult(result.path, result.readable, result.indexed,
                                             list(result.problems))
            continue
        found.indexed += result.indexed
        found.problems += result.problems
        found.readable = (found.readable and result.readable) or found.indexed > 0
    return [joined[number] for number in range(len(sources))]


def _drop_repeated_ids(writer: ArticleWriter, written: list) -> list[Problem]:
    """Delete the articles whose id an earlier article of the run holds. One writer finds
    them as it goes; parts of one file read by different writers meet only here."""
    hashes = np.concatenate([np.frombuffer(found, dtype=np.uint64) for _, found in written]) \
        if written else np.zeros(0, dtype=np.uint64)
    if len(hashes) < 2:
        return []
    _, first = np.unique(hashes, return_index=True)
    if len(first) == len(hashes):
        return []
    repeated = np.ones(len(hashes), dtype=bool)
    repeated[first] = False
    problems = []
    offset = 0
    for segment, found in written:
        count = len(found) // 8
        local = np.flatnonzero(repeated[offset:offset + count])
        if len(local):
            problems += delete_repeated(writer.storage, writer.schema, segment, local.tolist())
        offset += count
    return problems


def delete_repeated(storage, schema, segment, docnums: list[int]) -> list[Problem]:
    """Delete documents `docnums` of a segment written in this run, whose id an earlier
    article holds; a problem each, naming its file."""
    problems = []
    reader = SegmentReader(storage, schema, segment)
    try:
        for docnum in docnums:
            stored = reader.stored_fields(docnum)
            segment.delete_document(docnum)
            problems.append(Problem(stored["file"], f"duplicate article id {stored['id']}"))
    finally:
        reader.close()
    return problems


def _index_of(writer: SegmentWriter):
    return whoosh_index.open_dir(writer.storage.folder, indexname=writer.indexname,
                                 schema=writer.schema)


def _shares(units: list[Unit], processes: int) -> list[list[tuple[int, Unit]]]:
    """Split the units into runs of about equal size, in order. Different files whose
    articles could share ids (the same path under two roots) stay in one share, where the
    first one wins as it does in a single writer."""
    target = sum(unit.size for unit in units) / processes
    shares: list[list[tuple[int, Unit]]] = [[] for _ in range(processes)]
    owners: dict[str, tuple[str, int]] = {}
    done = 0
    for number, unit in enumerate(units):
        share = min(processes - 1, int(done // target)) if target else 0
        owner = owners.setdefault(unit.source.id.split(":", 1)[0], (unit.source.path, share))
        if owner[0] != unit.source.path:
            share = owner[1]
        shares[share].append((number, unit))
        done += unit.size
    return [share for share in shares if share]


def _run_workers(writer: ArticleWriter, shares, add_file: AddFile, progress: Progress):
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
    segments: dict[int, list] = {}
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
                progress(message[1], message[2])
            elif kind == "done":
                _, share, share_segments, share_results = message
                segments[share] = share_segments
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
    written = [segment for n in sorted(segments) for segment in segments[n]]
    return [results[number] for number in sorted(results)], written


def _worker(where: tuple, share: list[tuple[int, Unit]], add_file: AddFile,
            messages) -> None:
    """Write one share of the units into new segments of the index (folder, name, schema)."""
    _die_with_parent()
    random.seed()  # forked workers would otherwise draw the same segment names
    folder, indexname, schema = where
    number = share[0][0]

    def progress(size: int, articles: int) -> None:
        messages.put(("progress", size, articles))

    try:
        ix = whoosh_index.open_dir(folder, indexname=indexname, schema=schema)
        parts = PartWriters(ix)
        seen: set[str] = set()
        results = {}
        for position, unit in share:
            results[position] = add_file(parts, unit, seen, progress)
        messages.put(("done", number, parts.finish(), results))
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

