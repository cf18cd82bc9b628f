"""A sharded index: the articles split by story into shards, each a normal index folder, built
side by side on a Ray cluster.

The index folder's `CURRENT` names a sharded generation `shards-<n>/`, which holds:
- `shard-<k>/`, each a normal searchsvc index folder (`searchsvc serve --index` reads one);
- `collection/`, the collection dictionary (searchsvc.collection): the statistics of all the
  shards together, which every shard ranks with;
- `sharded.json`, the description: each shard's folder, articles and dates.

An article goes to the shard numbered by its story code (searchsvc.schema.dupkey) modulo the
number of shards, so the versions of a story are in one shard and collapse there, and shards
come out of about equal size. Every run builds all the shards afresh and switches `CURRENT`
at once; the sharded generation before stays for the searches still reading it.

The build is a Ray job: read tasks take runs of the files (large JSON Lines exports cut in
parts, as searchsvc.writing cuts them), each writing its articles into segments of every
shard; then a task per shard commits its segments and writes its generation's arrays, and
the caller merges the collection dictionary and switches.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index

from .arrays import load_json, save_json
from .articles import Flag, Problem, find_files, save_folder_defaults
from .collection import CollectionDictionary
from .errors import IndexMissing, SearchsvcError
from .generation import Generation, write_generation
from .indexing import CURRENT, IndexStore, _add_file
from .schema import dupkey, storage_schema
from .segments import NO_DATE
from .writing import (BYTES_PER_WORD, WRITER_MEMORY_MB, ArticleWriter, PartWriters, _shares,
                      _units, delete_repeated)

SHARDED = "sharded.json"
SHARDED_PREFIX = "shards-"
DICTIONARY = "collection"
READ_TASKS_PER_WORKER = 2
"""Read tasks per worker process of the cluster: a worker that finishes early takes another."""


class ShardingError(SearchsvcError):
    """Raised when a sharded index cannot be built as asked."""


@dataclass(frozen=True)
class Shard:
    """One shard as the description lists it."""

    number: int
    folder: str  # relative to the sharded generation
    articles: int
    first_day: int | None  # day numbers of its oldest and newest dated article
    last_day: int | None


@dataclass(frozen=True)
class ShardedIndex:
    """A sharded generation's description (`sharded.json`)."""

    generation: str
    shards: list[Shard]
    dictionary: str = DICTIONARY
    routing: str = "story"

    @property
    def articles(self) -> int:
        return sum(shard.articles for shard in self.shards)

    @classmethod
    def read(cls, folder: Path) -> "ShardedIndex":
        data = load_json(folder / SHARDED)
        return cls(data["generation"], [Shard(**shard) for shard in data["shards"]],
                   data["dictionary"], data["routing"])


