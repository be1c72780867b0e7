"""A request body through a mapping: records read by Content-Type, the answer written by Accept.

Pure and synchronous, free of the web framework's request and response: the
routes run ``convert`` in a worker thread. Reading and writing reuse the
readers and writers of ``mapper.formats`` and the engine's ``ConvertTask``, so
a record converts, is rejected and is encoded exactly as with ``mapper convert``
(a JSON answer by the ``dumps`` of its NDJSON writer, in one call for a batch).

What comes back (docs/serve.md, "Batches"):

- a JSON object read without a ``records`` expression is one record: 200 with
  the output record, or 422 with the reject;
- anything else (an array, NDJSON, XML, CSV, a document with a ``records``
  expression) is a batch: 200 with ``{"results": [{"record": N, "output": ...}],
  "rejects": [...], "counts": {...}}``, results and rejects apart, each in
  input order and numbered from 1; asked for XML or CSV (``Accept``), the
  converted records as one XML document or one CSV table (a header, a row per
  record), or 422 with the rejects when any record failed.

A reject is the object ``--rejects`` writes for a record (``record``, ``line``
for NDJSON and CSV, ``input``, ``errors``), with a ``message`` first. CSV
bodies are UTF-8 (``charset`` may say so, and nothing else), their dialect
sniffed; ``text/tab-separated-values`` is TSV.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..engine.rejects import input_problem, reject_line, reject_record
from ..engine.sides import writer_options
from ..engine.tasks import ConvertTask
from ..errors import PayloadError, RecordError
from ..formats import TABLE_FORMATS, source_reader, writer
from ..formats.csv_write import CsvWriter
from ..formats.json import NdjsonReader, dumps
from ..mapping import Mapping
from .answers import Refusal

#: How a request body names its format (``Content-Type``, parameters aside).
INPUT_TYPES = {"application/json": "json", "application/x-ndjson": "ndjson", "application/ndjson": "ndjson",
               "application/jsonl": "ndjson", "application/xml": "xml", "text/xml": "xml", "text/csv": "csv",
               "text/tab-separated-values": "tsv"}
#: How a client asks for the answer's format (``Accept``).
OUTPUT_TYPES = {"application/json": "json", "application/xml": "xml", "text/xml": "xml", "text/csv": "csv",
                "text/tab-separated-values": "tsv"}
MEDIA_TYPES = {"json": "application/json", "xml": "application/xml", "csv": "text/csv; charset=utf-8",
               "tsv": "text/tab-separated-values; charset=utf-8"}
#: Where the errors of a request body say they are, as a file name in the CLI's messages.
SOURCE = "<request>"


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
    media, _, parameters = (content_type or "application/json").partition(";")
    media = media.strip().lower()
    fmt = INPUT_TYPES.get(media)
    accepted = ", ".join(name for name, each in INPUT_TYPES.items() if each != "xml" or _reads_xml(mapping))
    charset = next((value.strip().strip('"').lower() for key, _, value in
                    (parameter.partition("=") for parameter in parameters.split(";")) if key.strip() == "charset"),
                   "utf-8")
    if fmt in TABLE_FORMATS and charset not in ("utf-8", "utf8"):
        raise Refusal(415, "unsupported-media-type", f"{media} bodies are read as UTF-8, not {charset}: "
                      "send charset=utf-8", accepted=accepted.split(", "))
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
        if fmt in ("json", "csv", "tsv") or (fmt == "xml" and mapping.spec.target.format == "xml"):
            return fmt
    offered = ", ".join(["application/json", *(["application/xml"] if mapping.spec.target.format == "xml" else []),
                         "text/csv", "text/tab-separated-values"])
    what = f"mapping {mapping.name} cannot answer {accept}"
    raise Refusal(406, "not-acceptable", f"{what}: accept {offered}", offered=offered.split(", "))


def convert(mapping: Mapping, body: bytes, fmt: str, output: str) -> Answer:
    """Convert every record of ``body`` (in format ``fmt``) and write the answer in format ``output``.

    Raises a 400 ``Refusal`` when the body cannot be read, with line and column as the CLI gives them.
    """
    records, single = _read(mapping, body, fmt)
    # A JSON answer is encoded at the end, every result at once (_json_results); XML and CSV as convert writes.
    task = ConvertTask(mapping, None if output == "json" else (output, _writer_options(mapping, output)))
    converted: list[Converted] = []
    rejects: list[tuple[int, bytes]] = []  # each with its record's number
    for number, (line, record) in enumerate(records, 1):
        if isinstance(record, PayloadError):  # a record that could not be read (a CSV row of too many cells)
            record.record_number = number
            rejects.append((number, _unreadable(record, number, line)))
            continue
        output_record, error = task.check(record, number)
        if error is None:
            converted.append((number, line, record, output_record))
        else:
            rejects.append((number, _reject(error, number, line, record)))
    if single:  # one JSON object: one record
        encoded = _json_output(mapping, converted[0], rejects) if converted and output == "json" else None
        if rejects:
            return Answer(422, MEDIA_TYPES["json"], rejects[0][1], 1, 1)
        body = encoded if encoded is not None else _document(mapping, output, [converted[0][3]])
        return Answer(200, MEDIA_TYPES[output], body, 1, 0)
    if output == "json":
        results, written = _json_results(mapping, converted, rejects)
        return Answer(200, MEDIA_TYPES["json"], _batch(None, results, written, rejects), written + len(rejects),
                      len(rejects))
    count = len(converted) + len(rejects)
    if rejects:
        what = "an XML answer" if output == "xml" else "a CSV answer"
        message = (f"{len(rejects)} of {count} records were rejected; {what} holds converted records "
                   "only: ask for JSON (Accept: application/json) to have results and rejects apart")
        return Answer(422, MEDIA_TYPES["json"], _batch(message, b"[]", 0, rejects), count, len(rejects))
    return Answer(200, MEDIA_TYPES[output], _document(mapping, output, [each[3] for each in converted]), count, 0)


#: A record converted: its number, its line (NDJSON, CSV; else None), the input and the output.
Converted = tuple[int, int | None, Any, Any]


def _json_results(mapping: Mapping, converted: list[Converted], rejects: list[tuple[int, bytes]]) -> tuple[bytes, int]:
    """The JSON array of the results and how many it holds; an output JSON cannot hold (NaN, say) is a reject
    instead, added to ``rejects``, which stay in input order."""
    try:  # in one call of the encoder
        return dumps([{"record": number, "output": output} for number, _, _, output in converted]), len(converted)
    except RecordError:
        pass  # an output JSON cannot hold: which ones, each on its own
    results = [b'{"record":%d,"output":%s}' % (each[0], encoded) for each in converted
               if (encoded := _json_output(mapping, each, rejects)) is not None]
    rejects.sort(key=lambda reject: reject[0])
    return b"[%s]" % b",".join(results), len(results)


def _json_output(mapping: Mapping, converted: Converted, rejects: list[tuple[int, bytes]]) -> bytes | None:
    """The output as JSON; None, its reject added to ``rejects``, when JSON cannot hold it."""
    number, line, record, output = converted
    try:
        return dumps(output)
    except RecordError as error:
        rejects.append((number, _reject(RecordError(error.problems, number, mapping.name), number, line, record)))
        return None


def _reads_xml(mapping: Mapping) -> bool:
    return mapping.spec.source.format == "xml"


def _read(mapping: Mapping, body: bytes, fmt: str) -> tuple[list[tuple[int | None, Any]], bool]:
    """The records of the body, each with its NDJSON line (else None), and whether the body is one record."""
    try:
        if fmt == "ndjson":
            return list(_ndjson(body)), False
        reader = source_reader(mapping, fmt)
        # A CSV reader tells each record's line (the others: None).
        records: list[tuple[int | None, Any]] = [(getattr(reader, "record_line", None), record)
                                                 for record in reader.records(io.BytesIO(body), SOURCE)]
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
    return _reject_line(_where(error, number, line), record, [problem.to_dict() for problem in error.problems])


def _unreadable(error: PayloadError, number: int, line: int | None) -> bytes:
    return _reject_line(_where(error, number, line), None, [input_problem(error)])


def _where(error: Exception, number: int, line: int | None) -> dict[str, Any]:
    where: dict[str, Any] = {"message": str(error), "record": number}
    if line is not None:
        where["line"] = line
    return where


def _reject_line(where: dict[str, Any], record: Any, errors: list[dict[str, Any]]) -> bytes:
    return reject_line(reject_record(where, record, errors)).rstrip(b"\n")


def _batch(message: str | None, results: bytes, written: int, rejects: list[tuple[int, bytes]]) -> bytes:
    """The answer to a batch: ``results``, a JSON array of ``written`` results, and the encoded rejects."""
    head = b'{"message":%s,' % dumps(message) if message is not None else b"{"
    counts = dumps({"read": written + len(rejects), "written": written, "rejected": len(rejects)})
    return b'%s"results":%s,"rejects":[%s],"counts":%s}' % (head, results, b",".join(each for _, each in rejects),
                                                             counts)


def _writer_options(mapping: Mapping, output: str) -> dict[str, Any]:
    options = writer_options(mapping, output)
    try:
        if output in TABLE_FORMATS:
            writer(output, **options)  # can the target schema name the columns?
    except ValueError as error:
        raise Refusal(406, "not-acceptable", f"mapping {mapping.name} cannot answer {MEDIA_TYPES[output]}: {error}",
                      offered=["application/json"]) from error
    return options


def _document(mapping: Mapping, output: str, records: list[Any]) -> bytes:
    """The XML document of the converted records, or the CSV table of their encoded rows."""
    if output == "xml":
        return _xml(mapping, records)
    stream = io.BytesIO()
    table = writer(output, **writer_options(mapping, output))
    assert isinstance(table, CsvWriter)
    table.begin(stream)
    for row in records:
        table.write_encoded(row)
    table.end()
    return stream.getvalue()


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
