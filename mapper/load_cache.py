"""A cache of loaded mappings, for a tool run once per event (a pre-commit hook, a shell loop).

``load(path, findings)`` is ``mapper.load(path)`` followed by ``findings(mapping)`` (``mapper convert`` passes
the check it runs at load). When a cache entry of the same mapping holds the bytes of every file those two
read (a digest of those over ``KEPT_WHOLE`` bytes), and each file still holds them, the parsed mapping, its
schemas, the findings and the generated module (compiled) come from the entry: the YAML parse, the
mapping-file format check, the schemas' reading, the checker and the compiler are skipped, and not even
imported (``Mapping.from_exported``).

An entry is keyed on the mapping's path as given and the working directory (messages name files as given),
mapper's version and the mtimes of its sources (an edited checkout is another version) and Python's version;
the key is kept in the entry and compared, so entries whose file names collide only miss. A file is named
after the path and the directory alone: a new version replaces its entry instead of adding one.
Entries live in ``$XDG_CACHE_HOME/mapper`` (else ``~/.cache/mapper``), one pickle each, written atomically.
A missing, corrupt, unreadable or unwritable cache is a miss, silently: it never changes a result.
``MAPPER_CACHE=0`` turns the cache off. A load that raises is never cached.
"""

from __future__ import annotations

import marshal
import os
import pickle
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from . import mapping as loader
from .documents import reads_recorded
from .mapping import Exported, Mapping, exported_of

__all__ = ["cache_directory", "enabled", "load"]

Findings = TypeVar("Findings")

#: Bumped when the layout of an entry changes.
_FORMAT = 2

#: Files up to this size are kept in an entry and compared whole; a larger one (a big lookup table) by its digest.
KEPT_WHOLE = 256 * 1024


def enabled() -> bool:
    """Whether the cache is in use: unless ``MAPPER_CACHE`` is ``0`` (or ``false``, ``no``, ``off``)."""
    return os.environ.get("MAPPER_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_directory() -> Path:
    """Where entries are kept: ``$XDG_CACHE_HOME/mapper``, else ``~/.cache/mapper``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mapper"


def load(path: str, findings: Callable[[Mapping], Findings], *,
         validate_source: bool | None = None) -> tuple[Mapping, Findings]:
    """``mapper.load(path, validate_source=...)`` and ``findings`` of it, from the cache when it is fresh.

    ``findings`` must be a pure function of the files the load and itself read, and return a picklable value.
    Raises what ``mapper.load`` raises (a failed load is not cached)."""
    if not enabled():
        mapping = loader.load(path, validate_source=validate_source)
        return mapping, findings(mapping)
    key = _key(path)
    entry = _entry_path(path)
    cached = _read_entry(entry, key)
    if cached is not None:
        spec, source_schema, target_schema, found, exported = cached
        if exported is not None:
            return Mapping.from_exported(spec, source_schema, target_schema, exported,
                                         validate_source=validate_source), found
        return Mapping(spec, source_schema, target_schema, validate_source=validate_source), found
    with reads_recorded() as read:
        mapping = loader.load(path, validate_source=validate_source)
        found = findings(mapping)
    exported = exported_of(mapping)
    written = None if exported is None else (exported.source, marshal.dumps(exported.code), exported.filename,
                                             exported.uses_scope)
    kept = {file: data if len(data) <= KEPT_WHOLE else _digest(data) for file, data in read.items()}
    _write_entry(entry, (_FORMAT, key, kept, mapping.spec, mapping.source_schema, mapping.target_schema, found,
                         written))
    return mapping, found


def _key(path: str) -> str:
    return "\0".join([str(_FORMAT), path, os.getcwd(), sys.version, _mapper_version()])


def _entry_path(path: str) -> Path:
    """The one entry of ``path`` run from the working directory: a new mapper or Python replaces it, so the
    cache holds an entry per mapping and directory, however often mapper is upgraded or edited."""
    place = "\0".join([path, os.getcwd()]).encode("utf-8", "surrogateescape")
    return cache_directory() / f"{zlib.crc32(place):08x}.pickle"


def _mapper_version() -> str:
    """mapper's version, with the size and mtime of each of its sources: code edited in place is a new version."""
    from . import __version__

    package = Path(__file__).parent
    stamps = [__version__]
    for folder, _, files in sorted(os.walk(package)):
        for name in sorted(files):
            if name.endswith((".py", ".json")):
                status = os.stat(os.path.join(folder, name))
                stamps.append(f"{folder}/{name}:{status.st_size}:{status.st_mtime_ns}")
    return "\n".join(stamps)


def _read_entry(entry: Path, key: str) -> tuple[Any, Any, Any, Any, Exported | None] | None:
    """The spec, schemas, findings and generated module of a fresh entry for ``key``; ``None`` for a missing,
    stale or broken one, one of another key, or one another user could have written (loading an entry runs
    the code it holds, so it must be as safe as mapper's own files)."""
    try:
        with open(entry, "rb") as stream:
            status = os.fstat(stream.fileno())
            if status.st_uid != os.getuid() or status.st_mode & 0o022:
                return None
            layout, entry_key, files, spec, source_schema, target_schema, found, written = pickle.load(stream)
        if layout != _FORMAT or entry_key != key:
            return None
        for file, kept in files.items():
            with open(file, "rb") as stream:
                data = stream.read()
            if data != kept and (isinstance(kept, bytes) or _digest(data) != kept):
                return None
        exported = None if written is None else Exported(written[0], marshal.loads(written[1]), written[2],
                                                         written[3])
    except Exception:  # noqa: BLE001 - whatever is wrong with an entry, the load runs as without a cache
        return None
    return spec, source_schema, target_schema, found, exported


def _digest(data: bytes) -> str:
    import hashlib  # only for files over KEPT_WHOLE: hashlib loads OpenSSL, 3% of a warm start-up

    return hashlib.sha256(data).hexdigest()


def _write_entry(entry: Path, contents: tuple[Any, ...]) -> None:
    """Write ``contents`` to ``entry`` atomically (a reader sees the old entry or the new, never half); a cache
    that cannot be written is left alone."""
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=entry.parent, prefix=entry.name, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as stream:
                pickle.dump(contents, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, entry)
        except BaseException:
            os.unlink(temporary)
            raise
    except Exception:  # noqa: BLE001 - an unwritable or full cache only costs the next run its load
        return