def current_sharded(root: str | os.PathLike) -> Path | None:
    """The sharded generation the index folder's CURRENT names (None: not a sharded index)."""
    try:
        name = (Path(root) / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None
    path = Path(root) / name
    return path if name.startswith(SHARDED_PREFIX) and (path / SHARDED).is_file() else None


def shard_of(story: int, shards: int) -> int:
    """The shard that holds the versions of a story (its 64-bit code, schema.dupkey)."""
    return story % shards


@dataclass
class ShardedReport:
    """What a sharded build did, for the CLI to print and tests to check."""

    articles_total: int = 0
    shards: list[Shard] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    flagged: list[Problem] = field(default_factory=list)
    files: int = 0
    seconds: float = 0.0
    workers: int = 0
    generation: str | None = None


def build_sharded_index(index_dir: str | os.PathLike, roots, shards: int, *,
                        excludes=(), wait: bool = False,
                        folder: dict[str, str | None] | None = None) -> ShardedReport:
    """Index every article file under `roots` into `shards` new shards on the Ray cluster this
    process is connected to (searchsvc.cluster.connect), then switch the index folder to
    them. A sharded index is always built whole."""
    import ray

    if shards < 1:
        raise ShardingError("--shards must be 1 or more")
    started = time.perf_counter()
    store = IndexStore(index_dir)
    if store.current() is not None:
        raise ShardingError(f"{store.root} holds an index that is not sharded; build the "
                            "sharded index in another folder")
    roots = [Path(root).resolve() for root in roots]
    report = ShardedReport()
    with store.lock(wait=wait):
        for root in roots if folder else ():
            save_folder_defaults(root, **folder)
        files = find_files(roots, excludes)
        report.files = len(files)
        report.workers = int(ray.cluster_resources().get("CPU", 1))
        generation = store.root / f"{SHARDED_PREFIX}{time.time_ns()}"
        try:
            shard_gens = _new_shards(generation, shards)
            sizes = [os.path.getsize(f.path) if os.path.exists(f.path) else 0 for f in files]
            tasks = max(1, report.workers * READ_TASKS_PER_WORKER)
            units = _units(files, sizes, tasks)
            shares = _shares(units, tasks) if units else []
            read = ray.remote(_read_share).options(num_cpus=1, max_retries=0)
            done = ray.get([read.remote(share, [str(g) for g in shard_gens])
                            for share in shares])
            results = {number: result for share_results, _ in done
                       for number, result in share_results.items()}
            written = [per_shard for _, per_shard in done]  # [share][shard] -> segments
            report.skipped += _drop_repeated_ids(shard_gens, written)
            for number in sorted(results):
                problems = results[number].problems
                report.skipped += [p for p in problems if not isinstance(p, Flag)]
                report.flagged += [p for p in problems if isinstance(p, Flag)]
            commit = ray.remote(_commit_shard).options(num_cpus=1, max_retries=0)
            report.shards = ray.get([
                commit.remote(str(shard_gens[k]), [seg for share in written
                                                   for seg, _ in share[k]], k)
                for k in range(shards)])
            CollectionDictionary.write(generation / DICTIONARY,
                                       [Generation(g) for g in shard_gens])
            save_json(generation / SHARDED, {
                "generation": generation.name, "dictionary": DICTIONARY, "routing": "story",
                "shards": [asdict(shard) for shard in report.shards]})
            store.switch_to(generation)
        except BaseException as exc:
            shutil.rmtree(generation, ignore_errors=True)
            if isinstance(exc, ray.exceptions.RayTaskError) and \
                    isinstance(exc.cause, SearchsvcError):
                raise exc.cause from None
            raise
        _remove_stale(store.root, generation)
    report.articles_total = sum(shard.articles for shard in report.shards)
    report.generation = generation.name
    report.seconds = time.perf_counter() - started
    return report


def _new_shards(generation: Path, shards: int) -> list[Path]:
    """Empty index generations for the shards (`shard-<k>/gen-<n>`)."""
    found = []
    for number in range(shards):
        path = IndexStore(generation / f"shard-{number}").new_generation(clone=None)
        whoosh_index.create_in(str(path), storage_schema())
        found.append(path)
    return found


class _ShardParts(PartWriters):
    """A read task's part writers for one shard: a new segment once this shard's part of the
    task's memory is full."""

    def __init__(self, ix, memory_bytes: int):
        super().__init__(ix)
        self.memory_bytes = memory_bytes

    def writer(self) -> ArticleWriter:
        if self.current is not None and \
                self.current.arrays.tokens * BYTES_PER_WORD >= self.memory_bytes:
            self._close()
        return super().writer()


class _Router:
    """Stands for a PartWriters in searchsvc.indexing's reading of a file: each article goes
    to the part writers of its story's shard."""

    def __init__(self, parts: list[_ShardParts]):
        self.parts = parts

    def writer(self) -> "_Router":
        return self

    def add_article(self, article, source) -> None:
        story = dupkey(article.title, article.body, article.source)
        self.parts[shard_of(story, len(self.parts))].writer().add_article(article, source)


def _read_share(share, shard_gens: list[str]):
    """A read task: the files (or parts) of `share` into new segments of every shard. Returns
    each unit's result and, per shard, its segments with the id hashes of their articles."""
    memory = WRITER_MEMORY_MB * 2**20 // len(shard_gens)
    parts = [_ShardParts(whoosh_index.open_dir(path, schema=storage_schema()), memory)
             for path in shard_gens]
    router = _Router(parts)
    seen: set[str] = set()
    results = {}
    try:
        for number, unit in share:
            results[number] = _add_file(router, unit, seen, lambda size, articles: None)
    except BaseException:
        for part in parts:
            part.cancel()
        raise
    return results, [part.finish() for part in parts]


def _drop_repeated_ids(shard_gens: list[Path], written: list[list[list]]) -> list[Problem]:
    """Delete the articles whose id an article of an earlier read task holds (a task skips
    the repeats it reads itself), in whichever shard they are, as one index deletes them."""
    problems: list[Problem] = []
    seen: dict[int, int] = {}
    for task, share in enumerate(written):
        mine = np.concatenate([np.frombuffer(found, dtype=np.uint64)
                               for segments in share for _, found in segments]) \
            if any(segments for segments in share) else np.zeros(0, dtype=np.uint64)
        repeated = {int(h) for h in mine.tolist() if seen.get(int(h), task) < task}
        for value in mine.tolist():
            seen.setdefault(int(value), task)
        if not repeated:
            continue
        for shard, segments in enumerate(share):
            for segment, found in segments:
                local = [n for n, h in enumerate(np.frombuffer(found, dtype=np.uint64).tolist())
                         if h in repeated]
                if not local:
                    continue
                ix = whoosh_index.open_dir(str(shard_gens[shard]), schema=storage_schema())
                problems += delete_repeated(ix.storage, ix.schema, segment, local)
    return problems


def _commit_shard(path: str, segments: list, number: int) -> Shard:
    """A commit task: publish a shard's segments in its generation, write the generation's
    arrays, and make it the shard's current generation."""
    ix = whoosh_index.open_dir(path, schema=storage_schema())
    writer = ArticleWriter(ix)
    writer.parts += segments
    writer.commit()
    ix = whoosh_index.open_dir(path, schema=storage_schema())
    write_generation(path, ix._segments())
    ix.close()
    generation = Generation(path)
    IndexStore(Path(path).parent).switch_to(Path(path))
    dates = np.asarray(generation.dates)[np.asarray(generation.live)]
    dated = dates[dates != NO_DATE]
    return Shard(number, f"shard-{number}", generation.live_count,
                 int(dated.min()) if len(dated) else None,
                 int(dated.max()) if len(dated) else None)


def _remove_stale(root: Path, current: Path) -> None:
    """Delete sharded generations but the current and the one before it."""
    found = sorted((p for p in root.glob(f"{SHARDED_PREFIX}*") if p.is_dir()),
                   key=lambda p: int(p.name[len(SHARDED_PREFIX):]))
    older = [p for p in found if p.name < current.name]
    keep = {current, *(older[-1:])}
    for path in found:
        if path not in keep:
            shutil.rmtree(path, ignore_errors=True)


def open_description(root: str | os.PathLike) -> tuple[Path, ShardedIndex]:
    generation = current_sharded(root)
    if generation is None:
        raise IndexMissing(f"no sharded index at {root}: run `searchsvc index --shards N` "
                           "to build one")
    return generation, ShardedIndex.read(generation)
