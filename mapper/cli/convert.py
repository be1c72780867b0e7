"""``mapper convert``: map payload files (or standard input) to target records."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from ..errors import MapperError, MappingError
from ..formats import FORMAT_NAMES, XmlLimits
from ._common import (
    EXIT_INPUT,
    EXIT_OK,
    EXIT_REJECTS,
    EXIT_USAGE,
    Streams,
    UsageError,
    add_stream_options,
    csv_dialect,
    finish,
    positive,
    xml_limits,
)
from .chaining import split_positionals
from .check import add_functions_option, user_functions

if TYPE_CHECKING:
    from ..mapping import Mapping

EXAMPLE = """\
examples:
  mapper convert mappings/crm-contact-to-member.yaml mappings/crm-contact-to-member.fixtures/full-contact.input.json
  mapper convert mappings/crm-contact-to-member.yaml contacts.ndjson -o members.ndjson --rejects rejects.ndjson
  cat contacts.ndjson | mapper convert mappings/crm-contact-to-member.yaml --to ndjson
  mapper convert mappings/crm-contact-to-member.yaml contacts.ndjson --strict --validate-source
  mapper convert mappings/metar-to-observation.yaml metars.xml --to ndjson --jobs 2
  mapper convert mappings/crm-contact-to-member.yaml dumps/*.ndjson --engine dask -o members/
  mapper convert mappings/crm-contact-to-member.yaml dumps/*.ndjson --engine dask \\
      --scheduler tcp://host:8786 -o /shared/members/

standard input is NDJSON when its first document ends its line and another follows, else JSON.
The errors mapper check finds in the mapping are printed first; --strict converts nothing then.

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
    parser.add_argument("mapping", help="mapping file (YAML or JSON); .yaml mapping files right after it run in "
                                        "turn, each on the output of the one before (docs/cli.md)")
    parser.add_argument("inputs", nargs="*", default=["-"], metavar="INPUT",
                        help="input files; - or none for standard input")
    parser.add_argument("-o", "--output", default="-", metavar="OUTPUT",
                        help="output file, written atomically (default: standard output)")
    parser.add_argument("--to", dest="output_format", choices=FORMAT_NAMES, metavar="FORMAT",
                        help="output format: json, ndjson, xml, csv or tsv (default: from the -o file name, "
                             "else the mapping's)")
    add_stream_options(parser)
    layout = parser.add_mutually_exclusive_group()
    layout.add_argument("-c", "--compact", action="store_true",
                        help="JSON output: each record on one line")
    layout.add_argument("--indent", type=_indent, default=2, metavar="N",
                        help="JSON output: N spaces a level, 0 to 8 (default 2, as json.dumps(indent=2))")
    parser.add_argument("--strict", action="store_true",
                        help="fail (exit 2) when mapper check finds errors in the mapping, before reading any input")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--validate-source", action="store_true", default=None,
                        help="validate every input record against the source schema first")
    source.add_argument("--no-validate-source", action="store_false", dest="validate_source",
                        help="do not validate input records (default: as the mapping's source.validate says)")
    add_functions_option(parser)
    cluster = parser.add_argument_group("on a Dask cluster (docs/dask.md; pip install 'mapper[dask]')")
    cluster.add_argument("--engine", choices=("local", "dask"), default="local",
                         help="local: this machine (default); dask: a Dask cluster, writing one NDJSON part "
                              "per partition into the directory -o (and --rejects)")
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="with --engine dask: the scheduler to run on (tcp://host:8786); default: a local "
                              "cluster of --jobs worker processes (default one per core)")
    cluster.add_argument("--block-size", type=positive, default=64, metavar="MIB",
                         help="with --engine dask: NDJSON files are cut in blocks of MIB mebibytes (default 64)")
    cluster.add_argument("--overwrite", action="store_true",
                         help="with --engine dask: replace the parts of an earlier conversion in -o (and --rejects) "
                              "instead of refusing to run")
    parser.set_defaults(execute=execute)
    return parser


def _indent(text: str) -> int:
    """An argparse type: the spaces a level of JSON output, 0 to 8."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 8:
        raise argparse.ArgumentTypeError("must be 0 to 8")
    return value


def execute(args: argparse.Namespace, streams: Streams) -> int:
    mappings, args.inputs = split_positionals(args.mapping, args.inputs)
    if args.engine == "dask":
        if len(mappings) > 1:
            raise UsageError("chained mappings run with --engine local (from Python, mapper.dask takes a chain)")
        return execute_on_dask(args, streams)
    if args.scheduler:
        raise UsageError("--scheduler needs --engine dask")
    if args.overwrite:
        raise UsageError("--overwrite needs --engine dask (an output file is always replaced whole)")
    if args.rejects == "-" and args.output == "-":
        raise UsageError("--rejects - writes to standard output: give the output a file with -o")
    if args.rejects is not None and args.rejects == args.output:
        raise UsageError("--rejects and --output name the same file")
    from ..engine import convert_files  # the engine, only when run
    from ._progress import Progress

    functions = user_functions(args.functions)
    loaded = []
    for number, path in enumerate(mappings):
        try:
            loaded.append(load_checked(path, functions, args.validate_source if number == 0 else None))
        except MappingError as error:  # the CLI reports it; mapper check may know of more faults than this one
            streams.stderr.write(other_faults(path, error, functions))
            raise
    steps = [step for step, _ in loaded]
    if len(steps) == 1:
        mapping = steps[0]
    else:
        from ..chains import chain

        mapping = chain(*steps)
    if any([report_findings(path, findings, args, streams) for path, (_, findings) in zip(mappings, loaded)]):
        return EXIT_USAGE
    input_format, stdin = args.input_format, streams.stdin
    if _sniffs_stdin(args, mapping):
        from ._stdin import sniff

        input_format, stdin = sniff(stdin)
    progress = Progress(streams.stderr, args.inputs, jobs=args.jobs or 1)
    counts = convert_files(
        mapping, args.inputs, streams.stdout if args.output == "-" else args.output,
        rejects=streams.stdout if args.rejects == "-" else args.rejects, input_format=input_format,
        output_format=args.output_format, records=args.records, jobs=args.jobs or 1, fail_fast=args.fail_fast,
        max_rejects=args.max_rejects, stdin=stdin, observer=progress, debug=args.debug,
        xml_limits=xml_limits(args), indent=None if args.compact or args.indent == 0 else args.indent,
        csv=csv_dialect(args))
    return finish(streams, "convert", counts, started=progress.started, verbs=("written", "rejected"),
                  rejects=args.rejects, quiet=args.quiet)


def _sniffs_stdin(args: argparse.Namespace, mapping: Mapping) -> bool:
    """Whether standard input, the only input, is JSON by default and may be NDJSON (``mapper.cli._stdin``)."""
    return (args.inputs == ["-"] and args.input_format is None and args.records is None
            and mapping.spec.source.format == "json")


#: What ``mapper check`` finds wrong in a mapping: its errors as ``check`` prints them, and how many.
Findings = tuple[str, int]


def load_checked(path: str, functions: list[Any], validate_source: bool | None) -> tuple[Mapping, Findings]:
    """The mapping at ``path`` and the errors ``mapper check`` finds in it; from the load cache
    (``mapper.load_cache``) unless user functions, which the cache cannot see change, are in play."""
    if functions:
        from ..mapping import load

        mapping = load(path, functions=functions, validate_source=validate_source)
        return mapping, check_findings(path, mapping)
    from .. import load_cache

    return load_cache.load(path, lambda mapping: check_findings(path, mapping), validate_source=validate_source)


def other_faults(path: str, error: MappingError, functions: list[Any]) -> str:
    """What ``mapper check`` prints of the mapping at ``path`` that did not load, when it finds errors beyond the
    one the load stopped at (every unknown function, not just the first); else nothing."""
    from ..tooling.check import FORMATS, check_file

    try:
        errors = [diagnostic for diagnostic in check_file(path, functions=functions) if diagnostic.fails]
    except MapperError:  # the check cannot read it either: the load's error says it all
        return ""
    at = error.location
    others = [diagnostic for diagnostic in errors
              if at is None or (diagnostic.location.line, diagnostic.location.column) != (at.line, at.column)]
    # One error is the load's own (a missing file, too large, ...), whatever place each gives it.
    return FORMATS["text"](errors) if len(errors) > 1 and others else ""


def check_findings(path: str, mapping: Mapping) -> Findings:
    """The errors ``mapper check`` finds in ``mapping`` (loaded from ``path``), written as ``check`` writes them.

    Warnings are left to ``mapper check``: a conversion only hears of what makes records come out wrong.
    """
    from ..tooling.check import FORMATS, check_file

    errors = [diagnostic for diagnostic in check_file(path, loaded=mapping) if diagnostic.fails]
    return FORMATS["text"](errors), len(errors)


def report_findings(path: str, findings: Findings, args: argparse.Namespace, streams: Streams) -> bool:
    """Write ``findings`` to standard error; whether ``--strict`` makes them stop the run before any input is read."""
    text, count = findings
    streams.stderr.write(text)
    if count and args.strict:
        streams.stderr.write(f"mapper: error: mapper check finds {count} error{'s' if count != 1 else ''}"
                             f" in {path}: with --strict nothing is converted\n")
    return bool(count) and args.strict


def check_fails(path: str, mapping: Mapping, args: argparse.Namespace, streams: Streams) -> bool:
    """Write the errors ``mapper check`` finds in ``mapping`` (loaded from ``path``) to standard error, as
    ``check`` writes them; whether ``--strict`` makes them stop the run before any input is read."""
    return report_findings(path, check_findings(path, mapping), args, streams)


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
    if args.compact or args.indent != 2:
        raise UsageError("--compact and --indent lay out JSON: --engine dask writes NDJSON parts")
    if xml_limits(args) != XmlLimits():
        raise UsageError("--xml-max-attributes and --xml-max-elements do not apply to --engine dask")
    if args.functions or args.validate_source is not None:
        raise UsageError("--functions and --(no-)validate-source do not apply to --engine dask")
    if args.rejects is not None and os.path.normpath(args.rejects) == os.path.normpath(args.output):
        raise UsageError("--rejects and --output name the same directory")
    try:
        from .. import dask as on_dask
    except ImportError as error:  # the message says: pip install 'mapper[dask]'
        raise UsageError(str(error)) from error
    from ..mapping import load

    mapping = load(args.mapping)  # a broken mapping is reported once, before check and before a cluster starts
    if check_fails(args.mapping, mapping, args, streams):
        return EXIT_USAGE
    rejects = args.rejects or f"{args.output.rstrip('/')}/_rejects"
    counts = on_dask.convert_files(
        args.mapping, args.inputs, args.output, rejects, scheduler=args.scheduler,
        workers=args.jobs,  # None (no --jobs): one worker per core
        input_format=args.input_format, records=args.records, block_size=args.block_size * 1024 * 1024,
        overwrite=args.overwrite)
    for message in counts.broken_inputs:
        streams.stderr.write(f"mapper: error: {message}\n")
    if not args.quiet:
        streams.stderr.write(f"mapper convert: {counts.read} records read, {counts.written} written "
                             f"(in {args.output}), {counts.rejected} rejected (in {rejects}), "
                             f"{counts.partitions} partitions on Dask\n")
    if counts.broken_inputs:
        return EXIT_INPUT
    return EXIT_REJECTS if counts.rejected else EXIT_OK


__all__ = ["EXIT_INPUT", "add_parser", "execute"]
