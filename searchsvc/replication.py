"""Replicas: the indexing node publishes index generations, serving nodes follow them.

`publish` hard-links the index's current generation into a published folder, writes its
manifest (every file with its size) beside it, then names it in the published folder's
`CURRENT`; `rsync --daemon` (a read-only module), ssh or a shared path serves that folder.

`follow_once`, run in a loop on each replica by `searchsvc follow`, pulls with rsync: it reads
the publisher's `CURRENT`, fetches a new generation whole into a staging folder (with
--link-dest to the replica's own generations, so unchanged files, immutable, become hard
links instead of transfers), checks it against its manifest, fsyncs it, renames it to
`gen-<n>` and only then replaces the replica's `CURRENT` with one atomic rename, the switch
`searchsvc index` makes; a server on the replica answers from it on its next request. Pulling
means a replica that was down simply fetches the newest generation when it comes back, and the
publisher needs to know nothing about its replicas.

Only the index folder's layout is relied on (`gen-<n>/` folders of immutable files, `CURRENT`
naming one of them): what a generation holds is the index engine's business.
"""

import errno
import fcntl
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import IndexMissing, ReplicationError
from .indexing import IndexStore, fsync_dir, fsync_tree

CURRENT = "CURRENT"
GENERATION = re.compile(r"gen-(\d+)")
MANIFEST_SUFFIX = ".manifest"
FOLLOW_FOLDER = ".follow"  # the follower's working folder, inside the replica's index folder
KEEP_PUBLISHED = 3
RSYNC_IO_TIMEOUT_S = 120  # rsync gives up when no data moves for this long
MAX_LINK_DESTS = 20  # rsync accepts at most 20 --link-dest folders


