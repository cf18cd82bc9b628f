"""Build and update the Whoosh index: incremental by file, atomic by generation.

The index folder holds generations (`gen-<n>/`, each a complete Whoosh index) and a `CURRENT`
file naming the one to serve. Every run that changes anything writes a new generation (a
hard-linked clone of the current one, or an empty one for --rebuild) and then replaces
`CURRENT` with one atomic rename, so readers only ever see a finished index, and a run that is
killed leaves the previous generation serving.
"""

import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import Index

from .articles import Flag, Problem, find_files, read_file, save_folder_defaults
from .errors import ArticleError, IndexBusy, IndexMissing, IndexWriteError
from .generation import META, FORMAT, Generation, IncompatibleIndex, write_generation
from .schema import storage_schema
from .writing import ArticleWriter, FileResult, PartWriters, Progress, Unit, write_files

CURRENT = "CURRENT"
LOCK = ".lock"
GENERATION_PREFIX = "gen-"


class IndexStore:
    """The index folder: which generation is current, switching to a new one, the run lock."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def current(self) -> Path | None:
        try:
            name = (self.root / CURRENT).read_text().strip()
        except FileNotFoundError:
            return None
        path = self.root / name
        return path if name.startswith(GENERATION_PREFIX) and path.is_dir() else None

    def open(self) -> tuple[Index, Generation]:
        """The current index and its arrays; IndexMissing with what to do when there is none
        or it is broken."""
        generation = self.current()
        if generation is None:
            raise IndexMissing(f"no index at {self.root}: run `searchsvc index` to build it")
        try:
            index = whoosh_index.open_dir(str(generation), schema=storage_schema())
            arrays = Generation(generation)
            with index.reader() as reader:  # opens every segment: a damaged one fails here
                segments = [segment.segment_id() for segment in index._segments()]
                if segments != arrays.segment_ids() or reader.doc_count_all() != arrays.size:
                    raise IncompatibleIndex("its arrays do not match its segments")
            return index, arrays
        except IncompatibleIndex as exc:
            raise IndexMissing(f"the index at {generation} cannot be used ({exc}); "
                               "run `searchsvc index --rebuild` to rebuild it") from None
        except Exception as exc:  # Whoosh and numpy raise many types for damaged files
            raise IndexMissing(f"the index at {generation} cannot be opened ({exc}); "
                               "run `searchsvc index --rebuild` to rebuild it") from None

    def version(self) -> tuple[int, int] | None:
        """Changes whenever CURRENT is replaced: cheap enough to check on every request."""
        try:
            stat = os.stat(self.root / CURRENT)
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def last_built(self) -> float | None:
        stat = self.version()
        return stat[1] / 1e9 if stat else None

    @contextmanager
    def lock(self, wait: bool = False):
        """Hold the index's run lock; IndexBusy (or a wait) when another run holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise IndexBusy(f"another indexing run ({holder}) is updating {self.root}; "
                                "wait for it to finish or pass --wait") from None
            handle.seek(0)
            handle.truncate()
            try:
                os.pwrite(handle.fileno(), f"pid {os.getpid()}".encode(), 0)
            except OSError:
                pass  # a full disk; the run reports it when it writes the index
            try:
                yield
            finally:
                handle.seek(0)
                handle.truncate()

    def new_generation(self, clone: Path | None) -> Path:
        path = self.root / f"{GENERATION_PREFIX}{time.time_ns()}"
        path.mkdir(parents=True)
        if clone is not None:
            for item in clone.iterdir():
                if item.is_file() and not item.name.endswith("LOCK"):
                    try:
                        os.link(item, path / item.name)
                    except OSError:
                        shutil.copy2(item, path / item.name)
        return path

    def switch_to(self, generation: Path) -> None:
        """Make `generation` the one served: its files on disk first, then CURRENT."""
        fsync_tree(generation)
        temporary = self.root / f"{CURRENT}.tmp"
        with open(temporary, "w") as handle:
            handle.write(generation.name + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.root / CURRENT)
        fsync_dir(self.root)

    def remove_stale(self) -> None:
        """Delete generations but the current and the one before it (servers may still be
        reading that one for a moment); call with the lock held."""
        current = self.current()
        generations = sorted((p for p in self.root.glob(f"{GENERATION_PREFIX}*") if p.is_dir()),
                             key=lambda p: int(p.name[len(GENERATION_PREFIX):]))
        keep = {current}
        older = [p for p in generations if current and p.name < current.name]
        if older:
            keep.add(max(older, key=lambda p: int(p.name[len(GENERATION_PREFIX):])))
        for path in generations:
            if path not in keep:
                shutil.rmtree(path, ignore_errors=True)


