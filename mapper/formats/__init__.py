"""Payload formats: readers turn bytes into records, writers turn records into bytes.

Every format implements the two protocols below, so the engine and the CLI
never care which format they hold. Readers stream: they yield records one by
one and keep memory flat however large the input. A reader that meets a fault
raises ``PayloadError`` (line, column, record number) *after* yielding every
record that came before it, so nothing converted before the fault is lost.
Where one record is unreadable but the stream can go on (a bad NDJSON line),
the reader yields the ``PayloadError`` itself in that record's place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, Protocol


class RecordReader(Protocol):
    """Reads records from a binary stream."""

    def records(self, stream: IO[bytes], source: str) -> Iterator[Any]:
        """Yield each record of ``stream``; ``source`` names it in errors (a path or ``<stdin>``)."""
        ...


class RecordWriter(Protocol):
    """Writes records to a binary stream: ``begin``, ``write`` per record, ``end``."""

    def begin(self, stream: IO[bytes]) -> None: ...

    def write(self, record: Any) -> None: ...

    def end(self) -> None: ...
