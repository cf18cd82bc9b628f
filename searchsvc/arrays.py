"""numpy files of the index: written once, atomically, and mapped read-only by every reader.

Index generations share unchanged files through hard links, so a file is never rewritten in
place: it is written under a temporary name and renamed over the old one, which leaves the
copy that other generations link to untouched.
"""

from __future__ import annotations

import json
import mmap
import os
from pathlib import Path

import numpy as np


def save_array(path: str | os.PathLike, array: np.ndarray) -> None:
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as handle:
        np.save(handle, np.ascontiguousarray(array), allow_pickle=False)
    os.replace(temporary, path)


def load_array(path: str | os.PathLike) -> np.ndarray:
    """The array mapped read-only: pages are read on use and shared between processes. A plain
    ndarray view of the mapping: numpy's memmap subclass costs microseconds an index."""
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


def save_json(path: str | os.PathLike, value) -> None:
    temporary = f"{path}.tmp-{os.getpid()}"
    Path(temporary).write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    os.replace(temporary, path)


def load_json(path: str | os.PathLike):
    return json.loads(Path(path).read_text())


def save_bytes(path: str | os.PathLike, data: bytes) -> None:
    temporary = f"{path}.tmp-{os.getpid()}"
    Path(temporary).write_bytes(data)
    os.replace(temporary, path)


def load_bytes(path: str | os.PathLike):
    """The file mapped read-only, sliced like bytes."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
