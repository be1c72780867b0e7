"""The ``mapper`` command: a thin shell over the library.

Only this module prints or exits. ``run(argv, stdin, stdout, stderr)`` returns
the exit code, so tests can call it without a subprocess; ``main()`` is the
console-script entry point.

Exit codes: 0 all records converted; 1 some records rejected; 2 usage or
mapping-file error; 3 input unreadable.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from typing import IO, Any

from . import __version__
from .errors import MapperError, MappingError, PayloadError
from .formats import RecordReader, RecordWriter
from .formats.json import JsonReader, JsonWriter, NdjsonReader, NdjsonWriter
from .mapping import Mapping, load

EXIT_OK, EXIT_REJECTS, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3

CONVERT_EXAMPLE = """\
example:
  mapper convert mappings/crm-contact-to-member.yaml mappings/examples/crm-contact.json
  cat contacts.ndjson | mapper convert mappings/crm-contact-to-member.yaml --from ndjson --to ndjson
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # exit code 2 with one line, as argparse does, but ours
        self.print_usage(sys.stderr)
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mapper", description="Declarative data mapping between JSON Schemas.")
    parser.add_argument("--version", action="version", version=f"mapper {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    convert = commands.add_parser(
        "convert", help="convert payloads with a mapping", epilog=CONVERT_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Map every input record to a target record and validate it against the target schema.",
    )
    convert.add_argument("mapping", help="mapping file (YAML or JSON)")
    convert.add_argument("inputs", nargs="*", default=["-"], help="input files; - or none for standard input")
    convert.add_argument("-o", "--output", default="-", help="output file (default: standard output)")
    convert.add_argument("--from", dest="input_format", choices=["json", "ndjson"],
                         help="input format (default: the mapping's source format)")
    convert.add_argument("--to", dest="output_format", choices=["json", "ndjson"],
                         help="output format (default: the mapping's target format)")
    convert.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return parser


def run(argv: Sequence[str], stdin: IO[bytes], stdout: IO[bytes], stderr: IO[str]) -> int:
    """Run the command line ``argv``; return the exit code."""
    debug = "--debug" in argv
    try:
        args = _parser().parse_args(list(argv))
        return _convert(args, stdin, stdout, stderr)
    except _UsageError as error:
        stderr.write(f"mapper: error: {error}\n")
        return EXIT_USAGE
    except MappingError as error:
        _report(stderr, error, debug)
        return EXIT_USAGE
    except (PayloadError, OSError) as error:
        _report(stderr, error, debug)
        return EXIT_INPUT
    except MapperError as error:
        _report(stderr, error, debug)
        return EXIT_USAGE


def _report(stderr: IO[str], error: BaseException, debug: bool) -> None:
    if debug:
        stderr.write("".join(traceback.format_exception(error)))
    if isinstance(error, OSError) and error.filename:
        stderr.write(f"mapper: error: {error.filename}: {error.strerror}\n")
    else:
        stderr.write(f"mapper: error: {error}\n")


def _reader(fmt: str, mapping: Mapping) -> RecordReader:
    if fmt == "ndjson":
        return NdjsonReader()
    return JsonReader(mapping.spec.source.records)


def _writer(fmt: str, many: bool) -> RecordWriter:
    if fmt == "ndjson":
        return NdjsonWriter()
    return JsonWriter(array=many)


def _convert(args: argparse.Namespace, stdin: IO[bytes], stdout: IO[bytes], stderr: IO[str]) -> int:
    mapping = load(args.mapping)
    input_format = args.input_format or mapping.spec.source.format
    output_format = args.output_format or mapping.spec.target.format
    reader = _reader(input_format, mapping)
    records: list[Any] = []
    for name in args.inputs:
        if name == "-":
            records.extend(reader.records(stdin, "<stdin>"))
        else:
            with open(name, "rb") as stream:
                records.extend(reader.records(stream, name))
    writer = _writer(output_format, many=len(records) != 1 or output_format != "json")
    rejected = 0
    out: IO[bytes] = stdout if args.output == "-" else open(args.output, "wb")
    try:
        writer.begin(out)
        for number, record in enumerate(records, 1):
            if isinstance(record, PayloadError):
                record.record_number = number
                stderr.write(f"mapper: rejected: {record}\n")
                rejected += 1
                continue
            result = mapping.result(record, number)
            if result.ok:
                writer.write(result.output)
            else:
                rejected += 1
                stderr.write(f"mapper: rejected: {result.error(mapping.name)}\n")
        writer.end()
    finally:
        if out is not stdout:
            out.close()
    return EXIT_REJECTS if rejected else EXIT_OK


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:], sys.stdin.buffer, sys.stdout.buffer, sys.stderr))
