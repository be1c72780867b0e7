"""Payload formats: readers turn bytes into records, writers turn records into bytes.

Every format implements the two protocols below, so the engine and the CLI
never care which format they hold. Readers stream: they yield records one by
one and keep memory flat however large the input. A reader that meets a fault
raises ``PayloadError`` (line, column, record number) *after* yielding every
record that came before it, so nothing converted before the fault is lost.
Where one record is unreadable but the stream can go on (a bad NDJSON line),
the reader yields the ``PayloadError`` itself in that record's place.

``reader(format, ...)`` and ``writer(format, ...)`` pick the implementation
by format name, so a command line or a mapping side only names a format.
A reader that knows the line each record starts on (CSV) tells it as
``record_line`` after yielding the record, for the record's reject.

Every reader refuses a record nested deeper than ``MAX_DEPTH`` levels: it
yields a ``TooDeepError`` in the record's place and goes on with the next.
The XML reader also bounds attributes per element (``MAX_ATTRIBUTES``) and
elements per record (``MAX_ELEMENTS``); docs/cli.md lists every limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Final, Protocol

from ..documents import path_to_pointer

if TYPE_CHECKING:
    from ..mapping import Mapping as MapperMapping
    from ..schemas import Schema
    from .csv_read import CsvDialect


class RecordReader(Protocol):
    """Reads records from a binary stream."""

    def records(self, stream: IO[bytes], source: str) -> Iterator[Any]:
        """Yield each record of ``stream``; ``source`` names it in errors (a path or ``<stdin>``)."""
        ...


class RecordWriter(Protocol):
    """Writes records to a binary stream: ``begin``, ``write`` per record, ``end``; ``close``
    instead of ``end`` for an output given up after an error."""

    def begin(self, stream: IO[bytes]) -> None: ...

    def write(self, record: Any) -> None: ...

    def end(self) -> None: ...

    def close(self) -> None: ...


class EncodingWriter:
    """A ``RecordWriter`` whose records are encoded one by one, each on its own (``encode``, given by a
    subclass): ``encode`` and ``write_encoded`` split ``write`` in two, so that worker processes can
    encode and the parent only writes. The formats of ``ENCODING_FORMATS`` write so."""

    _stream: IO[bytes] | None = None

    def begin(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def encode(self, record: Any) -> bytes:
        """The bytes of one record; raises ``RecordError`` for what the format cannot hold."""
        raise NotImplementedError

    def write(self, record: Any) -> None:
        self.write_encoded(self.encode(record))

    def write_encoded(self, data: bytes) -> None:
        assert self._stream is not None, "begin() first"
        self._stream.write(data)

    def end(self) -> None:
        """Nothing to finish: each record was written whole."""

    def close(self) -> None:
        """Nothing to let go of (see ``RecordWriter``)."""


#: The formats of a payload, as a mapping side, ``--from``/``--to`` or ``input_format`` names them.
FORMAT_NAMES = ("json", "ndjson", "xml", "csv", "tsv")

#: The format a file name's suffix says (compared in lower case).
SUFFIXES = {".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson", ".xml": "xml", ".csv": "csv", ".tsv": "tsv"}

#: The formats whose writers encode a record to bytes on their own (``encode``, ``write_encoded``), so that
#: worker processes can encode and the parent only writes.
ENCODING_FORMATS = frozenset({"json", "ndjson", "csv", "tsv"})

#: The formats of rows and columns (``mapper.formats.csv_read``, ``csv_write``).
TABLE_FORMATS = frozenset({"csv", "tsv"})


#: What a reader yields for a record it was told is not wanted (another worker reads it: ``XmlReader.records``).
#: Here, not in ``xml_read``, so that the engine knows it without importing lxml.
SKIPPED: Final = object()
#: How deep a record may nest (the record itself is level 1; for XML, elements from the record element).
#: Every path a record takes must hold this depth without meeting Python's recursion limit (about 1000
#: frames): pickling to a worker takes 2 frames a level, the reference JSON Schema validator 5 or more
#: under ``anyOf`` and ``$ref``, the standard ``json`` module 1. orjson refuses 1024 on its own.
MAX_DEPTH: Final = 128

#: XML: how many attributes one element may have (lxml takes time quadratic in their number to read them).
MAX_ATTRIBUTES: Final = 256

#: XML: how many elements one record may hold, the record element included (lxml keeps about 300 bytes for
#: each while the record is parsed).
MAX_ELEMENTS: Final = 100_000


@dataclass(frozen=True)
class XmlLimits:
    """What one XML record may hold: attributes per element, elements per record (``XmlReader``)."""

    max_attributes: int = MAX_ATTRIBUTES
    max_elements: int = MAX_ELEMENTS


def too_deep(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """The JSON pointer of the first value of ``value`` at depth ``limit + 1``, or None when it nests no deeper.

    Iterative, level by level, so that it never meets the recursion limit itself.
    """
    level = [value] if isinstance(value, (dict, list)) else []
    for _ in range(limit):
        level = [child for container in level
                 for child in (container.values() if type(container) is dict else container)
                 if type(child) is dict or type(child) is list]
        if not level:
            return None
    return path_to_pointer(tuple(_path_to(value, level[0]))) if level else None


#: What ``bytes.translate`` deletes to leave a JSON text's structure (brackets and quotes), and makes of an
#: object's braces: brackets, as for depth an object and an array are alike.
_NOT_STRUCTURE: Final = bytes(byte for byte in range(256) if byte not in b'[]{}"')
_BRACES_AS_BRACKETS: Final = bytes.maketrans(b"{}", b"[]")
#: An escape in a JSON string (``\uXXXX`` leaves its digits, which ``_NOT_STRUCTURE`` deletes).
_ESCAPE: Final = re.compile(rb"\\.", re.DOTALL)


def nests_deeper(text: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text ``text`` nests deeper than ``limit`` levels (a scalar is 0 deep, ``[]`` 1).

    Exact for valid JSON (``text`` must have parsed; a bracket inside a string does not count), and
    cheaper than walking the parsed value with ``too_deep``: a few passes of ``bytes`` methods over
    the text, then a round per level over its brackets.
    """
    if b"\\" in text:  # escapes, matched from the left as a parser does: an escaped quote ends no string
        text = _ESCAPE.sub(b"", text)
    structure = text.translate(_BRACES_AS_BRACKETS, _NOT_STRUCTURE)
    if structure.count(b"[") <= limit:
        return False  # fewer brackets than levels, those inside strings included
    # What is left of the strings is their quotes (and any brackets in them): dropping two adjacent quotes
    # drops a string without brackets, or joins two strings, so quotes still open and close in turn.
    structure = structure.replace(b'""', b"")
    if b'"' in structure:  # strings holding brackets: keep what lies between them
        structure = b"".join(structure.split(b'"')[::2])
    for _ in range(limit):
        if not structure:
            return False
        structure = structure.replace(b"[]", b"")  # the innermost level, and only it: replace does not rescan
    return bool(structure)


