"""``mapper explain``: how one record becomes its output, rule by rule."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from ..formats import FORMAT_NAMES
from ._common import EXIT_OK, EXIT_REJECTS, Streams, positive
from .check import add_functions_option, user_functions

if TYPE_CHECKING:
    from ..mapping import Mapping

EXAMPLE = """\
examples:
  mapper explain mappings/crm-contact-to-member.yaml contact.json
  mapper explain mappings/crm-contact-to-member.yaml contacts.ndjson --record 3 --format json

exit codes: 0 the record converts; 1 it is rejected (the trace says why); 2 usage error or the mapping
does not load; 3 the input cannot be read, or has no record N (docs/lineage.md)
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "explain", help="trace how one record is mapped, rule by rule", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Map one record of INPUT and show, for each target field, its rule (file:line), the "
                    "source paths it read with their values, the value before and after lookup, default "
                    "and conversion, and, for a field left out, why.",
    )
    parser.add_argument("mapping", metavar="MAPPING", help="the mapping file")
    parser.add_argument("input", metavar="INPUT", help="the input file; - for standard input")
    parser.add_argument("--record", type=positive, default=1, metavar="N",
                        help="the record to explain, counted from 1 as --rejects counts them (default 1)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or json (docs/lineage.md)")
    parser.add_argument("--field", default="", metavar="POINTER",
                        help="only the rules writing this output field (a JSON pointer, e.g. /merge_fields) "
                             "and the fields inside it")
    parser.add_argument("--from", dest="input_format", choices=FORMAT_NAMES, metavar="FORMAT",
                        help="input format: json, ndjson or xml (default: from the file name, else the mapping's)")
    add_functions_option(parser)
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..formats import format_of_path  # the tracer, only for this command
    from ..mapping import load
    from ..tooling.explain import explain
    from ..tooling.explain_text import explanation_text

    mapping = load(args.mapping, functions=user_functions(args.functions))
    stdin = args.input == "-"
    fmt = args.input_format or (None if stdin else format_of_path(args.input)) or mapping.spec.source.format
    source = "<stdin>" if stdin else args.input
    record = _record(mapping, fmt, source, args.record, streams)
    explanation = explain(mapping, record, args.record)
    if not explanation.matches:  # a bug in the trace: say so rather than explain something else
        raise RuntimeError("the trace does not build what the engine builds for this record")
    explanation = explanation.below(args.field)
    if args.format == "json":
        text = json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False, default=repr) + "\n"
    else:
        text = explanation_text(explanation, source)
    streams.stdout.write(text.encode("utf-8"))
    return EXIT_OK if explanation.result.ok else EXIT_REJECTS


def _record(mapping: Mapping, fmt: str, source: str, number: int, streams: Streams) -> Any:
    """Record ``number`` of the input, read as ``mapper convert`` reads it; ``PayloadError`` when it cannot be read
    or there is none."""
    from ..errors import PayloadError
    from ..formats import source_reader

    reader = source_reader(mapping, fmt)
    stream = streams.stdin if source == "<stdin>" else open(source, "rb")
    count = 0
    try:
        for count, record in enumerate(reader.records(stream, source), 1):
            if count == number:
                if isinstance(record, PayloadError):
                    raise record
                return record
    finally:
        if stream is not streams.stdin:
            stream.close()
    held = f"{count} record{'s' if count != 1 else ''}"
    raise PayloadError(f"there is no record {number}: the input holds {held}", source=source)
