"""``mapper check``: static analysis of mapping files against their schemas."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, EXIT_REJECTS, Streams, UsageError

DEFAULT_DIRECTORY = "mappings"

EXAMPLE = """\
examples:
  mapper check                                   every mapping under mappings/
  mapper check mappings/crm-contact-to-member.yaml --unused
  mapper check --format github --strict          in a GitHub workflow

codes: M1xx the mapping file, M2xx the target side, M3xx the source side, W4xx warnings
(docs/ci.md explains each)
"""


#: The names of ``tooling.check.FORMATS`` (a test holds them equal): the checker itself is imported only to
#: check, not for every command's start-up.
REPORT_FORMATS = ("github", "json", "text")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "check", help="check mapping files against their schemas", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Check mapping files statically: the file format, every expression, what the rules "
                    "read against the source schema and what they write against the target schema. "
                    "Prints every problem as file:line:column, code and message; exits 1 on any error.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help=f"mapping files or directories (default: every mapping under {DEFAULT_DIRECTORY}/)")
    parser.add_argument("--format", choices=REPORT_FORMATS, default="text",
                        help="text (default), json, or github (workflow annotations)")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.add_argument("--unused", action="store_true", help="warn about source fields no rule reads (W401)")
    add_functions_option(parser)
    parser.set_defaults(execute=execute)
    return parser


def add_functions_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--functions", action="append", default=[], metavar="MODULE",
                        help="import your own JMESPath functions from MODULE (its @jmespath_function "
                             "functions), as your code passes them to mapper.load(functions=...)")


def user_functions(modules: list[str]) -> list[Any]:
    """The functions declared with ``@jmespath_function`` in the named modules."""
    from ..functions import FunctionSpec

    found: list[Any] = []
    if modules and "" not in sys.path:
        sys.path.insert(0, "")  # modules of the project being checked
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as error:
            raise UsageError(f"cannot import functions module {name!r}: {error}") from error
        for value in vars(module).values():
            if isinstance(value, FunctionSpec) or (callable(value) and hasattr(value, "__jmespath_function__")):
                found.append(value)
    return found


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..tooling.check import FORMATS, Totals, check_file, find_mappings

    paths = args.paths or [DEFAULT_DIRECTORY]
    if not args.paths and not Path(DEFAULT_DIRECTORY).is_dir():
        raise UsageError(f"no {DEFAULT_DIRECTORY}/ directory here: name the mapping files to check")
    files = find_mappings(paths)
    if not files:
        raise UsageError(f"no mapping files (*.yaml) in {', '.join(paths)}")
    functions = user_functions(args.functions)
    diagnostics = [diagnostic for path in files
                   for diagnostic in check_file(path, unused=args.unused, functions=functions)]
    streams.stdout.write(FORMATS[args.format](diagnostics).encode("utf-8"))
    totals = Totals.of(diagnostics)  # findings a rule's ignore: silences are listed in JSON, never counted
    if args.format == "text":
        streams.stderr.write(f"{len(files)} mapping{'s' if len(files) != 1 else ''} checked: {totals}\n")
    failed = totals.errors > 0 or (args.strict and totals.warnings > 0)
    return EXIT_REJECTS if failed else EXIT_OK
