"""``mapper drift``: what a new version of a schema breaks in a mapping, or in a schema's readers."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, EXIT_REJECTS, Streams, UsageError
from .check import add_functions_option, user_functions

#: The report formats of ``tooling.drift.report.FORMATS``, named here so that the parser need not import
#: the drift analysis (a test holds the two equal).
REPORT_FORMATS = ("text", "json", "github", "markdown")

EXAMPLE = """\
examples:
  mapper drift mappings/contact.yaml --source vendor/contact.v2.schema.json
  mapper drift mappings/contact.yaml --source new/contact.json --target new/member.json --format markdown
  mapper drift schemas/contact.v1.schema.json schemas/contact.v2.schema.json      the schema change alone

exit codes: 0 nothing breaks; 1 something breaks; 2 usage error, or the mapping or a schema cannot be read.
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "drift", help="report what new schema versions break in a mapping", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Report what new versions of a mapping's schemas do to its rules: rules that read removed "
                    "or renamed fields (with a did-you-mean), type and format changes of the fields they read, "
                    "enum values a lookup lacks, required target fields no rule writes, fields become nullable. "
                    "With two schema files and no mapping, report the change of the schema alone.",
    )
    parser.add_argument("subject", metavar="MAPPING | OLD_SCHEMA", help="the mapping file, or the old schema file")
    parser.add_argument("new_schema", metavar="NEW_SCHEMA", nargs="?",
                        help="the new schema file (with an old schema file, instead of a mapping)")
    parser.add_argument("--source", metavar="NEW_SOURCE_SCHEMA", help="the new version of the mapping's source schema")
    parser.add_argument("--target", metavar="NEW_TARGET_SCHEMA", help="the new version of the mapping's target schema")
    parser.add_argument("--format", choices=REPORT_FORMATS, default="text",
                        help="text (default), json, github (workflow annotations) or markdown (a pull-request "
                             "comment)")
    add_functions_option(parser)
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..tooling.drift import drift_of_mapping, drift_of_schemas  # only for this command
    from ..tooling.drift.report import FORMATS, summary

    with_mapping = args.source is not None or args.target is not None
    if with_mapping and args.new_schema is not None:
        raise UsageError("give a mapping with --source/--target, or two schema files, not both")
    if with_mapping:
        drift = drift_of_mapping(args.subject, source=args.source, target=args.target,
                                 functions=user_functions(args.functions))
    elif args.new_schema is not None:
        drift = drift_of_schemas(args.subject, args.new_schema)
    else:
        raise UsageError("give the new schemas of the mapping (--source, --target), or an old and a new schema file")
    streams.stdout.write(FORMATS[args.format](drift).encode("utf-8"))
    if args.format == "text":
        streams.stderr.write(f"mapper drift: {summary(drift)}\n")
    return EXIT_REJECTS if drift.breaking else EXIT_OK
