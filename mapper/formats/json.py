"""JSON and NDJSON payloads.

A JSON document holds one record (an object) or many (an array, or an array
inside the document picked by a JMESPath ``records`` expression). NDJSON holds
one record per line and is read line by line; a line that does not parse is
reported as a ``PayloadSyntaxError`` item in the stream and reading goes on.

Memory stays flat however large the input: a document that fits in
``buffer_limit`` bytes (8 MiB) is parsed whole, which gives exact line and
column in errors; a larger one is parsed incrementally (one record at a time) when its
records are the top-level array or the array at a plain dotted ``records``
path (``data.items``). Any other ``records`` expression needs the whole
document in memory.

Parsing and writing go through ``loads`` and ``dumps`` below: ``orjson``
(about 3x faster than the standard library both ways, strict RFC 8259) with
two guards so that it never changes a value silently: integers of 19 digits
or more are parsed by the standard library (orjson would turn them into
floats), and a record holding NaN or an infinity is refused rather than
written as ``null``.

A record nested deeper than ``MAX_DEPTH`` becomes a ``TooDeepError`` in its
place, and reading goes on with the next record: the depth of the text
(``nests_deeper``, at C speed) decides whether a parsed value is walked at
all, and a value too deep for the parsers themselves (orjson stops at 1024
levels, the standard library at Python's recursion limit) is skipped by a
scan of its text that never recurses.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections.abc import Iterator
from typing import IO, Any, Final

import orjson

from ..documents import path_to_pointer
from ..errors import MappingError, PayloadError, PayloadSyntaxError, Problem, RecordError, TooDeepError
from . import MAX_DEPTH, EncodingWriter, nests_deeper, too_deep

#: Documents up to this size are parsed whole (exact error positions); larger ones stream.
BUFFER_LIMIT: Final = 8 * 1024 * 1024

# Types orjson would write on its own (datetime, dataclass, subclasses) go to the strict fallback instead.
_COMPACT: Final = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
_INDENT: Final = _COMPACT | orjson.OPT_INDENT_2
# Bytes with every ASCII digit as "0" and all else as " ": a run of 19 digits is then a plain
# substring test, ten times faster than re.search(rb"\d{19}") on a typical record line.
_DIGITS_AS_ZEROS: Final = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_RUN: Final = b"0" * 19
_DOTTED_PATH: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(data: bytes) -> Any:
    """Parse one JSON text; a UTF-8 byte order mark before it is skipped.

    Raises ``json.JSONDecodeError`` (orjson's is a subclass) or ``UnicodeDecodeError``.
    """
    data = data.removeprefix(codecs.BOM_UTF8)  # RFC 8259 lets a parser ignore it; Windows tools write it
    if _LONG_RUN not in data.translate(_DIGITS_AS_ZEROS):
        return orjson.loads(data)
    # orjson reads integers beyond 64 bits as floats; the standard library keeps them exact.
    try:
        return json.loads(data, parse_constant=_no_constants)
    except ValueError as error:
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError)):
            raise
        raise json.JSONDecodeError(str(error), data.decode("utf-8", "replace"), 0) from error


def parse_record(data: bytes) -> Any:
    """``loads``, refusing a value nested deeper than ``MAX_DEPTH`` with ``TooDeepError`` (no source or line)."""
    try:
        value = loads(data)
    except (RecursionError, json.JSONDecodeError) as error:
        if not _is_depth_failure(error):
            raise
        text = data.decode("utf-8", "replace")
        start = len(text) - len(text.lstrip())
        raise TooDeepError(MAX_DEPTH, _scan_value(text, start, MAX_DEPTH)[1]) from None
    # A text that does not nest deeper (almost every record) is not walked.
    if nests_deeper(data) and (pointer := too_deep(value)) is not None:
        raise TooDeepError(MAX_DEPTH, pointer)
    return value


def _is_depth_failure(error: ValueError | RecursionError) -> bool:
    # orjson refuses more than 1024 levels; the standard library (integers of 19 digits) recurses.
    return isinstance(error, RecursionError) or (isinstance(error, json.JSONDecodeError)
                                                 and error.msg.startswith("depth limit exceeded"))


# A JSON string (whole: a lone quote is one the text ends inside), or a character that opens, closes or
# separates: enough to follow nesting without parsing.
_STRUCTURE: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|["\[\]{},:]')


def _scan_value(text: str, pos: int, limit: int) -> tuple[int | None, str]:
    """Follow the array or object at ``pos`` without parsing it: the position after it (None when ``text`` ends
    first) and the JSON pointer of its first value deeper than ``limit`` ("" if none)."""
    path: list[list[Any]] = []  # per open container: [is an object, its current key or index]
    pointer = ""
    key = ""
    for match in _STRUCTURE.finditer(text, pos):
        token = match.group()
        first = token[0]
        if first == '"' and len(token) == 1:
            return None, pointer  # the text ends inside a string
        if not path and first not in "[{":
            return match.end(), pointer  # not a container: nothing to follow
        if first == '"':
            key = token
        elif first in "[{":
            if len(path) == limit and not pointer:
                pointer = path_to_pointer(tuple(entry[1] for entry in path))
            path.append([first == "{", "" if first == "{" else 0])
        elif first in "]}":
            path.pop()
            if not path:
                return match.end(), pointer
        elif first == ",":
            if not path[-1][0]:
                path[-1][1] += 1
        else:  # ":" after an object's key
            path[-1][1] = json.loads(key)
    return None, pointer


def dumps(record: Any, *, indent: bool | int = False) -> bytes:
    """Serialize ``record`` as UTF-8 JSON, keys in their order, non-ASCII as is: on one line, or laid
    out with ``indent`` spaces per level (``True``: 2, as ``json.dumps(indent=2)``).

    Raises ``RecordError`` (stage ``target``) for what JSON cannot hold exactly:
    NaN, infinities, non-string keys, values that are not JSON types.
    """
    spaces = 2 if indent is True else int(indent)
    if spaces not in (0, 2):  # orjson lays out with two spaces only
        return _dumps_exact(record, spaces)
    try:
        data = orjson.dumps(record, option=_INDENT if spaces else _COMPACT)
    except TypeError:  # integers beyond 64 bits, or values JSON has no type for
        data = _dumps_exact(record, spaces)
    else:
        if b"null" in data:  # orjson writes NaN and infinities as null: make sure there are none
            _dumps_exact(record, spaces)
    return data


def _dumps_exact(record: Any, indent: int) -> bytes:
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False, indent=indent or None,
                          separators=(",", ": ") if indent else (",", ":"))
    except (TypeError, ValueError) as error:
        raise RecordError([Problem(f"cannot be written as JSON: {error}", stage="target")]) from error
    return text.encode("utf-8")


def syntax_error(error: ValueError, source: str, line: int | None = None) -> PayloadSyntaxError:
    """A parse error of ``loads`` as a ``PayloadSyntaxError``; ``line`` is the line of a one-line text."""
    if isinstance(error, json.JSONDecodeError):
        message = error.msg[:1].upper() + error.msg[1:]
        return PayloadSyntaxError(f"invalid JSON: {message}", source=source,
                                  line=error.lineno if line is None else line, column=error.colno)
    if isinstance(error, UnicodeDecodeError):
        return PayloadSyntaxError(f"not UTF-8 text: {error.reason} at byte {error.start}", source=source, line=line)
    return PayloadSyntaxError(f"invalid JSON: {error}", source=source, line=line)


class JsonReader:
    """Reads one JSON document: an object is one record, an array is many.

    After reading has started, ``document_is_record`` tells whether the
    document was a single record (an object, no ``records`` expression).
    """

    def __init__(self, records: str | None = None, *, buffer_limit: int = BUFFER_LIMIT) -> None:
        self._select = None
        if records:
            from ..expressions import compile as compile_expression  # only a records expression needs it

            try:
                self._select = compile_expression(records)
            except MappingError as error:
                raise PayloadError(f"records {records!r} is not a JMESPath expression: {error.message}") from error
        self._records = records
        self._path = tuple(records.split(".")) if records and _DOTTED_PATH.fullmatch(records) else None
        self.buffer_limit = buffer_limit
        self.document_is_record: bool | None = None

    def records(self, stream: IO[bytes], source: str) -> Iterator[Any]:
        head = stream.read(self.buffer_limit + 1)
        if len(head) <= self.buffer_limit:
            yield from self._whole(head, source)
            return
        head = head.removeprefix(codecs.BOM_UTF8)
        if self._streams(head):
            self.document_is_record = False
            yield from _Text(head, stream, source).records(self._path or (), self._records)
        else:  # one large record, or a records expression that needs the whole document
            yield from self._whole(head + stream.read(), source)

    def _streams(self, head: bytes) -> bool:
        """Whether the records can be parsed one at a time: the top-level array, or one at a dotted path."""
        return (self._select is None and head.lstrip()[:1] == b"[") or self._path is not None

    def _whole(self, data: bytes, source: str) -> Iterator[Any]:
        try:
            document = loads(data)
        except (ValueError, RecursionError) as error:
            if isinstance(error, ValueError) and not _is_depth_failure(error):
                raise syntax_error(error, source) from error
            yield from self._too_deep_to_parse(data, source)
            return
        self.document_is_record = self._select is None and not isinstance(document, list)
        if self._select is not None:
            document = self._select.search(document)
            if not isinstance(document, list):
                raise PayloadError(f"records expression {self._records!r} does not give an array",
                                   source=source)
        # Only a document deeper than its records may be is walked: the array of records adds a level.
        walk = nests_deeper(data, MAX_DEPTH + (1 if self._select is None and isinstance(document, list) else 0))
        for record in document if isinstance(document, list) else [document]:
            if walk and (pointer := too_deep(record)) is not None:
                yield TooDeepError(MAX_DEPTH, pointer, source=source)
            else:
                yield record

    def _too_deep_to_parse(self, data: bytes, source: str) -> Iterator[Any]:
        """The records of a document nested deeper than the parsers go: one at a time where they can be,
        the deep ones refused; else the one record refused (a records expression needs the whole document)."""
        if self._streams(data):
            self.document_is_record = False
            yield from _Text(data, io.BytesIO(), source).records(self._path or (), self._records)
            return
        text = data.decode("utf-8", "replace")
        error = TooDeepError(MAX_DEPTH, _scan_value(text, len(text) - len(text.lstrip()), MAX_DEPTH)[1],
                             source=source)
        if self._select is not None:
            raise error
        self.document_is_record = True
        yield error


_AFTER_VALUE: Final = frozenset(",]}:")
_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_DECODER: Final = json.JSONDecoder(parse_constant=_no_constants)
_CHUNK: Final = 1 << 20


class _Text:
    """Incremental parsing of a large document: a window of decoded text over the stream.

    Each value is parsed by ``json.JSONDecoder.raw_decode`` from the window.
    A value that runs off the end of the window is a large one: the window
    grows fourfold until orjson (about twice as fast) finds where the value
    ends, and the value is parsed once, so a record costs time linear in its
    size, not quadratic as with a window that grows by a chunk. Consumed text is
    dropped, so memory holds one chunk and a few times one record.
    ``parsed`` counts the characters handed to a parser, retries included.
    """

    def __init__(self, head: bytes, stream: IO[bytes], source: str) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._stream = stream
        self.source = source
        self.eof = False
        self.text = ""
        self.pos = 0
        self.line = 1  # line number of text[0]
        self.column = 0  # 0-based column of text[0]
        self.count = 0
        self.parsed = 0
        self._append(head)

    def records(self, path: tuple[str, ...], expression: str | None) -> Iterator[Any]:
        """The items of the top-level array (empty ``path``) or of the array at ``path``."""
        for step in path:
            if self.next_char() != "{" or not self._find_key(step):
                raise PayloadError(f"records expression {expression!r} does not give an array", source=self.source)
        if self.next_char() != "[":
            if path:
                raise PayloadError(f"records expression {expression!r} does not give an array", source=self.source)
            raise self._error("Expecting '['", self.pos)  # pragma: no cover - the caller checked
        self.pos += 1
        if self.next_char() == "]":
            self.pos += 1
        else:
            while True:
                record = self.value()
                self.count += 1
                yield record
                char = self.next_char()
                self.pos += 1
                if char == "]":
                    break
                if char != ",":
                    raise self._error("Expecting ',' delimiter", self.pos - 1)
        if not path and self.next_char():
            raise self._error("Extra data", self.pos)

    def _find_key(self, key: str) -> bool:
        """Inside an object (at its ``{``): move to the value of ``key``; False when it has none."""
        self.pos += 1
        while True:
            char = self.next_char()
            if char == "}":
                return False
            name = self.value()
            if self.next_char() != ":":
                raise self._error("Expecting ':' delimiter", self.pos)
            self.pos += 1
            if name == key:
                return True
            self.value()
            char = self.next_char()
            self.pos += 1
            if char == "}":
                return False
            if char != ",":
                raise self._error("Expecting ',' delimiter", self.pos - 1)

    def next_char(self) -> str:
        """The next character that is not whitespace ("" at the end); does not consume it."""
        while True:
            match = _WHITESPACE.match(self.text, self.pos)
            self.pos = match.end() if match else self.pos
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self._more():
                return ""

    def value(self) -> Any:
        """Parse the value at the current position; a ``TooDeepError`` stands for one deeper than ``MAX_DEPTH``."""
        self.next_char()
        large = False
        while True:
            try:
                self.parsed += len(self.text) - self.pos
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as error:
                near_end = error.pos >= len(self.text) - 8 or error.msg.startswith("Unterminated string")
                if near_end and not large:
                    large = True
                    found = self._large_value()
                    if found is not None:
                        value, self.pos = found
                        return value
                    continue  # not found by orjson: the standard library says what is wrong, and where
                if near_end and self._more(len(self.text) - self.pos):
                    continue
                raise self._error(error.msg, error.pos) from error
            except ValueError as error:  # NaN, Infinity
                raise self._error(str(error), self.pos) from error
            except RecursionError:
                return self._skip_deep()
            if end >= len(self.text) - 4 and self._more():
                continue  # a number may go on in the next chunk ("3.2" | "5e10")
            return self._checked(value, end)

    def _large_value(self) -> tuple[Any, int] | None:
        """The value at the current position, which runs off the end of the window, and where it ends; None
        when orjson cannot find its end (a fault in it, a depth past orjson's, the end of the document).

        The window grows fourfold until orjson, parsing from the value on, stops at what follows the
        value (``,`` ``]`` ``}`` ``:``); its position is where the value ends, and that text is parsed once.
        """
        while self._more(3 * (len(self.text) - self.pos)):  # four times what it holds: few attempts
            window = self.text[self.pos:]
            self.parsed += len(window)
            try:
                orjson.loads(window)
            except orjson.JSONDecodeError as error:
                if window[error.pos:error.pos + 1] in _AFTER_VALUE:
                    return self._value_before(window, error.pos)
                if error.pos < len(window) - 8:  # a fault, not a want of text
                    return None
            else:
                return None  # the document ends with this value: it is no array item
        return None

    def _value_before(self, window: str, stop: int) -> tuple[Any, int] | None:
        """The value that ``window`` starts with, and where it ends, when orjson stopped at ``stop`` just after
        it; a ``TooDeepError`` stands for one deeper than ``MAX_DEPTH``."""
        end = stop
        while window[end - 1] in " \t\r\n":
            end -= 1
        data = window[:end].encode("utf-8", "surrogatepass")
        self.parsed += len(data)
        try:
            value = loads(data)
        except ValueError:  # what the standard library refuses too (NaN), or 1024 levels deep
            return None
        if nests_deeper(data) and (pointer := too_deep(value)) is not None:
            return self._too_deep(self.pos, pointer), self.pos + end
        return value, self.pos + end

    def _checked(self, value: Any, end: int) -> Any:
        """``value``, the text from the current position to ``end``, consumed; a ``TooDeepError`` in its
        place when it nests deeper than ``MAX_DEPTH``."""
        start, self.pos = self.pos, end
        if self.text.count("[", start, end) + self.text.count("{", start, end) > MAX_DEPTH:
            pointer = too_deep(value)
            if pointer is not None:
                return self._too_deep(start, pointer)
        return value

    def _skip_deep(self) -> TooDeepError:
        """Move past the value at the current position, too deep for the parser, without parsing it."""
        while True:
            end, pointer = _scan_value(self.text, self.pos, MAX_DEPTH)
            if end is not None:
                break
            if not self._more():
                raise self._error("the document ends inside an array or object", len(self.text))
        error = self._too_deep(self.pos, pointer)
        self.pos = end
        return error

    def _too_deep(self, pos: int, pointer: str) -> TooDeepError:
        return TooDeepError(MAX_DEPTH, pointer, source=self.source, line=self.line + self.text.count("\n", 0, pos))

    def _more(self, at_least: int = 0) -> bool:
        """Read a chunk, or ``at_least`` characters' worth when more; False at the end of the stream."""
        if self.eof:
            return False
        data = self._stream.read(max(_CHUNK, at_least))
        self._append(data)
        return True

    def _append(self, data: bytes) -> None:
        consumed = self.text.count("\n", 0, self.pos)
        self.line += consumed
        self.column = self.pos - self.text.rfind("\n", 0, self.pos) - 1 if consumed else self.column + self.pos
        try:
            decoded = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as error:
            raise PayloadSyntaxError(f"not UTF-8 text: {error.reason}", source=self.source,
                                     line=self.line) from error
        self.text = self.text[self.pos:] + decoded
        self.pos = 0
        self.eof = not data

    def _error(self, message: str, pos: int) -> PayloadSyntaxError:
        line = self.line + self.text.count("\n", 0, pos)
        start = self.text.rfind("\n", 0, pos)
        column = pos - start if start >= 0 else self.column + pos + 1
        after = f" (after record {self.count})" if self.count else ""
        return PayloadSyntaxError(f"invalid JSON: {message}{after}", source=self.source, line=line, column=column)


class NdjsonReader:
    """Reads newline-delimited JSON, one record per non-blank line.

    ``lines`` and ``parse_line`` are the two halves of ``records``, so that
    parsing can happen elsewhere (in a worker process) than reading.
    """

    def records(self, stream: IO[bytes], source: str) -> Iterator[Any]:
        for line_number, line in self.lines(stream):
            try:
                yield self.parse_line(line, source, line_number)
            except PayloadError as error:
                yield error

    @staticmethod
    def lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
        """Each non-blank line with its 1-based line number."""
        for line_number, line in enumerate(stream, 1):
            if line.strip():
                yield line_number, line

    @staticmethod
    def parse_line(line: bytes, source: str, line_number: int) -> Any:
        """The record of one line; raises ``PayloadSyntaxError``, or ``TooDeepError`` past ``MAX_DEPTH``."""
        try:
            return parse_record(line)
        except TooDeepError as error:
            error.source, error.line = source, line_number
            raise
        except ValueError as error:
            raise syntax_error(error, source, line_number) from error


class JsonWriter:
    """Writes records as one JSON document: the record itself, or an array of them.

    ``encode`` and ``write_encoded`` split ``write`` in two, so that records
    can be encoded elsewhere (in a worker process) than written.
    """

    def __init__(self, *, indent: int | None = 2, array: bool = False) -> None:
        self.indent = indent or None  # None or 0: compact, one record per line inside an array
        self.array = array
        self._stream: IO[bytes] | None = None
        self._count = 0

    def begin(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._count = 0
        if self.array:
            stream.write(b"[")

    def encode(self, record: Any) -> bytes:
        """The record's JSON text, laid out as a document of its own (as ``json.dumps(indent=N)``; a writer
        of arrays indents it further when it writes it); raises ``RecordError`` when JSON cannot hold it
        exactly."""
        return dumps(record, indent=self.indent or 0)

    def write(self, record: Any) -> None:
        self.write_encoded(self.encode(record))

    def write_encoded(self, data: bytes) -> None:
        assert self._stream is not None, "begin() first"
        if self.array:
            if self.indent:
                # Inside the array, one level deeper: JSON text has a raw newline only between its tokens.
                level = b" " * self.indent
                data = level + data.replace(b"\n", b"\n" + level)
            self._stream.write((b",\n" if self._count else b"\n") + data)
        elif self._count:
            raise ValueError("a JSON document holds one record; write arrays with array=True")
        else:
            self._stream.write(data)
        self._count += 1

    def end(self) -> None:
        assert self._stream is not None, "begin() first"
        if self.array:
            self._stream.write(b"\n]\n" if self._count else b"]\n")
        elif self._count:
            self._stream.write(b"\n")

    def close(self) -> None:
        """Nothing to let go of (see ``RecordWriter``)."""


class NdjsonWriter(EncodingWriter):
    """Writes one compact JSON record per line."""

    def encode(self, record: Any) -> bytes:
        """The record's line, newline included; raises ``RecordError`` when JSON cannot hold it exactly."""
        return dumps(record) + b"\n"
