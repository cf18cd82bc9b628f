"""What a folder says of the articles in it that their files do not: their source, their
language, the time zone of their times.

The BBC corpus is a folder of headline-first text files that never name their publisher:
`searchsvc index bbc/ --source BBC` writes `bbc/.searchsvc.json` ({"source": "BBC"}), and
every later run reads it, so the BBC's articles can be filtered on like Reuters'. A file's
own metadata wins; a folder's file applies to the files under it, the nearest folder's
value first.
"""

from __future__ import annotations

import json
import os
import tempfile
import zoneinfo
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

from ..errors import FolderSettingError
from .language import normalize_language

FOLDER_FILE = ".searchsvc.json"
MAX_FOLDER_FILE_BYTES = 64 * 1024
MAX_SOURCE_CHARS = 200


@dataclass(frozen=True)
class FolderDefaults:
    """A folder's say on its articles; None where it says nothing."""

    source: str | None = None
    language: str | None = None  # an ISO 639-1 code
    timezone: str | None = None  # an IANA name ("Europe/London")

    def __bool__(self) -> bool:
        return any(asdict(self).values())

    def key(self) -> str:
        """A stable text for what the folder says (part of its files' change signatures)."""
        return json.dumps({k: v for k, v in asdict(self).items() if v}, sort_keys=True,
                          ensure_ascii=False)

    def zone(self) -> zoneinfo.ZoneInfo | None:
        return _zone(self.timezone) if self.timezone else None

    def over(self, outer: FolderDefaults) -> FolderDefaults:
        """These defaults, with `outer`'s (an enclosing folder's) where these say nothing."""
        return FolderDefaults(source=self.source or outer.source,
                              language=self.language or outer.language,
                              timezone=self.timezone or outer.timezone)


def checked(source: str | None = None, language: str | None = None,
            timezone: str | None = None) -> dict[str, str | None]:
    """The values a user gave (None: not given; "": to remove), checked and normalised;
    FolderSettingError with what to change otherwise."""
    values: dict[str, str | None] = {}
    if source is not None:
        source = " ".join(source.split())
        if len(source) > MAX_SOURCE_CHARS:
            raise FolderSettingError(f"a source is at most {MAX_SOURCE_CHARS} characters long")
        values["source"] = source
    if language is not None:
        code = normalize_language(language) if language.strip() else ""
        if code is None:
            raise FolderSettingError(f"{language!r} is not a language code: give a two-letter "
                                     "ISO 639-1 code such as en, fr or sw")
        values["language"] = code
    if timezone is not None:
        timezone = timezone.strip()
        if timezone:
            _zone(timezone)
        values["timezone"] = timezone
    return values


def save_folder_defaults(folder: str | os.PathLike, **given: str | None) -> FolderDefaults:
    """Record in `folder`'s FOLDER_FILE the values given (see `checked`; "" removes one),
    keeping the others it holds, and return what the file now says."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FolderSettingError(f"{folder}: a source, language or time zone is given to a "
                                 "folder, and this is not one")
    values = checked(**given)
    current = _read(folder / FOLDER_FILE) or FolderDefaults()
    updated = replace(current, **{name: value or None for name, value in values.items()})
    if updated == current:
        return updated
    path = folder / FOLDER_FILE
    if not updated:
        path.unlink(missing_ok=True)
        return updated
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=FOLDER_FILE, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump({k: v for k, v in asdict(updated).items() if v}, file, indent=2,
                      ensure_ascii=False)
            file.write("\n")
        os.replace(temporary, path)
    except OSError as exc:
        raise FolderSettingError(f"cannot write {path} ({exc.strerror or exc})") from None
    return updated


def folder_defaults(folder: Path, cache: dict | None = None) -> FolderDefaults:
    """What `folder` and the folders around it say of the articles in it."""
    cache = {} if cache is None else cache
    found = cache.get(folder)
    if found is None:
        own = _read(folder / FOLDER_FILE) or FolderDefaults()
        outer = folder_defaults(folder.parent, cache) if folder.parent != folder \
            else FolderDefaults()
        found = cache[folder] = own.over(outer)
    return found


def _read(path: Path) -> FolderDefaults | None:
    try:
        if path.stat().st_size > MAX_FOLDER_FILE_BYTES:
            raise FolderSettingError(f"{path} is larger than {MAX_FOLDER_FILE_BYTES // 1024} "
                                     "KiB; it should hold a source, a language, a time zone")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise FolderSettingError(f"cannot read {path} ({exc}); fix or delete it") from None
    known = set(asdict(FolderDefaults()))
    if not isinstance(data, dict) or set(data) - known or \
            not all(isinstance(value, str) for value in data.values()):
        raise FolderSettingError(f"{path} should hold a JSON object of strings with the keys "
                                 f"{', '.join(sorted(known))}; fix or delete it")
    try:
        values = checked(**data)
    except FolderSettingError as exc:
        raise FolderSettingError(f"{path}: {exc}; fix or delete it") from None
    return FolderDefaults(**{name: value or None for name, value in values.items()})


@lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise FolderSettingError(f"{name!r} is not a time zone: give an IANA name such as "
                                 "Europe/London, America/New_York or UTC") from None
