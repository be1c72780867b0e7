"""A request body through a mapping: records read by Content-Type, the answer written by Accept.

Pure and synchronous, free of the web framework's request and response: the
routes run ``convert`` in a worker thread. Reading and writing reuse the
readers and writers of ``mapper.formats`` and the engine's ``ConvertTask``, so
a record converts, is rejected and is encoded exactly as with ``mapper convert``.

What comes back (docs/serve.md, "Batches"):

- a JSON object read without a ``records`` expression is one record: 200 with
  the output record, or 422 with the reject;
- anything else (an array, NDJSON, XML, a document with a ``records``
  expression) is a batch: 200 with ``{"results": [{"record": N, "output": ...}],
  "rejects": [...], "counts": {...}}``, results and rejects apart, each in
  input order and numbered from 1; asked for XML (``Accept``), the converted
  records as one XML document, or 422 with the rejects when any record failed.

A reject is the object ``--rejects`` writes for a record (``record``, ``line``
for NDJSON, ``input``, ``errors``), with a ``message`` first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..engine.rejects import reject_line, reject_record
from ..engine.sides import writer_options
from ..engine.tasks import ConvertTask
from ..errors import PayloadError, RecordError
from ..formats import source_reader, writer
from ..formats.json import NdjsonReader, dumps
from ..mapping import Mapping
from .answers import Refusal

#: How a request body names its format (``Content-Type``, parameters aside).
INPUT_TYPES = {"application/json": "json", "application/x-ndjson": "ndjson", "application/ndjson": "ndjson",
               "application/jsonl": "ndjson", "application/xml": "xml", "text/xml": "xml"}
#: How a client asks for the answer's format (``Accept``).
OUTPUT_TYPES = {"application/json": "json", "application/xml": "xml", "text/xml": "xml"}
MEDIA_TYPES = {"json": "application/json", "xml": "application/xml"}
#: Where the errors of a request body say they are, as a file name in the CLI's messages.
SOURCE = "<request>"
_CSV = "text/csv"


@dataclass(frozen=True)
class Answer:
    """What to send back: status, media type, body, and the counts for the access log."""

    status: int
    media_type: str
    body: bytes
    records: int
    rejects: int


def input_format(mapping: Mapping, content_type: str | None) -> str:
    """The format of a body by its ``Content-Type`` (JSON without one); raises a 415 ``Refusal``."""
    media = (content_type or "application/json").partition(";")[0].strip().lower()
    fmt = INPUT_TYPES.get(media)
    accepted = ", ".join(name for name, each in INPUT_TYPES.items() if each != "xml" or _reads_xml(mapping))
    if media == _CSV:
        raise Refusal(415, "unsupported-media-type", f"CSV bodies are not supported yet: send {accepted}",
                      accepted=accepted.split(", "))
    if fmt is None or (fmt == "xml" and not _reads_xml(mapping)):
        why = f"mapping {mapping.name} reads JSON records" if fmt == "xml" else f"cannot read {media} bodies"
        raise Refusal(415, "unsupported-media-type", f"{why}: send {accepted} (Content-Type)",
                      accepted=accepted.split(", "))
    return fmt


def output_format(mapping: Mapping, accept: str | None) -> str:
    """The format of the answer by ``Accept`` (JSON by default); raises a 406 ``Refusal``."""
    ranges = []
    for position, item in enumerate((accept or "*/*").split(",")):
        media, *parameters = (part.strip() for part in item.split(";"))
        quality = next((value for key, _, value in (p.partition("=") for p in parameters) if key.strip() == "q"), "1")
        try:
            weight = float(quality)
        except ValueError:
            weight = 0.0
        if weight > 0:
            ranges.append((-weight, position, media.lower()))
    for _, _, media in sorted(ranges):
        if media in ("*/*", "application/*"):
            return "json"
        fmt = OUTPUT_TYPES.get(media)
        if fmt == "json" or (fmt == "xml" and mapping.spec.target.format == "xml"):
            return fmt
    offered = "application/json" + (", application/xml" if mapping.spec.target.format == "xml" else "")
    what = "CSV answers are not supported yet" if any(media == _CSV for *_, media in ranges) else \
        f"mapping {mapping.name} cannot answer {accept}"
    raise Refusal(406, "not-acceptable", f"{what}: accept {offered}", offered=offered.split(", "))


def convert(mapping: Mapping, body: bytes, fmt: str, output: str) -> Answer:
    """Convert every record of ``body`` (in format ``fmt``) and write the answer in format ``output``.

    Raises a 400 ``Refusal`` when the body cannot be read, with line and column as the CLI gives them.
    """
    records, single = _read(mapping, body, fmt)
    task = ConvertTask(mapping, ("ndjson", {}) if output == "json" else ("xml", writer_options(mapping, "xml")))
    outputs: list[tuple[int, Any]] = []
    rejects: list[bytes] = []
    for number, (line, record) in enumerate(records, 1):
        output_record, error = task.check(record, number)
        if error is None:
            outputs.append((number, output_record))
        else:
            rejects.append(_reject(error, number, line, record))
    count = len(outputs) + len(rejects)
    if single:  # one JSON object: one record
        if rejects:
            return Answer(422, MEDIA_TYPES["json"], rejects[0], 1, 1)
        output_record = outputs[0][1]
        body = output_record.rstrip(b"\n") if output == "json" else _xml(mapping, [output_record])
        return Answer(200, MEDIA_TYPES[output], body, 1, 0)
    if output == "xml":
        if rejects:
            message = (f"{len(rejects)} of {count} records were rejected; an XML answer holds converted records "
                       "only: ask for JSON (Accept: application/json) to have results and rejects apart")
            return Answer(422, MEDIA_TYPES["json"], _batch(message, [], rejects), count, len(rejects))
        return Answer(200, MEDIA_TYPES["xml"], _xml(mapping, [record for _, record in outputs]), count, 0)
    results = [b'{"record":%d,"output":%s}' % (number, encoded.rstrip(b"\n")) for number, encoded in outputs]
    return Answer(200, MEDIA_TYPES["json"], _batch(None, results, rejects), count, len(rejects))


def _reads_xml(mapping: Mapping) -> bool:
    return mapping.spec.source.format == "xml"


def _read(mapping: Mapping, body: bytes, fmt: str) -> tuple[list[tuple[int | None, Any]], bool]:
    """The records of the body, each with its NDJSON line (else None), and whether the body is one record."""
    try:
        if fmt == "ndjson":
            return list(_ndjson(body)), False
        reader = source_reader(mapping, fmt)
        records: list[tuple[int | None, Any]] = [(None, record) for record in reader.records(io.BytesIO(body), SOURCE)]
    except PayloadError as error:
        raise Refusal(400, "malformed-body", str(error), line=error.line, column=error.column,
                      record=error.record_number) from error
    return records, getattr(reader, "document_is_record", None) is True


def _ndjson(body: bytes) -> Iterator[tuple[int | None, Any]]:
    for number, (line_number, line) in enumerate(NdjsonReader.lines(io.BytesIO(body)), 1):
        try:
            yield line_number, NdjsonReader.parse_line(line, SOURCE, line_number)
        except PayloadError as error:
            error.record_number = number
            raise


def _reject(error: RecordError, number: int, line: int | None, record: Any) -> bytes:
    where: dict[str, Any] = {"message": str(error), "record": number}
    if line is not None:
        where["line"] = line
    return reject_line(reject_record(where, record, [problem.to_dict() for problem in error.problems])).rstrip(b"\n")


def _batch(message: str | None, results: list[bytes], rejects: list[bytes]) -> bytes:
    head = b'{"message":%s,' % dumps(message) if message is not None else b"{"
    counts = dumps({"read": len(results) + len(rejects), "written": len(results), "rejected": len(rejects)})
    return b'%s"results":[%s],"rejects":[%s],"counts":%s}' % (head, b",".join(results), b",".join(rejects), counts)


def _xml(mapping: Mapping, records: list[Any]) -> bytes:
    stream = io.BytesIO()
    xml_writer = writer("xml", **writer_options(mapping, "xml"))
    xml_writer.begin(stream)
    try:
        for record in records:
            xml_writer.write(record)
    except ValueError as error:  # several records, and the target side names no XML root
        xml_writer.close()
        raise Refusal(406, "not-acceptable", f"{error}: mapping {mapping.name} writes one record per XML document "
                                             "(target.xml.root): ask for JSON (Accept: application/json)") from error
    xml_writer.end()
    return stream.getvalue()
