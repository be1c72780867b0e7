"""Telling NDJSON from JSON on standard input, as a jq user pipes it in (``... | mapper convert MAPPING``).

A file says its format by its name; standard input says it by its first bytes:

- one JSON document (an object, an array, pretty-printed or not) is JSON;
- a first document that ends its line, followed by another document, is NDJSON:
  one record a line, what ``jq -c`` and every log shipper write;
- a first document spread over lines and followed by another (``jq .`` of
  several records) is neither: a ``PayloadError`` that says to pass ``--from ndjson``;
- a first line of names between commas, semicolons, tabs or bars (``Id,Email``) that
  is not JSON is a CSV header: a ``PayloadError`` that says to pass ``--from csv``.
  It is not read as CSV unasked: a broken JSON document that happens to look like a
  header would then give rejects far from its real fault.

Only the first document is looked at, and only as far as ``HEAD_LIMIT`` bytes:
a larger first document is JSON, as it was before any sniffing. The bytes read
are given back to the reader in front of the rest of the stream.
"""

from __future__ import annotations

import codecs
import io
import json
from typing import IO, Final

from ..errors import PayloadError

#: How much of standard input is read to find the end of its first document.
HEAD_LIMIT: Final = 1 << 20
_CHUNK: Final = 64 * 1024  # read at a time, and the replaying reader's buffer: few Python calls per megabyte

_DECODER: Final = json.JSONDecoder()
_WHITESPACE: Final = b" \t\r\n"


def sniff(stdin: IO[bytes]) -> tuple[str | None, IO[bytes]]:
    """The format standard input's first bytes say (``"ndjson"``, or None for "read it as the mapping says"),
    and a stream that reads all of ``stdin`` again from its first byte.

    Waits for the second document (or the end of input) when the first ends its line: only that tells one
    JSON record from a stream of them. Raises ``PayloadError`` for documents one after another over several lines,
    and for what looks like CSV.
    """
    head = _head(stdin)
    if _looks_like_csv(head):
        raise PayloadError("standard input looks like CSV (its first line is a header, not JSON): pass --from csv, "
                           "or --from tsv for tab-separated values", source="<stdin>", line=1)
    replay = io.BufferedReader(_Replay(head, stdin), buffer_size=_CHUNK)
    return _format_of(head), replay


def _head(stdin: IO[bytes]) -> bytes:
    """The bytes up to the first non-blank one after the first document, the end of input, or ``HEAD_LIMIT``."""
    read = getattr(stdin, "read1", stdin.read)
    head = b""
    while len(head) < HEAD_LIMIT:
        chunk = read(_CHUNK)
        if not chunk:
            break
        head += chunk
        end = _first_end(head)
        if end is not None and head[end:].strip(_WHITESPACE):
            break
    return head


def _first_end(head: bytes) -> int | None:
    """The byte offset just past the first JSON document of ``head``, or None while it is incomplete."""
    text = head.removeprefix(codecs.BOM_UTF8)
    skipped = len(head) - len(text)
    stripped = text.lstrip(_WHITESPACE)
    try:
        _, end = _DECODER.raw_decode(stripped.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError):
        return None
    # The decoder counts characters: measure the bytes they take (surrogateescape keeps bad bytes one each).
    consumed = len(stripped.decode("utf-8", "surrogateescape")[:end].encode("utf-8", "surrogateescape"))
    return skipped + len(text) - len(stripped) + consumed


def _format_of(head: bytes) -> str | None:
    end = _first_end(head)
    if end is None:
        return None
    rest = head[end:]
    if not rest.strip(_WHITESPACE):
        return None  # one document
    gap = rest[:len(rest) - len(rest.lstrip(_WHITESPACE))]
    if b"\n" in gap and b"\n" not in head[:end].strip(_WHITESPACE):
        return "ndjson"
    line = head[:end].count(b"\n") + gap.count(b"\n") + 1
    raise PayloadError("standard input holds one JSON document after another, over several lines: for one "
                       "record a line (jq -c writes them) pass --from ndjson; else give one document, "
                       "an array of the records", source="<stdin>", line=line)


def _looks_like_csv(head: bytes) -> bool:
    """Whether the first line is a header of two or more names between delimiters, and no JSON document starts it
    (a JSON string, ``"Id"``, may: a delimiter right after it tells a quoted header)."""
    first = head.removeprefix(codecs.BOM_UTF8).lstrip(_WHITESPACE).split(b"\n", 1)[0].rstrip(b"\r")
    if not first or first[:1] in b"{[":
        return False
    end = _first_end(first)
    if end is not None and first[end:end + 1] not in _DELIMITERS:
        return False  # a JSON value, alone on its line or followed by what is no header
    return any(len(names := first.split(delimiter)) >= 2 and all(names) for delimiter in _DELIMITERS)


_DELIMITERS: Final = (b",", b";", b"\t", b"|")


class _Replay(io.RawIOBase):
    """``head`` and then what is left of ``rest``: the stream ``sniff`` read from, as if unread."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        read = getattr(self._rest, "read1", self._rest.read)
        data = read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def fileno(self) -> int:
        """Standard input's: ``-o`` naming the file standard input reads is still refused."""
        return self._rest.fileno()
