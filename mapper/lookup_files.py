"""Lookup tables kept in files of their own, so that mappings can share them.

A mapping names one with ``lookups: {countries: {file: ../shared/countries.yaml}}``,
relative to the mapping file. Two kinds of file:

- **YAML or JSON**: an object with ``values`` (and optionally ``default``),
  exactly as a lookup written inline;
- **CSV**: a header row, then one row per entry; the key is the column named by
  ``key`` (default: the first), the value the column named by ``value``
  (default: the second). Values are text, as CSV holds them (the target's
  coercion converts ``"42"`` for a number field).

Every fault is a ``MappingFormatError`` located in the file that holds it (line
and column for YAML and JSON, the line for CSV; the mapping's ``file`` when the
file cannot be read); a key written twice is one.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .documents import load_document, note_read
from .errors import Location, MappingFormatError, MappingSyntaxError

__all__ = ["TableFile", "read_table_file"]

#: The largest lookup file read: a table beyond this is a mistake (or an attack), not a lookup.
MAX_TABLE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class TableFile:
    """What a lookup file holds: its values, and its default when it gives one."""

    values: dict[str, Any]
    has_default: bool = False
    default: Any = None


def read_table_file(path: Path, named_at: Location, *, key: str | None = None,
                    value: str | None = None) -> TableFile:
    """The lookup table in the file at ``path`` (named by the mapping at ``named_at``); ``key`` and
    ``value`` name a CSV file's columns. Raises ``MappingFormatError`` located in the file at fault."""
    if not path.is_file():
        problem = "does not exist" if not path.exists() else "is not a regular file"
        raise MappingFormatError(f"lookup file {path.as_posix()} {problem}", named_at)
    if path.stat().st_size > MAX_TABLE_BYTES:
        raise MappingFormatError(f"lookup file {path.as_posix()} is larger than "
                                 f"{MAX_TABLE_BYTES // (1024 * 1024)} MiB", named_at)
    if path.suffix.lower() in (".csv", ".tsv"):
        return _csv_table(path, key, value, "\t" if path.suffix.lower() == ".tsv" else ",")
    if key is not None or value is not None:
        raise MappingFormatError("`key` and `value` name the columns of a CSV lookup file", named_at)
    return _document_table(path)


def _document_table(path: Path) -> TableFile:
    try:
        document = load_document(path)
    except MappingSyntaxError as error:
        raise MappingFormatError(error.message, error.location) from None
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
        raise MappingFormatError("a lookup file holds an object with `values` (and optionally `default`), "
                                 "as a lookup written in the mapping does", document.locate())
    unknown = sorted(set(data) - {"values", "default"})
    if unknown:
        raise MappingFormatError(f"unknown key {unknown[0]!r} in a lookup file; allowed: default, values",
                                 document.locate((unknown[0],), key=True))
    return TableFile(dict(data["values"]), "default" in data, data.get("default"))


def _csv_table(path: Path, key: str | None, value: str | None, delimiter: str) -> TableFile:
    file = path.as_posix()
    data = path.read_bytes()
    note_read(path, data)
    try:
        # Newlines translated as ``read_text`` translates them (as this read them before).
        text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as error:
        raise MappingFormatError(f"not UTF-8 text (byte {error.start})", Location(file)) from None
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(rows, None)
        if not header:
            raise MappingFormatError("a CSV lookup file starts with a header row naming its columns",
                                     Location(file, 1, 1))
        key_column = _column(header, key, 0, "key", file)
        value_column = _column(header, value, 1, "value", file)
        values: dict[str, Any] = {}
        for row in rows:
            line = rows.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise MappingFormatError(f"this row has {len(row)} columns, the header {len(header)}",
                                         Location(file, line, 1))
            entry = row[key_column]
            if entry in values:
                raise MappingFormatError(f"key {entry!r} is in the table twice", Location(file, line, 1))
            values[entry] = row[value_column]
    except csv.Error as error:
        raise MappingFormatError(f"not valid CSV: {error}", Location(file, rows.line_num, 1)) from None
    return TableFile(values)


def _column(header: list[str], name: str | None, default: int, role: str, file: str) -> int:
    if name is None:
        if len(header) <= default:
            raise MappingFormatError(f"a CSV lookup file needs a {role} column: the header has {len(header)}",
                                     Location(file, 1, 1))
        return default
    if name not in header:
        raise MappingFormatError(f"no column {name!r} in the header ({', '.join(header)})", Location(file, 1, 1))
    return header.index(name)
