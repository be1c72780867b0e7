"""Load YAML and JSON files and remember where every node came from.

Mapping files and schema files are read through here so that any later error
can point at file, line and column. YAML is read with the YAML 1.2 core schema:
only ``true``/``false`` are booleans and ``no``, ``on``, ``12:30`` or ``010``
stay what they look like (a lookup table keyed by the country code ``NO`` must
not get the key ``False``).

YAML is parsed in ``mapper.yaml_documents``, imported only when a YAML document
is read (or a position in a JSON one is first asked for).

Paths into a document are tuples of keys and indexes, e.g. ``("rules", "email")``.

A mapping file may come from anyone, so reading one is bounded: only a regular
file is read (a device or a FIFO might never end, or never start), at most
``MAX_FILE_BYTES`` of it; a document nests at most ``MAX_DEPTH`` levels; and
YAML aliases add at most ``MAX_ALIAS_NODES`` nodes (a few hundred bytes of
nested aliases would otherwise expand to gigabytes). Going beyond any of them is
a ``MappingSyntaxError`` at the line and column where it happens.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .document_bounds import MAX_ALIAS_NODES as MAX_ALIAS_NODES
from .document_bounds import MAX_DEPTH as MAX_DEPTH
from .document_bounds import MAX_FILE_BYTES as MAX_FILE_BYTES
from .document_bounds import TOO_DEEP, location_of_offset
from .document_bounds import DocPath as DocPath
from .errors import Location, MappingSyntaxError


class Document:
    """Parsed file content with the position of every node.

    ``locate(path)`` gives the position of the value at ``path`` (or of its key
    with ``key=True``), falling back to the nearest enclosing node.
    Positions of JSON files are computed only when first asked for (``text`` must then be the valid
    JSON ``data`` was read from). (A plain class: every run reads one, and a dataclass costs a start-up
    about 1 ms to define.)
    """

    def __init__(self, data: Any, file: str, text: str, positions: dict[DocPath, tuple[int, int]] | None = None,
                 key_positions: dict[DocPath, tuple[int, int]] | None = None) -> None:
        self.data = data
        self.file = file
        self.text = text
        self._positions = positions
        self._key_positions = key_positions

    def __repr__(self) -> str:
        return f"Document({self.data!r}, {self.file!r})"

    def locate(self, path: DocPath = (), *, key: bool = False) -> Location:
        if self._positions is None:
            self._positions, self._key_positions = _json_positions(self.text)
        assert self._key_positions is not None
        if key and path in self._key_positions:
            line, column = self._key_positions[path]
            return Location(self.file, line, column)
        probe = path
        while True:
            if probe in self._positions:
                line, column = self._positions[probe]
                return Location(self.file, line, column)
            if not probe:
                return Location(self.file)
            probe = probe[:-1]


def load_document(path: str | Path, *, label: str | None = None) -> Document:
    """Read a YAML or JSON file (chosen by suffix; YAML when unsure).

    Raises ``MappingSyntaxError`` with line and column when it does not parse,
    is not UTF-8 or goes beyond the limits (see the module docstring);
    ``OSError`` when it cannot be read, is not a regular file
    (``IsADirectoryError`` for a directory) or is larger than ``MAX_FILE_BYTES``.
    """
    path = Path(path)
    name = label or str(path)
    text = _decode(_read_regular_file(path), name)
    if path.suffix.lower() == ".json":
        return parse_json(text, name)
    return parse_yaml(text, name)


#: Called with every file read while ``reads_recorded`` is in force: see there.
_read_hooks: list[Callable[[Path, bytes], None]] = []


@contextmanager
def reads_recorded() -> Iterator[dict[str, bytes]]:
    """Inside the block, every file mapper reads to load or check a mapping (mapping files, schemas, lookup
    files, let files, sub-mappings) lands in the yielded dict, absolute path -> the bytes read.

    ``mapper.load_cache`` keys a cached load on exactly what it read; reading outside this hook would make a
    stale cache entry look fresh, so every loader reads through ``load_document`` or ``note_read``."""
    read: dict[str, bytes] = {}

    def record(path: Path, data: bytes) -> None:
        read[os.path.abspath(path)] = data

    _read_hooks.append(record)
    try:
        yield read
    finally:
        _read_hooks.remove(record)


def note_read(path: Path, data: bytes) -> None:
    """Tell ``reads_recorded`` that ``data`` was read from ``path`` (for files not read by ``load_document``)."""
    for hook in _read_hooks:
        hook(path, data)


def _read_regular_file(path: Path) -> bytes:
    # O_NONBLOCK: opening a FIFO must not wait for a writer that may never come.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as stream:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{_file_kind(mode)}, not a regular file", str(path))
        data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise OSError(errno.EFBIG, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", str(path))
    note_read(path, data)
    return data


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a file"


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[line_start:error.start].decode("utf-8", errors="replace")) + 1
        where = Location(file, data.count(b"\n", 0, error.start) + 1, column)
        raise MappingSyntaxError(f"not UTF-8 text: {error.reason} (0x{data[error.start]:02x})",
                                 where) from None


def parse_json(text: str, file: str) -> Document:
    """Parse JSON text; positions are found lazily, on the first ``locate``."""
    try:
        data = json.loads(text)
        too_deep = _depth(data) > MAX_DEPTH
    except json.JSONDecodeError as error:
        raise MappingSyntaxError(
            f"invalid JSON: {error.msg}", Location(file, error.lineno, error.colno)
        ) from error
    except RecursionError:
        too_deep = True  # nested far deeper than MAX_DEPTH
    if too_deep:
        offset = json_too_deep(text, MAX_DEPTH)
        where = Location(file) if offset is None else location_of_offset(text, offset, file)
        raise MappingSyntaxError(TOO_DEEP, where)
    return Document(data, file, text)


#: JSON whitespace, and the rest of a number, ``true``, ``false`` or ``null``.
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_LITERAL = re.compile(r"[^,\]}\s]*")
#: The JSON string starting after the quote at an offset: its value and the offset after it.
_scan_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _json_positions(text: str) -> tuple[dict[DocPath, tuple[int, int]], dict[DocPath, tuple[int, int]]]:
    """The position of every value and of every key of valid JSON ``text`` (a scan, no PyYAML)."""
    line_starts = [0, *(match.end() for match in re.finditer("\n", text))]
    positions: dict[DocPath, tuple[int, int]] = {}
    key_positions: dict[DocPath, tuple[int, int]] = {}

    def where(offset: int) -> tuple[int, int]:
        line = bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    def skip(index: int) -> int:
        return _JSON_SPACE.match(text, index).end()  # type: ignore[union-attr]  # matches the empty string

    def value(index: int, path: DocPath) -> int:
        """Record the value starting at (or after whitespace from) ``index``; the offset after it."""
        index = skip(index)
        positions[path] = where(index)
        opening = text[index]
        if opening == '"':
            return _scan_string(text, index + 1)[1]
        if opening not in "[{":
            return _JSON_LITERAL.match(text, index).end()  # type: ignore[union-attr]
        closing, count = ("}" if opening == "{" else "]"), 0
        index = skip(index + 1)
        while text[index] != closing:
            if opening == "{":
                key, after_key = _scan_string(text, index + 1)
                key_positions[path + (key,)] = where(index)
                index = value(skip(after_key) + 1, path + (key,))  # past the colon
            else:
                index = value(index, path + (count,))
                count += 1
            index = skip(index)
            if text[index] == ",":
                index = skip(index + 1)
        return index + 1

    value(0, ())
    return positions, key_positions


#: A JSON string (skipped whole: brackets inside it do not count) or a bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_too_deep(text: str, limit: int) -> int | None:
    """The offset of the first bracket nesting deeper than ``limit`` in JSON text, if any.

    Reads only brackets and strings, so it answers for text ``json.loads`` would overflow on.
    """
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return token.start()
        elif bracket in "]}":
            depth -= 1
    return None


def _depth(data: Any) -> int:
    """How many levels of objects and arrays ``data`` nests (a scalar 0, ``[]`` 1), without recursion."""
    deepest = 0
    pending = [(data, 1)] if isinstance(data, (dict, list)) else []
    while pending:
        value, depth = pending.pop()
        deepest = max(deepest, depth)
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, (dict, list)):
                pending.append((child, depth + 1))
    return deepest

def parse_yaml(text: str, file: str) -> Document:
    """Parse YAML text (JSON is YAML too), recording every node's position."""
    from .yaml_documents import parse  # PyYAML only when a YAML document is read

    data, positions, key_positions = parse(text, file)
    return Document(data, file, text, positions, key_positions)


def pointer_to_path(pointer: str) -> DocPath:
    """Split a JSON pointer into path parts (array indexes stay strings)."""
    if not pointer:
        return ()
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/"))


def path_to_pointer(path: DocPath) -> str:
    """The JSON pointer of a path, e.g. ``("a", 0, "b/c")`` -> ``/a/0/b~1c``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)
