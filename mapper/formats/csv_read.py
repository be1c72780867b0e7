"""Reading CSV and TSV: one record per row, fields named by the header, values typed by the source schema.

The standard library's ``csv`` module parses (a C state machine, RFC 4180 and
the dialects spreadsheets write, nothing to install); what it leaves to its
caller is done here: typing, nesting, positions and clear refusals.

- **Names.** The first row names the columns. A dot nests (``MailingAddress.City``
  is ``{"MailingAddress": {"City": ...}}``) and a whole-number step is an array
  index (``Emails.0.Address``); an item whose cells are all empty is left out,
  the others keep their order. A name is never both a value and a parent, and a
  level is never both an array and an object.
- **Values.** An empty cell is a missing field. A cell is typed by the source
  schema with the lossless rules of ``mapper.coercion`` (``"42"`` is 42 where the
  schema says integer, ``"true"`` is true where boolean); one that cannot be
  typed without loss rejects its row. Without a schema, or where it says
  nothing, a cell stays text.
- **Dialect.** ``CsvDialect``: the delimiter, sniffed from the first KiB unless
  given (comma when the sniffer cannot tell); the quote character, ``"`` unless
  given (an apostrophe in text is no quote: sniffing took ``,'a',`` for a quoted
  cell); and the encoding (UTF-8 by default; a byte order mark is skipped).
- **Positions.** Rows are streamed, one at a time. Each record's line is the
  physical line its row starts on, newlines inside quoted cells counted
  (``record_line``). A row that is not a record (more or fewer cells than the
  header) is a ``PayloadSyntaxError`` in its place; what ends the input (an
  unclosed quote, a NUL character, a cell over ``MAX_FIELD`` characters, a
  line over ``MAX_LINE``, text that is not in the encoding) is raised, saying where.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Final

from ..coercion import Coercer, CoercionError, coercer_for
from ..documents import path_to_pointer
from ..errors import PayloadSyntaxError

if TYPE_CHECKING:
    from ..schemas import Schema, SchemaNode

#: The longest cell, in characters (the ``csv`` module's own limit): past it, an unclosed quote, most often.
MAX_FIELD: Final = csv.field_size_limit()
#: The longest physical line read at once, in characters; memory stays bounded by it.
MAX_LINE: Final = 8 * 1024 * 1024
#: How much text the dialect is sniffed from.
SNIFF_SIZE: Final = 1024

_SNIFFED_DELIMITERS: Final = ",;\t|"
_UNDECODED: Final = re.compile("[\udc80-\udcff]")

Step = str | int


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV text is laid out. ``delimiter`` None: sniffed when reading, ``,`` when writing;
    ``quotechar`` None: ``"``. ``encoding`` is any codec Python knows; ``line_terminator`` is the writer's."""

    delimiter: str | None = None
    quotechar: str | None = None
    encoding: str = "utf-8"
    line_terminator: str = "\r\n"


#: TSV: tab-delimited, quoted as CSV is.
TSV: Final = CsvDialect(delimiter="\t")


def split_header(name: str) -> tuple[Step, ...]:
    """The path a column name stands for: dots nest, whole numbers index arrays (``Emails.0.Address``)."""
    return tuple(int(step) if step.isdigit() else step for step in name.split("."))


@dataclass(frozen=True)
class _Column:
    path: tuple[Step, ...]
    coerce: Coercer | None