@dataclass
class IndexReport:
    """What a run did, for the CLI to print and tests to check."""

    files_added: int = 0
    files_changed: int = 0
    files_removed: int = 0
    files_unchanged: int = 0
    articles_indexed: int = 0
    articles_removed: int = 0
    articles_total: int = 0
    skipped: list[Problem] = field(default_factory=list)
    # Articles indexed with a caveat (a page indexed by its headline alone)
    flagged: list[Flag] = field(default_factory=list)
    seconds: float = 0.0
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.files_added or self.files_changed or self.files_removed)


def update_index(index_dir: str | os.PathLike, roots: Iterable[str | os.PathLike], *,
                 rebuild: bool = False, excludes: Iterable[str] = (), wait: bool = False,
                 progress: bool | None = None,
                 folder: dict[str, str | None] | None = None) -> IndexReport:
    """Bring the index in line with the article files under `roots`.

    Incremental unless `rebuild`: reads only new and changed files, removes the articles of
    files that are gone (under the same roots; articles from other roots are kept).
    `folder` (source, language, timezone) is recorded in each root folder first, for its
    articles that do not say (searchsvc.articles.folders); a change reads them again.
    """
    started = time.perf_counter()
    store = IndexStore(index_dir)
    roots = [Path(r).resolve() for r in roots]
    report = IndexReport()
    with store.lock(wait=wait):
        for root in roots if folder else ():
            save_folder_defaults(root, **folder)
        files = find_files(roots, excludes)
        current = None if rebuild else store.current()
        if current is not None and not _readable_format(current):
            current = None  # written by another version of searchsvc: build it afresh
        try:
            known = _indexed_files(whoosh_index.open_dir(str(current))) if current else {}
        except Exception as exc:  # Whoosh raises many types for damaged files
            raise IndexMissing(f"the index at {current} cannot be read ({exc}); "
                               "run `searchsvc index --rebuild` to rebuild it") from None
        on_disk = {f.path for f in files}
        gone = [p for p in known if p not in on_disk and _under(p, roots)]
        todo = [f for f in files if known.get(f.path) != f.signature]
        report.files_unchanged = len(files) - len(todo)
        if current is not None and not todo and not gone:
            report.articles_total = _doc_count(current)
            report.seconds = time.perf_counter() - started
            return report

        generation = store.new_generation(clone=current)
        try:
            ix = (whoosh_index.open_dir(str(generation), schema=storage_schema()) if current
                  else whoosh_index.create_in(str(generation), storage_schema()))
            writer = ArticleWriter(ix)
            try:
                for path in gone:
                    report.articles_removed += writer.delete_by_term("file", path)
                    report.files_removed += 1
                bar = _ProgressBar(sum(_size(f.path) for f in todo), progress)
                try:
                    results, repeated = write_files(writer, todo, _add_file, bar.update)
                finally:
                    bar.close()
                for result in results:
                    _count(writer, result, known, report)
                report.skipped += repeated
                report.articles_indexed -= len(repeated)
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            ix = whoosh_index.open_dir(str(generation), schema=storage_schema())
            write_generation(generation, ix._segments())
            report.articles_total = ix.doc_count()
            ix.close()
            store.switch_to(generation)
        except BaseException as exc:
            shutil.rmtree(generation, ignore_errors=True)
            if isinstance(exc, OSError):
                raise IndexWriteError(f"cannot write the new index in {store.root} "
                                      f"({exc.strerror or exc}); the index in use is "
                                      "unchanged") from exc
            raise
        store.remove_stale()
        report.generation = generation.name
    report.seconds = time.perf_counter() - started
    return report


