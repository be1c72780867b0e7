"""``mapper convert``: map payload files (or standard input) to target records."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..errors import PayloadError
from ..formats import RecordWriter, format_of_path, reader, writer
from ..formats.json import JsonReader
from ..mapping import Mapping, load
from ._common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REJECTS,
    FORMAT_CHOICES,
    Streams,
    UsageError,
    add_stream_options,
    positive,
)
from ._engine import ConvertTask, Input, Run, finish, read_units
from ._progress import Progress

EXAMPLE = """\
examples:
  mapper convert mappings/crm-contact-to-member.yaml mappings/crm-contact-to-member.fixtures/full-contact.input.json
  mapper convert mappings/crm-contact-to-member.yaml contacts.ndjson -o members.ndjson --rejects rejects.ndjson
  cat contacts.ndjson | mapper convert mappings/crm-contact-to-member.yaml --from ndjson --to ndjson
  mapper convert mappings/metar-to-observation.yaml metars.xml --to ndjson --jobs 2
  mapper convert mappings/crm-contact-to-member.yaml dumps/*.ndjson --engine dask -o members/
  mapper convert mappings/crm-contact-to-member.yaml dumps/*.ndjson --engine dask \\
      --scheduler tcp://host:8786 -o /shared/members/

exit codes: 0 all records converted; 1 some records rejected; 2 usage or mapping-file error;
3 input unreadable. docs/cli.md describes the rejects file.
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "convert", help="convert payloads with a mapping", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Map every input record to a target record and validate it against the target schema. "
                    "Streams: memory stays flat however large the input. Records that fail are written to "
                    "--rejects, or reported on standard error, with every reason; a summary ends the run.",
    )
    parser.add_argument("mapping", help="mapping file (YAML or JSON)")
    parser.add_argument("inputs", nargs="*", default=["-"], metavar="INPUT",
                        help="input files; - or none for standard input")
    parser.add_argument("-o", "--output", default="-", metavar="OUTPUT",
                        help="output file, written atomically (default: standard output)")
    parser.add_argument("--to", dest="output_format", choices=FORMAT_CHOICES, metavar="FORMAT",
                        help="output format: json, ndjson or xml (default: from the -o file name, "
                             "else the mapping's)")
    add_stream_options(parser)
    cluster = parser.add_argument_group("on a Dask cluster (docs/dask.md; pip install 'mapper[dask]')")
    cluster.add_argument("--engine", choices=("local", "dask"), default="local",
                         help="local: this machine (default); dask: a Dask cluster, writing one NDJSON part "
                              "per partition into the directory -o (and --rejects)")
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="with --engine dask: the scheduler to run on (tcp://host:8786); default: a local "
                              "cluster of --jobs worker processes (default one per core)")
    cluster.add_argument("--block-size", type=positive, default=64, metavar="MIB",
                         help="with --engine dask: NDJSON files are cut in blocks of MIB mebibytes (default 64)")
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    if args.engine == "dask":
        return execute_on_dask(args, streams)
    if args.scheduler:
        raise UsageError("--scheduler needs --engine dask")
    if args.rejects == "-" and args.output == "-":
        raise UsageError("--rejects - writes to standard output: give the output a file with -o")
    if args.rejects is not None and args.rejects == args.output:
        raise UsageError("--rejects and --output name the same file")
    mapping = load(args.mapping)
    inputs = [resolve_input(name, args.input_format, args.records, mapping, "source") for name in args.inputs]
    check_readable(args.inputs)
    output_format = args.output_format or (format_of_path(args.output) if args.output != "-" else None) \
        or mapping.spec.target.format
    options = writer_options(mapping, output_format)

    def make_writer() -> RecordWriter:
        single = (len(inputs) == 1 and isinstance(inputs[0].reader, JsonReader)
                  and inputs[0].reader.document_is_record is True)
        kwargs = {**options, "many": not single} if output_format == "json" else options
        return writer(output_format, **kwargs)

    task = ConvertTask(mapping, (output_format, options))
    progress = Progress(streams.stderr, args.inputs)
    run = Run(streams, task, make_writer, output=args.output, rejects=args.rejects,
              max_rejects=1 if args.fail_fast else args.max_rejects, jobs=args.jobs or 1, progress=progress)
    counts = run.execute(read_units(inputs, streams.stdin, progress))
    return finish(streams, "convert", counts, verbs=("written", "rejected"), rejects=args.rejects, quiet=args.quiet)


def execute_on_dask(args: argparse.Namespace, streams: Streams) -> int:
    """``--engine dask``: ``mapper.dask`` converts on a cluster into a directory of NDJSON parts."""
    if args.output == "-":
        raise UsageError("--engine dask writes a directory of NDJSON parts: name it with -o DIR")
    if "-" in args.inputs:
        raise UsageError("--engine dask reads files, not standard input")
    if args.output_format not in (None, "ndjson"):
        raise UsageError("--engine dask writes NDJSON parts only (--to ndjson)")
    if args.fail_fast or args.max_rejects:
        raise UsageError("--fail-fast and --max-rejects do not apply to --engine dask")
    if args.rejects is not None and os.path.normpath(args.rejects) == os.path.normpath(args.output):
        raise UsageError("--rejects and --output name the same directory")
    try:
        from .. import dask as on_dask
    except ImportError as error:  # the message says: pip install 'mapper[dask]'
        raise UsageError(str(error)) from error
    rejects = args.rejects or f"{args.output.rstrip('/')}/_rejects"
    counts = on_dask.convert_files(
        args.mapping, args.inputs, args.output, rejects, scheduler=args.scheduler,
        workers=args.jobs,  # None (no --jobs): one worker per core
        input_format=args.input_format, records=args.records, block_size=args.block_size * 1024 * 1024)
    for message in counts.broken_inputs:
        streams.stderr.write(f"mapper: error: {message}\n")
    if not args.quiet:
        streams.stderr.write(f"mapper convert: {counts.read} records read, {counts.written} written "
                             f"(in {args.output}), {counts.rejected} rejected (in {rejects}), "
                             f"{counts.partitions} partitions on Dask\n")
    if counts.broken_inputs:
        return EXIT_INPUT
    return EXIT_REJECTS if counts.rejected else EXIT_OK


def resolve_input(name: str, given: str | None, records: str | None, mapping: Mapping | None,
                  side: str, schema: Any = None) -> Input:
    """An input with its format (flag, else file name, else the mapping side's) and its reader."""
    spec_side = getattr(mapping.spec, side) if mapping is not None else None
    fmt = given or (format_of_path(name) if name != "-" else None) or (spec_side.format if spec_side else None)
    if fmt is None:
        what = "standard input" if name == "-" else f"{name} from its name"
        raise UsageError(f"cannot tell the format of {what}: give --from json, ndjson or xml")
    if schema is None and mapping is not None:
        schema = mapping.source_schema if side == "source" else mapping.target_schema
    namespaces: dict[str, str] = dict(spec_side.namespaces) if spec_side is not None else {}
    if records is None and spec_side is not None and spec_side.format == fmt:
        records = spec_side.records
        if fmt == "xml" and side == "target":
            records, namespaces = target_records_path(mapping, namespaces)
    try:
        return Input(name, fmt, reader(fmt, schema, records=records, namespaces=namespaces))
    except PayloadError as error:  # a records path or expression that cannot work
        raise UsageError(str(error)) from error


def target_records_path(mapping: Any, namespaces: dict[str, str]) -> tuple[str | None, dict[str, str]]:
    """The path of the record elements in XML the mapping writes (``/root/record``), for reading it back."""
    xml_writer: Any = writer("xml", **writer_options(mapping, "xml"))
    if xml_writer.root_tag is None:
        return None, namespaces
    known = dict(namespaces)
    steps = []
    for index, tag in enumerate((xml_writer.root_tag, xml_writer.record_tag)):
        uri, _, local = tag[1:].partition("}") if tag.startswith("{") else (None, "", tag)
        if uri is None:
            steps.append(local)
            continue
        prefix = next((name for name, value in known.items() if value == uri), f"ns{index}")
        known[prefix] = uri
        steps.append(f"{prefix}:{local}")
    return "/" + "/".join(steps), known


def writer_options(mapping: Mapping, output_format: str) -> dict[str, Any]:
    """The keyword arguments of ``mapper.formats.writer`` for the mapping's target side."""
    if output_format != "xml":
        return {}
    side = mapping.spec.target
    return {"schema": mapping.target_schema, "namespaces": dict(side.namespaces), "xml": dict(side.xml)}


def check_readable(names: list[str]) -> None:
    """Fail before writing anything when an input file cannot be opened (exit code 3)."""
    for name in names:
        if name != "-":
            with open(name, "rb"):
                pass


__all__ = ["EXIT_INPUT", "add_parser", "execute"]