class CsvReader:
    """Reads CSV (or TSV, with ``dialect=TSV``) into records, typed by ``schema`` when given.

    ``record_line`` is the line the record last yielded starts on (None before the first).
    """

    def __init__(self, schema: Schema | None = None, dialect: CsvDialect | None = None) -> None:
        self._schema = schema
        self.dialect = dialect or CsvDialect()
        self.record_line: int | None = None

    def records(self, stream: IO[bytes], source: str) -> Iterator[Any]:
        lines = _Lines(stream, self.dialect.encoding, source)
        try:
            yield from self._rows(lines, source)
        finally:
            lines.detach()

    def _rows(self, lines: _Lines, source: str) -> Iterator[Any]:
        rows = csv.reader(lines, **self._format(lines.sample()), strict=True)
        columns: list[_Column] | None = None
        header: list[str] = []
        while True:
            start = lines.number + 1
            row = self._next_row(rows, lines, source)
            if row is None:
                return
            if not row:  # a blank line
                continue
            if columns is None:
                header, columns = row, self._columns(row, source, start)
                continue
            self.record_line = start
            if len(row) != len(columns):
                yield PayloadSyntaxError(f"the row has {len(row)} cells, the header {len(columns)}", source=source,
                                         line=start)
                continue
            try:
                yield _record(columns, row)
            except _CellError as error:
                pointer = path_to_pointer(columns[error.index].path)
                yield PayloadSyntaxError(f"column {header[error.index]!r} ({pointer}): {error.reason}",
                                         source=source, line=start)

    def _format(self, sample: str) -> dict[str, Any]:
        """The delimiter and quote character: the dialect's, else a delimiter sniffed from ``sample`` and ``"``."""
        quotechar = self.dialect.quotechar or '"'
        delimiter = self.dialect.delimiter
        if delimiter is None:
            # csv.Sniffer takes either quote mark around a cell for the quote character: the one that is not
            # ours is text (O'Brien, rock 'n' roll), so it is hidden from the sniffer.
            other = "'" if quotechar == '"' else '"'
            try:
                delimiter = csv.Sniffer().sniff(sample.replace(other, "_"), delimiters=_SNIFFED_DELIMITERS).delimiter
            except csv.Error:  # one column, or too little text to tell
                delimiter = ","
        return {"delimiter": delimiter, "quotechar": quotechar, "doublequote": True}

    @staticmethod
    def _next_row(rows: Iterator[list[str]], lines: _Lines, source: str) -> list[str] | None:
        start = lines.number + 1
        try:
            return next(rows)
        except StopIteration:
            return None
        except csv.Error as error:
            raise _syntax_error(str(error), source, start) from error

    def _columns(self, header: list[str], source: str, line: int) -> list[_Column]:
        """The path and coercion of each column; raises ``PayloadSyntaxError`` for a header that cannot be
        records' names."""
        paths = [split_header(name) for name in header]
        seen: dict[tuple[Step, ...], int] = {}
        for index, (name, path) in enumerate(zip(header, paths, strict=True)):
            if not name or any(step == "" for step in path):
                raise PayloadSyntaxError(f"column {index + 1} of the header has an empty name{_part(name)}",
                                         source=source, line=line)
            if path in seen:
                raise PayloadSyntaxError(f"column {name!r} is in the header twice (columns {seen[path] + 1} and "
                                         f"{index + 1})", source=source, line=line)
            seen[path] = index
        _check_shapes(header, paths, source, line)
        root = self._schema.root if self._schema is not None else None
        return [_Column(path, _coercer(root, path)) for path in paths]


def _part(name: str) -> str:
    return f" part ({name!r})" if name else ""


def _check_shapes(header: list[str], paths: list[tuple[Step, ...]], source: str, line: int) -> None:
    """Refuse a header where a name is a value and a parent, or a level both an array and an object."""
    kinds: dict[tuple[Step, ...], tuple[str, str]] = {}  # a parent path -> (its kind, the column that says so)
    leaves = {path: name for name, path in zip(header, paths, strict=True)}
    for name, path in zip(header, paths, strict=True):
        for depth in range(1, len(path)):
            parent = path[:depth]
            if parent in leaves:
                raise PayloadSyntaxError(f"column {leaves[parent]!r} is a value, and column {name!r} makes it an "
                                         "object or an array", source=source, line=line)
            kind = "array" if isinstance(path[depth], int) else "object"
            known = kinds.setdefault(parent, (kind, name))
            if known[0] != kind:
                raise PayloadSyntaxError(f"column {known[1]!r} makes {'.'.join(map(str, parent))} an {known[0]}, "
                                         f"column {name!r} an {kind}", source=source, line=line)
        if isinstance(path[0], int):
            raise PayloadSyntaxError(f"column {name!r}: a record is an object, its first name cannot be a number",
                                     source=source, line=line)