def _path_to(value: Any, target: Any) -> list[str | int]:
    """The keys and indexes that lead from ``value`` to the container ``target`` (compared by identity)."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        items = node.items() if type(node) is dict else enumerate(node)
        stack.extend((child, [*path, key]) for key, child in items if type(child) is dict or type(child) is list)
    raise ValueError("target is not inside value")  # pragma: no cover - too_deep found it there


def format_of_path(path: str) -> str | None:
    """The format a file name or URL says (``.json``, ``.ndjson``/``.jsonl``, ``.xml``, ``.csv``, ``.tsv``), or None."""
    return SUFFIXES.get(PurePosixPath(path.rstrip("/")).suffix.lower())


def check_format(fmt: str) -> None:
    """Raise ``ValueError`` unless ``fmt`` is one of ``FORMAT_NAMES``."""
    if fmt not in FORMAT_NAMES:
        raise _unknown(fmt)


def _unknown(fmt: str) -> ValueError:
    return ValueError(f"unknown format {fmt!r} (formats: {', '.join(FORMAT_NAMES)})")


def reader(fmt: str, schema: Schema | None = None, *, records: str | None = None,
           namespaces: Mapping[str, str] | None = None, xml_limits: XmlLimits | None = None,
           csv: CsvDialect | None = None, fallback_keys: frozenset[str] | None = None) -> RecordReader:
    """The reader of format ``fmt``; ``records`` picks the records (JMESPath for JSON, a path for XML);
    ``fallback_keys`` (``xml_needs.fallback_keys``) are the only undescribed XML parts to read; ``csv`` is
    the layout of CSV (sniffed when not given; TSV is tab-delimited whatever it says).

    Raises ``ValueError`` for an unknown format. XML loads ``lxml`` only when asked for.
    """
    if fmt == "json":
        from .json import JsonReader

        return JsonReader(records)
    if fmt == "ndjson":
        from .json import NdjsonReader

        return NdjsonReader()
    if fmt == "xml":
        from .xml import XmlReader

        limits = xml_limits or XmlLimits()
        return XmlReader(schema, records, namespaces, max_attributes=limits.max_attributes,
                         max_elements=limits.max_elements, fallback_keys=fallback_keys)
    if fmt in TABLE_FORMATS:
        from .csv_read import CsvReader

        return CsvReader(schema, _dialect(fmt, csv))
    raise _unknown(fmt)


def _dialect(fmt: str, given: CsvDialect | None) -> CsvDialect:
    from dataclasses import replace

    from .csv_read import TSV, CsvDialect

    if fmt == "tsv":
        return replace(given or TSV, delimiter="\t")
    return given or CsvDialect()


def source_reader(mapping: MapperMapping, fmt: str, records: str | None = None) -> RecordReader:
    """The reader of ``mapping``'s source payloads in format ``fmt``.

    The source side's ``records`` applies when ``fmt`` is the side's own format
    (a JMESPath expression means nothing to XML, a path nothing to JSON) and no
    other ``records`` is given; its namespaces always do.
    """
    side = mapping.spec.source
    if records is None and side.format == fmt:
        records = side.records
    needs = None
    if fmt == "xml":
        from .xml_needs import fallback_keys

        needs = fallback_keys(mapping)
    return reader(fmt, mapping.source_schema, records=records, namespaces=side.namespaces, fallback_keys=needs)


def writer(fmt: str, schema: Schema | None = None, *, many: bool = True, indent: int | None = 2,
           namespaces: Mapping[str, str] | None = None, xml: Mapping[str, Any] | None = None,
           csv: CsvDialect | None = None) -> RecordWriter:
    """The writer of format ``fmt``: for JSON an array when ``many``, else one record, laid out with
    ``indent`` spaces a level (None: compact); for XML the options of a mapping side's ``xml``
    section; for CSV and TSV the layout ``csv``, columns named by ``schema`` (required).
    Raises ``ValueError`` for an unknown format, or CSV without a schema that declares properties."""
    if fmt == "json":
        from .json import JsonWriter

        return JsonWriter(array=many, indent=indent)
    if fmt == "ndjson":
        from .json import NdjsonWriter

        return NdjsonWriter()
    if fmt == "xml":
        from .xml import XmlWriter

        return XmlWriter(schema, namespaces=namespaces, **dict(xml or {}))
    if fmt in TABLE_FORMATS:
        from .csv_write import CsvWriter

        if schema is None:
            raise ValueError("CSV output needs a target schema: its properties name the columns")
        return CsvWriter(schema, _dialect(fmt, csv))
    raise _unknown(fmt)
