"""``mapper convert``: map payload files (or standard input) to target records."""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Iterator
from typing import IO, Any

from ..errors import PayloadError
from ..formats import RecordReader, RecordWriter
from ..formats.json import JsonReader, JsonWriter, NdjsonReader, NdjsonWriter
from ..mapping import Mapping, load
from ._common import EXIT_OK, EXIT_REJECTS, Streams, UsageError

EXAMPLE = """\
examples:
  mapper convert mappings/crm-contact-to-member.yaml mappings/crm-contact-to-member.fixtures/full-contact.input.json
  mapper convert mappings/crm-contact-to-member.yaml contacts.ndjson --from ndjson --to ndjson -o members.ndjson
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "convert", help="convert payloads with a mapping", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Map every input record to a target record and validate it against the target schema. "
                    "Records that fail are reported on standard error with every reason.",
    )
    parser.add_argument("mapping", help="mapping file (YAML or JSON)")
    parser.add_argument("inputs", nargs="*", default=["-"], help="input files; - or none for standard input")
    parser.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    parser.add_argument("--from", dest="input_format", choices=["json", "ndjson"],
                        help="input format (default: the mapping's source format)")
    parser.add_argument("--to", dest="output_format", choices=["json", "ndjson"],
                        help="output format (default: the mapping's target format)")
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    mapping = load(args.mapping)
    input_format = args.input_format or mapping.spec.source.format
    output_format = args.output_format or mapping.spec.target.format
    if input_format not in ("json", "ndjson") or output_format not in ("json", "ndjson"):
        raise UsageError(f"convert reads and writes json or ndjson here, not {input_format} to {output_format}")
    reader = _reader(input_format, mapping)
    records = _records(reader, args.inputs, streams.stdin)
    # A single JSON record in gives a single JSON record out; anything else an array.
    head = list(itertools.islice(records, 2))
    writer = _writer(output_format, many=len(head) != 1 or input_format != "json")
    rejected = 0
    out: IO[bytes] = streams.stdout if args.output == "-" else open(args.output, "wb")
    try:
        writer.begin(out)
        for number, record in enumerate(itertools.chain(head, records), 1):
            if isinstance(record, PayloadError):
                record.record_number = number
                streams.stderr.write(f"mapper: rejected: {record}\n")
                rejected += 1
                continue
            result = mapping.result(record, number)
            if result.ok:
                writer.write(result.output)
            else:
                rejected += 1
                streams.stderr.write(f"mapper: rejected: {result.error(mapping.name)}\n")
        writer.end()
    finally:
        if out is not streams.stdout:
            out.close()
    return EXIT_REJECTS if rejected else EXIT_OK


def _records(reader: RecordReader, inputs: list[str], stdin: IO[bytes]) -> Iterator[Any]:
    for name in inputs:
        if name == "-":
            yield from reader.records(stdin, "<stdin>")
        else:
            with open(name, "rb") as stream:
                yield from reader.records(stream, name)


def _reader(fmt: str, mapping: Mapping) -> RecordReader:
    if fmt == "ndjson":
        return NdjsonReader()
    return JsonReader(mapping.spec.source.records)


def _writer(fmt: str, many: bool) -> RecordWriter:
    if fmt == "ndjson":
        return NdjsonWriter()
    return JsonWriter(array=many)