def _coercer(root: SchemaNode | None, path: tuple[Step, ...]) -> Coercer | None:
    """How the cells of the column at ``path`` are typed: by what the schema says of that place, if anything."""
    node = root
    for step in path:
        if node is None:
            return None
        node = node.items() if isinstance(step, int) else node.property(step)
    return coercer_for(node.types()) if node is not None else None


class _CellError(Exception):
    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason


def _record(columns: list[_Column], row: list[str]) -> dict[str, Any]:
    """The record of one row; raises ``_CellError`` for a cell its schema type refuses."""
    record: dict[Any, Any] = {}
    nested = False
    for index, (column, text) in enumerate(zip(columns, row, strict=True)):
        if text == "":
            continue
        value: Any = text
        if column.coerce is not None:
            try:
                value = column.coerce(text)
            except CoercionError as error:
                raise _CellError(index, str(error)) from None
        path = column.path
        if len(path) == 1:
            record[path[0]] = value
            continue
        nested = True
        level = record
        for step in path[:-1]:
            level = level.setdefault(step, {})
        level[path[-1]] = value
    return _arrays(record) if nested else record


def _arrays(level: dict[Any, Any]) -> Any:
    """``level`` with every object keyed by indexes turned into the array of its items, in index order."""
    for key, value in level.items():
        if type(value) is dict:
            level[key] = _arrays(value)
    if level and all(isinstance(key, int) for key in level):
        return [level[index] for index in sorted(level)]
    return level


def _syntax_error(reason: str, source: str, line: int) -> PayloadSyntaxError:
    if "field larger than field limit" in reason:
        reason = f"a cell is longer than {MAX_FIELD} characters (a quote that is never closed?)"
    elif reason.startswith("unexpected end of data"):
        reason = "the input ends inside a quoted cell (a quote that is never closed?)"
    return PayloadSyntaxError(f"invalid CSV: {reason}", source=source, line=line)


class _Lines:
    """The physical lines of a binary stream, decoded, each with its line ending, for ``csv.reader``.

    ``number`` counts the lines handed out; ``sample()`` is the first ``SNIFF_SIZE`` characters, read
    ahead (whole lines) and handed out again.
    """

    def __init__(self, stream: IO[bytes], encoding: str, source: str) -> None:
        if codecs.lookup(encoding).name == "utf-8":
            encoding = "utf-8-sig"  # skips a byte order mark, as Excel writes one
        self._named = encoding.removesuffix("-sig")
        # Undecodable bytes become lone surrogates, found in their line (a strict decoder fails a buffer ahead).
        self._text: io.TextIOWrapper | None = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape",
                                                               newline="")
        self._source = source
        self._ahead: list[str] = []
        self.number = 0

    def detach(self) -> None:
        """Let go of the stream without closing it: its opener closes it."""
        if self._text is not None:
            self._text.detach()
            self._text = None

    def sample(self) -> str:
        size = 0
        while size < SNIFF_SIZE and (line := self._read()):
            self._ahead.append(line)
            size += len(line)
        return "".join(self._ahead)[:SNIFF_SIZE]

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._ahead.pop(0) if self._ahead else self._read()
        if not line:
            raise StopIteration
        self.number += 1
        if "\0" in line:
            raise PayloadSyntaxError("invalid CSV: a NUL character (a binary file, or UTF-16 without a byte "
                                     "order mark?)", source=self._source, line=self.number)
        if (bad := _UNDECODED.search(line)) is not None:
            byte = ord(bad.group()) - 0xDC00
            raise PayloadSyntaxError(f"not {self._named} text: byte 0x{byte:02x} cannot be decoded (give the "
                                     "encoding?)", source=self._source, line=self.number, column=bad.start() + 1)
        return line

    def _read(self) -> str:
        assert self._text is not None, "read after detach()"
        line = self._text.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise PayloadSyntaxError(f"invalid CSV: a line longer than {MAX_LINE} characters", source=self._source,
                                     line=self.number + len(self._ahead) + 1)
        return line
