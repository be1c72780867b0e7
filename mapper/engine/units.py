"""Reading inputs into units: where a record is, and the record or its raw NDJSON line.

A unit is a plain tuple ``(source, record number, line or None, kind, payload)``,
cheap to build and to pickle to a worker. Its ``kind`` says what ``payload`` is:

``RAW``    the bytes of one NDJSON line, parsed where the record is processed;
``VALUE``  a record a JSON or XML reader parsed;
``BAD``    the ``PayloadError`` of a record that could not be read;
``FATAL``  the message of an input that breaks off (no record);
``BLOCK``  whole NDJSON lines of a file (the number is of the records before it, the
           line the one it starts on); ``split_blocks`` turns it into RAW units.
``FILE``   an XML file (the payload is its ``Input``) that worker processes read themselves
           (``jobs``: ``engine.xml_jobs``); the parent never opens it.
``SKIP``   a record of an XML file another worker converts (``record_units`` with ``wanted``).
``LOCATED`` an XML record and its reader's ``line_of``, processed before the reader goes on (never
           pickled), so that each problem of a reject gets the line of its element.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, Final, NamedTuple

from ..errors import PayloadError
from ..formats import SKIPPED, RecordReader
from ..formats.json import NdjsonReader
from .observer import Observer

RAW, VALUE, BAD, FATAL, BLOCK, FILE, SKIP, LOCATED = 0, 1, 2, 3, 4, 5, 6, 7

#: Bytes of NDJSON per BLOCK unit (whole lines: a block ends with one).
BLOCK_SIZE: Final = 1 << 20

Unit = tuple[str, int, "int | None", int, Any]


class Input(NamedTuple):
    """One input: a path or ``-`` (standard input), its format and its reader."""

    name: str
    format: str
    reader: RecordReader

    @property
    def source(self) -> str:
        """The input's name in messages and reject lines."""
        return "<stdin>" if self.name == "-" else self.name


def check_readable(inputs: Sequence[Input]) -> None:
    """Raise ``OSError`` for an input file that cannot be opened, before anything is written.

    A FIFO is not opened here: opening it twice would make its writer's data go to the first
    opening, and the second wait forever. Its permissions are checked instead.
    """
    for item in inputs:
        if item.name == "-":
            continue
        if stat.S_ISFIFO(os.stat(item.name).st_mode):
            if not os.access(item.name, os.R_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), item.name)
            continue
        with open(item.name, "rb"):
            pass


def read_units(inputs: Iterable[Input], stdin: IO[bytes], observer: Observer, *,
               workers_read_xml: bool = False, located: bool = False) -> Iterator[Unit]:
    """Every record of every input, in order, as units; an input that breaks ends with a FATAL unit.

    NDJSON files are read in BLOCK units of whole lines, split where the records are processed
    (in a worker with ``jobs``), so the parent costs next to nothing per record. Pipes are read
    line by line, so the records of a slow producer are not held back to fill a block. With
    ``workers_read_xml``, an XML file is one FILE unit, which the workers read (``xml_jobs``); with
    ``located`` (units processed here, one by one), XML records are LOCATED units (``record_units``).
    """
    for item in inputs:
        source = item.source
        if workers_read_xml and item.format == "xml" and item.name != "-" and stat.S_ISREG(os.stat(item.name).st_mode):
            yield (source, 0, None, FILE, item)
            continue
        stream = stdin if item.name == "-" else open(item.name, "rb")  # noqa: SIM115 - closed below
        number = 0
        try:
            observer.opened(stream)
            if item.format == "ndjson" and _is_file(stream):
                line_number = 1
                while data := stream.read(BLOCK_SIZE):
                    if not data.endswith(b"\n"):
                        data += stream.readline()
                    lines = _lines_of(data)
                    yield (source, number, line_number, BLOCK, data)
                    number += sum(map(bool, map(bytes.strip, lines)))  # the non-blank lines
                    line_number += len(lines)
                continue
            if item.format == "ndjson":
                for line_number, line in NdjsonReader.lines(stream):
                    number += 1
                    yield (source, number, line_number, RAW, line)
                continue
            yield from record_units(item, stream, located=located)
        finally:
            size = stream.tell() if stream is not stdin and _is_file(stream) else 0  # a pipe cannot tell
            if stream is not stdin:
                stream.close()
            observer.closed(size)


def record_units(item: Input, stream: IO[bytes], wanted: Callable[[int], bool] | None = None, *,
                 located: bool = False) -> Iterator[Unit]:
    """The units of the records of a JSON, XML or CSV input read from ``stream``, as ``read_units`` gives them.

    With ``wanted`` (XML only), a record it does not want (numbered from 1) is a SKIP unit, not read. With
    ``located``, an XML record is a LOCATED unit: each unit must be processed before the next is asked for.
    """
    source = item.source
    number = 0
    reader = item.reader
    locate = getattr(reader, "line_of", None) if located else None
    records = reader.records(stream, source) if wanted is None else reader.records(  # type: ignore[call-arg]
        stream, source, wanted)
    try:
        for record in records:
            number += 1
            if record is SKIPPED:
                yield (source, number, None, SKIP, None)
            elif isinstance(record, PayloadError):
                record.record_number = number
                yield (source, number, record.line, BAD, record)
            elif locate is not None:
                yield (source, number, getattr(reader, "record_line", None), LOCATED, (record, locate))
            else:  # an XML reader knows the line of the record element, a CSV reader its row's
                yield (source, number, getattr(reader, "record_line", None), VALUE, record)
    except PayloadError as error:
        yield (source, number, error.line, FATAL, str(error))


def split_blocks(units: Iterable[Unit]) -> Iterator[Unit]:
    """The units with each BLOCK unit replaced by the RAW units of its records."""
    for unit in units:
        if unit[3] == BLOCK:
            yield from _block_units(unit)
        else:
            yield unit


def _block_units(block: Unit) -> Iterator[Unit]:
    """The RAW unit of each record of a BLOCK unit: its non-blank lines, numbered as ``read_units`` would."""
    source, number, line_number, _, data = block
    assert line_number is not None
    for line in _lines_of(data):
        if line.strip():
            number += 1
            yield (source, number, line_number, RAW, line)
        line_number += 1


def _is_file(stream: IO[bytes]) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):  # io.BytesIO, a closed stream
        return False


def _lines_of(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines[-1] == b"":  # after the last newline: no line
        lines.pop()
    return lines
