"""Writing CSV and TSV: a header, then one row per record, columns as the target schema orders them.

- **Columns** are the target schema's properties in the order it declares them;
  an object the schema describes is flattened to dotted names
  (``merge_fields.ADDRESS.city``), as the reader nests them back.
- **Cells**: text as is, numbers as JSON writes them, booleans ``true`` /
  ``false``, null and a missing field as an empty cell.
- **Refused**, as a ``RecordError`` (so the record is a reject, not a broken
  file): an array, or an object the schema does not describe (a cell holds
  one value: join it in the rule, ``join(';', tags)``, to a field the schema
  types as a string), and a field the schema has no column for.
- **Quoting** is RFC 4180: a cell is quoted only when it holds the delimiter,
  the quote character or a line break, a quote doubled inside. Rows end with
  ``CsvDialect.line_terminator``, RFC 4180's ``\\r\\n`` by default.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from ..documents import path_to_pointer
from ..errors import Problem, RecordError
from . import EncodingWriter
from .csv_read import CsvDialect, Step

if TYPE_CHECKING:
    from ..schemas import Schema, SchemaNode


def columns_of(schema: Schema) -> list[tuple[str, ...]]:
    """The columns of records valid under ``schema``: each property's path, objects flattened, in schema order.

    Raises ``ValueError`` when the schema declares no property (nothing names the columns).
    """
    found = list(_columns(schema.root, ()))
    if not found:
        raise ValueError("CSV output needs a target schema that declares its properties: they name the columns")
    return found


def _columns(node: SchemaNode, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for name in node.property_names():
        child = node.property(name)
        types = child.types() if child is not None else None
        nested = child is not None and types is not None and "object" in types and child.property_names()
        if nested and child is not None:
            yield from _columns(child, (*prefix, name))
        else:
            yield (*prefix, name)


class CsvWriter(EncodingWriter):
    """Writes records as CSV (or TSV, with ``dialect=TSV``): the header at ``begin``, a row per record,
    each encoded on its own (``EncodingWriter``)."""

    def __init__(self, schema: Schema, dialect: CsvDialect | None = None) -> None:
        self.dialect = dialect or CsvDialect()
        self._columns = columns_of(schema)
        self._known = {path[:depth] for path in self._columns for depth in range(1, len(path) + 1)}

    def begin(self, stream: IO[bytes]) -> None:
        super().begin(stream)
        stream.write(self._row([".".join(path) for path in self._columns]))

    def encode(self, record: Any) -> bytes:
        """The record's row, line ending included; raises ``RecordError`` for what a cell cannot hold."""
        if not isinstance(record, dict):
            raise _refused("", "is not an object: a CSV row holds one record's fields")
        self._check_fields(record, ())
        return self._row([_cell(_get(record, path), path) for path in self._columns])

    def _check_fields(self, record: dict[str, Any], prefix: tuple[str, ...]) -> None:
        """Refuse a field that no column holds, and would be lost."""
        for key, value in record.items():
            path = (*prefix, key)
            if path not in self._known:
                raise _refused(path_to_pointer(path), "has no column: the target schema does not declare it")
            if type(value) is dict and path not in self._columns:
                self._check_fields(value, path)

    def _row(self, cells: list[str]) -> bytes:
        text = io.StringIO()
        quotechar = self.dialect.quotechar or '"'
        csv.writer(text, delimiter=self.dialect.delimiter or ",", quotechar=quotechar,
                   lineterminator=self.dialect.line_terminator, quoting=csv.QUOTE_MINIMAL).writerow(cells)
        return text.getvalue().encode(self.dialect.encoding)


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for step in path:
        if type(value) is not dict:
            return None
        value = value.get(step)
    return value


def _cell(value: Any, path: tuple[Step, ...]) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else _nan(path)
    what = "an array" if isinstance(value, list) else "an object the target schema does not describe"
    raise _refused(path_to_pointer(path), f"is {what}: a CSV cell holds one value (join it in the rule, "
                                          "e.g. join(';', @), to a field the target schema types as a string)")


def _nan(path: tuple[Step, ...]) -> str:
    raise _refused(path_to_pointer(path), "is NaN or infinite: CSV, like JSON, has no such number")


def _refused(pointer: str, reason: str) -> RecordError:
    return RecordError([Problem(f"cannot be written as CSV: {pointer or 'the record'} {reason}", stage="target",
                                pointer=pointer)])
