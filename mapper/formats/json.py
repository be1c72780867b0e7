"""JSON and NDJSON payloads.

A JSON document holds one record (an object) or many (an array, or an array
inside the document picked by a JMESPath ``records`` expression). NDJSON holds
one record per line and is read line by line, so memory stays flat; a line
that does not parse is reported as a ``PayloadSyntaxError`` item in the stream
and reading goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import jmespath
import jmespath.exceptions

from ..errors import PayloadError, PayloadSyntaxError


class JsonReader:
    """Reads one JSON document: an object is one record, an array is many."""

    def __init__(self, records: str | None = None) -> None:
        self._select = jmespath.compile(records) if records else None
        self._records = records

    def records(self, stream: IO[bytes], source: str) -> Iterator[Any]:
        try:
            document = json.loads(stream.read())
        except json.JSONDecodeError as error:
            raise PayloadSyntaxError(f"invalid JSON: {error.msg}", source=source, line=error.lineno,
                                     column=error.colno) from error
        except UnicodeDecodeError as error:
            raise PayloadSyntaxError(f"not UTF-8 text: {error.reason} at byte {error.start}",
                                     source=source) from error
        if self._select is not None:
            document = self._select.search(document)
            if not isinstance(document, list):
                raise PayloadError(f"records expression {self._records!r} does not give an array",
                                   source=source)
        if isinstance(document, list):
            yield from document
        else:
            yield document


class NdjsonReader:
    """Reads newline-delimited JSON, one record per non-blank line."""

    def records(self, stream: IO[bytes], source: str) -> Iterator[Any]:
        for line_number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as error:
                yield PayloadSyntaxError(f"invalid JSON: {error.msg}", source=source, line=line_number,
                                         column=error.colno)
            except UnicodeDecodeError as error:
                yield PayloadSyntaxError(f"not UTF-8 text: {error.reason}", source=source, line=line_number)


class JsonWriter:
    """Writes records as one JSON document: the record itself, or an array of them."""

    def __init__(self, *, indent: int | None = 2, array: bool = False) -> None:
        self.indent = indent
        self.array = array
        self._stream: IO[bytes] | None = None
        self._count = 0

    def begin(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._count = 0
        if self.array:
            stream.write(b"[")

    def write(self, record: Any) -> None:
        assert self._stream is not None, "begin() first"
        text = json.dumps(record, ensure_ascii=False, indent=self.indent)
        if self.array:
            separator = "," if self._count else ""
            text = separator + "\n" + text
        elif self._count:
            raise ValueError("a JSON document holds one record; write arrays with array=True")
        self._stream.write(text.encode("utf-8"))
        self._count += 1

    def end(self) -> None:
        assert self._stream is not None, "begin() first"
        self._stream.write(b"\n]\n" if self.array else b"\n")


class NdjsonWriter:
    """Writes one compact JSON record per line."""

    def __init__(self) -> None:
        self._stream: IO[bytes] | None = None

    def begin(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def write(self, record: Any) -> None:
        assert self._stream is not None, "begin() first"
        self._stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")

    def end(self) -> None:
        pass