def _add_file(parts: PartWriters, unit: Unit, seen_ids: set[str],
              progress: Progress) -> FileResult:
    """Read one file (or part) and add its articles (in a writer process when there are
    many). A file that fails before giving an article is unreadable (its indexed articles
    stay until it is fixed); one that fails later keeps what was read before, and says so."""
    source = unit.source
    result = FileResult(source.path)
    added = 0

    def read(size: int) -> None:
        nonlocal added
        progress(size, added)
        added = 0

    try:
        for item in read_file(source, part=unit.part, progress=read):
            if isinstance(item, Problem):
                result.problems.append(item)
            elif item.id in seen_ids:
                result.problems.append(Problem(item.path, f"duplicate article id {item.id}"))
            else:
                seen_ids.add(item.id)
                parts.writer().add_article(item, source)
                result.indexed += 1
                added += 1
    except ArticleError as exc:
        result.problems.append(Problem(source.path, str(exc)))
        result.readable = result.indexed > 0
    progress(0, added)
    return result


def _count(writer, result: FileResult, known: dict[str, str], report: IndexReport) -> None:
    """Add one file's result to the report; a changed file's old articles go now, unless it
    became unreadable: then they stay until it is readable again."""
    report.skipped += [problem for problem in result.problems if not isinstance(problem, Flag)]
    report.flagged += [problem for problem in result.problems if isinstance(problem, Flag)]
    if not result.readable:
        return
    if result.path in known:
        report.articles_removed += writer.delete_by_term("file", result.path)
        report.files_changed += 1
    else:
        report.files_added += 1
    report.articles_indexed += result.indexed


def _indexed_files(ix: Index) -> dict[str, str]:
    """path -> signature of every file with live articles (the lexicon still lists the terms
    of deleted documents until their segment is merged away)."""
    with ix.reader() as reader:
        files = {}
        for term in reader.lexicon("filesig"):
            if reader.has_deletions() and all(
                    reader.is_deleted(docnum)
                    for docnum in reader.postings("filesig", term).all_ids()):
                continue
            path, signature = term.decode("utf-8").split("\x00", 1)
            files[path] = signature
        return files


def _readable_format(generation: Path) -> bool:
    try:
        return json.loads((generation / META).read_text()).get("format") == FORMAT
    except (OSError, ValueError):
        return False


def _doc_count(generation: Path) -> int:
    ix = whoosh_index.open_dir(str(generation))
    try:
        return ix.doc_count()
    finally:
        ix.close()


def _under(path: str, roots: list[Path]) -> bool:
    return any(path == str(root) or path.startswith(str(root) + os.sep) for root in roots)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


class _ProgressBar:
    """Bytes read and articles added, on a terminal (or when asked)."""

    def __init__(self, total: int, progress: bool | None):
        from tqdm import tqdm

        enabled = sys.stderr.isatty() if progress is None else progress
        self.articles = 0
        self.bar = tqdm(total=total, unit="B", unit_scale=True, desc="indexing",
                        disable=not enabled, file=sys.stderr, leave=False)

    def update(self, size: int, articles: int) -> None:
        self.articles += articles
        if articles:
            self.bar.set_postfix_str(f"{self.articles:,} articles", refresh=False)
        self.bar.update(size)

    def close(self) -> None:
        self.bar.close()


def fsync_tree(folder: Path) -> None:
    """Every file and folder under `folder` on disk, so a crash after a switch cannot leave
    CURRENT naming a generation whose files were still in the page cache (the folder's
    entries alone were made durable before). It also means a server started right after
    `searchsvc index` does not share the disk with the kernel writing the index back: after
    a build of 100,000 articles all 200 MB of it were still dirty in the page cache when the
    command returned (/proc/meminfo), and the build took as long with the fsyncs."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        elif path.is_dir():
            fsync_dir(path)
    fsync_dir(folder)


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new files, renames) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
