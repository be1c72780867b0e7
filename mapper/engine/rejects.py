"""The reject record, and the one writer of reject lines (``--rejects`` and the Dask parts).

One JSON object per failed record, one a line (docs/cli.md)::

    {"record": N, "source": FILE, "line": L, "input": RECORD, "errors": [...]}

``record`` counts records from 1 in their input; ``line`` is the NDJSON line
(of the record element in XML, or the line a CSV row starts on; null for JSON);
``mapper.dask`` adds ``offset``, the byte where the line starts. ``input`` is
null and ``text`` holds the raw line when the line is not JSON. Each error
is ``Problem.to_dict()``, or ``input_problem()`` for a record that could not
be read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import PayloadError, RecordError, TooDeepError
from ..formats.json import dumps


def input_problem(error: PayloadError) -> dict[str, Any]:
    """An unreadable record's error, in the form of ``Problem.to_dict()`` with stage ``input``; the pointer
    is into the input record (where it nests too deep), else empty."""
    pointer = error.pointer if isinstance(error, TooDeepError) else ""
    problem: dict[str, Any] = {"stage": "input", "pointer": pointer, "message": error.message}
    if error.line is not None:
        problem["line"] = error.line
    if error.column is not None:
        problem["column"] = error.column
    return problem


def reject_record(where: Mapping[str, Any], input: Any, errors: Sequence[Mapping[str, Any]],
                  text: str | None = None) -> dict[str, Any]:
    """The reject record of one input record: ``where`` (record, source, line...), the input, its errors."""
    reject: dict[str, Any] = {**where, "input": input}
    if text is not None:
        reject["text"] = text
    reject["errors"] = [dict(error) for error in errors]
    return reject


def reject_line(reject: Mapping[str, Any]) -> bytes:
    """One NDJSON line of a rejects file; an input JSON cannot hold (NaN from XML, say) goes in as its
    Python text, in ``text``, with ``input`` null."""
    try:
        return dumps(reject) + b"\n"
    except RecordError:
        safe = {**reject, "input": None, "text": repr(reject.get("input"))}
        return json.dumps(safe, ensure_ascii=False, separators=(",", ":"), default=repr).encode() + b"\n"