@dataclass(frozen=True)
class Manifest:
    """What a complete generation holds: each file's path (relative, with /) and size, and
    its folders. A fetched copy that differs is incomplete or damaged and is not used."""

    generation: str
    files: dict[str, int]
    folders: tuple[str, ...] = ()

    @classmethod
    def of(cls, folder: Path, generation: str) -> "Manifest":
        files, folders = {}, []
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                raise ReplicationError(f"{path} is not a plain file or folder (a link, a "
                                       "socket, ...); a generation holds only those")
            if path.is_dir():
                folders.append(relative)
            else:
                files[relative] = path.stat().st_size
        return cls(generation, files, tuple(folders))

    @classmethod
    def parse(cls, text: str, origin: str) -> "Manifest":
        try:
            data = json.loads(text)
            return cls(data["generation"], {str(k): int(v) for k, v in data["files"].items()},
                       tuple(data["folders"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ReplicationError(f"{origin} is not a generation manifest ({exc}); is the "
                                   "source a folder made by `searchsvc publish`?") from None

    def to_json(self) -> str:
        return json.dumps({"generation": self.generation, "files": self.files,
                           "folders": list(self.folders)}, indent=0) + "\n"

    @property
    def size(self) -> int:
        return sum(self.files.values())

    def differences(self, other: "Manifest") -> list[str]:
        """What `other` (a fetched copy) lacks or has different, in words."""
        problems = [f"{path} is missing" for path in self.files if path not in other.files]
        problems += [f"{path} has {other.files[path]:,} bytes, not {size:,}"
                     for path, size in self.files.items()
                     if path in other.files and other.files[path] != size]
        problems += [f"{path} is not in the manifest" for path in other.files
                     if path not in self.files]
        problems += [f"folder {path} is missing" for path in self.folders
                     if path not in other.folders]
        return problems


@dataclass(frozen=True)
class Publication:
    """What `publish` did: the generation now named in the published CURRENT."""

    generation: str
    files: int
    bytes: int
    new: bool  # False when that generation was already published
    removed: tuple[str, ...]  # older published generations deleted


@dataclass(frozen=True)
class Sync:
    """What one `follow_once` did on a replica."""

    generation: str
    switched: bool  # False when the replica already served the publisher's generation
    files: int = 0
    bytes: int = 0
    fetched_files: int = 0  # the rest are hard links to the replica's older generations
    fetched_bytes: int = 0
    seconds: float = 0.0


def publish(index_dir: str | os.PathLike, published_dir: str | os.PathLike,
            keep: int = KEEP_PUBLISHED) -> Publication:
    """Publish the index's current generation in `published_dir` and name it there in
    CURRENT; keep the `keep` newest published generations (a follower may still be fetching
    an older one) and delete the rest. Waits for a running `searchsvc index` to finish, and
    holds its lock meanwhile so the generation cannot be deleted while it is linked."""
    if keep < 1:
        raise ReplicationError(f"keep at least 1 published generation, not {keep}")
    published = Path(published_dir)
    store = IndexStore(index_dir)
    with store.lock(wait=True):
        generation = store.current()
        if generation is None:
            raise IndexMissing(f"no index at {index_dir} to publish: run `searchsvc index` "
                               "first")
        target = published / generation.name
        manifest_path = published / (generation.name + MANIFEST_SUFFIX)
        manifest = _published_whole(target, manifest_path)
        new = manifest is None
        if new:
            published.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)  # a damaged copy: published again
            staging = published / f".{generation.name}.staging"
            shutil.rmtree(staging, ignore_errors=True)
            try:
                _link_tree(generation, staging)
                manifest = Manifest.of(staging, generation.name)
                fsync_tree(staging)
                _write_atomically(manifest_path, manifest.to_json())
                os.rename(staging, target)
                fsync_dir(published)
            except (OSError, ReplicationError) as exc:
                shutil.rmtree(staging, ignore_errors=True)
                reason = exc.strerror or exc if isinstance(exc, OSError) else exc
                raise ReplicationError(f"cannot publish {generation.name} in {published} "
                                       f"({reason}); the published generation is "
                                       "unchanged") from None
        _write_atomically(published / CURRENT, generation.name + "\n")
        removed = _remove_published(published, generation.name, keep)
    return Publication(generation.name, len(manifest.files), manifest.size, new, removed)


def _published_whole(target: Path, manifest_path: Path) -> Manifest | None:
    """The manifest of a generation already published whole, else None (not published, or
    its copy damaged since)."""
    if not (target.is_dir() and manifest_path.is_file()):
        return None
    try:
        manifest = Manifest.parse(manifest_path.read_text(), str(manifest_path))
    except ReplicationError:
        return None
    return None if manifest.differences(Manifest.of(target, target.name)) else manifest


def follow_once(source: str, index_dir: str | os.PathLike) -> Sync:
    """Bring the replica's index folder to the publisher's current generation: fetch it whole
    (unchanged files hard-linked), check it, switch to it atomically, delete generations
    older than the one before it. `source` is what rsync takes: rsync://host[:port]/module,
    host:/path (over ssh) or a local path."""
    root = Path(index_dir)
    try:
        return _follow(source.rstrip("/"), root)
    except OSError as exc:  # the replica's own disk: full, read-only, not ours
        raise ReplicationError(f"cannot update the replica in {root} ({exc.strerror or exc}); "
                               "it serves the generation it had") from None


def _follow(source: str, root: Path) -> Sync:
    started = time.perf_counter()
    work = root / FOLLOW_FOLDER
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one sync at a time; a second follower waits
        _rsync([f"{source}/{CURRENT}", str(work / "source-CURRENT")], source)
        name = (work / "source-CURRENT").read_text().strip()
        if not GENERATION.fullmatch(name):
            raise ReplicationError(f"{source}/{CURRENT} names {name[:80]!r}, not a generation "
                                   "(gen-<number>); is the source a folder made by "
                                   "`searchsvc publish`?")
        target = root / name
        if _current(root) == name and target.is_dir():
            return Sync(name, switched=False, seconds=time.perf_counter() - started)
        if not target.is_dir():
            _fetch(source, name, root, work)
        files = [path for path in target.rglob("*") if path.is_file()]
        fetched = [path for path in files if path.stat().st_nlink == 1]
        _switch(root, name, work)
        _remove_older(root, name)
    return Sync(name, switched=True, files=len(files),
                bytes=sum(path.stat().st_size for path in files),
                fetched_files=len(fetched),
                fetched_bytes=sum(path.stat().st_size for path in fetched),
                seconds=time.perf_counter() - started)


def _fetch(source: str, name: str, root: Path, work: Path) -> None:
    """Fetch generation `name` into the staging folder, check it against its manifest, make
    it durable, and rename it into place. A staging folder left by an interrupted fetch is
    reused: what it already holds is not fetched again."""
    _rsync([f"{source}/{name}{MANIFEST_SUFFIX}", str(work / "manifest")], source)
    manifest = Manifest.parse((work / "manifest").read_text(),
                              f"{source}/{name}{MANIFEST_SUFFIX}")
    staging = work / "staging"
    staging.mkdir(exist_ok=True)
    older = sorted(_generations(root), key=_number, reverse=True)[:MAX_LINK_DESTS]
    _rsync(["--delete", *(f"--link-dest={path.resolve()}" for path in older),
            f"{source}/{name}/", f"{staging}/"], source)
    problems = manifest.differences(Manifest.of(staging, name))
    if problems:
        raise ReplicationError(f"{name} as fetched from {source} does not match its manifest "
                               f"({'; '.join(problems[:3])}); it is not used, the next sync "
                               "fetches it again")
    fsync_tree(staging)
    os.rename(staging, root / name)
    fsync_dir(root)


def _rsync(arguments: list[str], source: str) -> None:
    # -rlpt: folders, files, modes and times (owners and groups mean nothing on another
    # machine); times to the nanosecond, so a file rewritten within the same second is never
    # mistaken for an unchanged one by --link-dest
    command = ["rsync", "-rlpt", "--modify-window=-1", f"--timeout={RSYNC_IO_TIMEOUT_S}",
               *arguments]
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except FileNotFoundError:
        raise ReplicationError("rsync is not installed; install it (Debian: apt-get install "
                               "rsync) on the publisher and on every replica") from None
    if done.returncode:
        said = " ".join(done.stderr.split())[:300] or f"exit status {done.returncode}"
        raise ReplicationError(f"rsync from {source} failed: {said}")


def _current(root: Path) -> str | None:
    try:
        return (root / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None


def _switch(root: Path, name: str, work: Path) -> None:
    _write_atomically(root / CURRENT, name + "\n", temporary=work / "CURRENT.next")


def _generations(root: Path) -> list[Path]:
    return [path for path in root.glob("gen-*")
            if GENERATION.fullmatch(path.name) and path.is_dir()]


def _number(path: Path) -> int:
    return int(GENERATION.fullmatch(path.name).group(1))


def _remove_older(root: Path, current: str) -> None:
    """Keep the current generation and the newest one before it (a server may still be
    answering a request from it); delete the rest, as `searchsvc index` does."""
    generations = _generations(root)
    number = int(GENERATION.fullmatch(current).group(1))
    before = [path for path in generations if _number(path) < number]
    keep = {current} | ({max(before, key=_number).name} if before else set())
    for path in generations:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _remove_published(published: Path, current: str, keep: int) -> tuple[str, ...]:
    """Delete published generations beyond the `keep` newest (never the current one), with
    their manifests, and staging folders left by interrupted runs."""
    generations = sorted(_generations(published), key=_number, reverse=True)
    removed = [path for path in generations[keep:] if path.name != current]
    for path in removed:
        (published / (path.name + MANIFEST_SUFFIX)).unlink(missing_ok=True)
        shutil.rmtree(path, ignore_errors=True)
    for staging in published.glob(".gen-*.staging"):
        shutil.rmtree(staging, ignore_errors=True)
    return tuple(path.name for path in removed)


def _link_tree(source: Path, target: Path) -> None:
    """`target` as a copy of `source` made of hard links (copies across file systems)."""
    target.mkdir()
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir() and not path.is_symlink():
            destination.mkdir()
            continue
        try:
            os.link(path, destination, follow_symlinks=False)
        except OSError as exc:
            if exc.errno != errno.EXDEV:  # another file system: copy
                raise
            shutil.copy2(path, destination, follow_symlinks=False)


def _write_atomically(path: Path, text: str, temporary: Path | None = None) -> None:
    temporary = temporary or path.with_name(f".{path.name}.tmp")
    with open(temporary, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)
