"""``mapper test``: run the fixture cases kept beside each mapping (docs/ci.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, EXIT_REJECTS, Streams, UsageError
from .check import add_functions_option, user_functions

DEFAULT_DIRECTORY = "mappings"

EXAMPLE = """\
examples:
  mapper test                                    the fixtures of every mapping under mappings/
  mapper test mappings/crm-contact-to-member.yaml -v
  mapper test --update                           write actual outputs as expectations, for review

fixtures: mappings/NAME.fixtures/CASE.input.json (or .ndjson/.jsonl, .xml) with CASE.expected.json
(the output; key order counts with --strict-order) or CASE.reject.txt (fragments the rejection must mention)
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "test", help="run the fixture cases beside each mapping", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Convert each fixture input with its mapping and compare with the expected output "
                    "or the expected rejection. Prints a diff for each failure and ends with one line: "
                    "N passed, N failed.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help=f"mapping files or directories (default: every mapping under {DEFAULT_DIRECTORY}/)")
    parser.add_argument("--update", action="store_true",
                        help="write the actual output of each converting case as its CASE.expected.json")
    parser.add_argument("--strict-order", action="store_true",
                        help="fail an output whose keys come in another order than the expected file's "
                             "(by default values are compared, as JSON compares them)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    add_functions_option(parser)
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..tooling.check import find_mappings  # the checker and the fixtures only for this command
    from ..tooling.fixtures import orphans, run_fixtures

    paths = args.paths or [DEFAULT_DIRECTORY]
    if not args.paths and not Path(DEFAULT_DIRECTORY).is_dir():
        raise UsageError(f"no {DEFAULT_DIRECTORY}/ directory here: name the mappings to test")
    mappings = find_mappings(paths)
    missing = [str(path) for path in mappings if not path.is_file()]
    if missing:
        raise UsageError(f"no such mapping file: {', '.join(missing)}")
    out = streams.stdout
    passed = failed = 0
    for result in run_fixtures(mappings, update=args.update, functions=user_functions(args.functions),
                               strict_order=args.strict_order):
        if result.passed:
            passed += 1
            if result.updated:
                out.write(f"updated {result.case.label}: {result.reason}\n".encode())
            elif args.verbose:
                out.write(f"ok      {result.case.label}\n".encode())
            continue
        failed += 1
        text = f"FAILED  {result.case.label} ({result.case.input_path}): {result.reason}\n"
        if result.details:
            text += result.details.rstrip("\n") + "\n"
        out.write(text.encode("utf-8"))
    for mapping in mappings:
        for orphan in orphans(mapping):
            streams.stderr.write(f"mapper test: warning: {orphan} has no input file beside it\n")
    out.write(f"{passed} passed, {failed} failed\n".encode())
    return EXIT_REJECTS if failed else EXIT_OK
