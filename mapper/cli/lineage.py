"""``mapper lineage``: which source paths feed which target fields, as a diagram, JSON or a page."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, Streams
from .check import add_functions_option, user_functions

#: The names of ``tooling.lineage_formats.FORMATS`` (a test holds them equal): the analysis is imported only for
#: this command, not for every command's start-up.
REPORT_FORMATS = ("mermaid", "dot", "json", "html")

EXAMPLE = """\
examples:
  mapper lineage mappings/crm-contact-to-member.yaml                 a Mermaid flowchart
  mapper lineage mappings/crm-contact-to-member.yaml --format dot | dot -Tsvg > lineage.svg
  mapper lineage mappings/crm-contact-to-member.yaml --format html > lineage.html

exit codes: 0 the lineage is printed; 2 usage error or the mapping does not load (docs/lineage.md)
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "lineage", help="show which source paths feed which target fields", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Read a mapping's rules, without any record, and print which source paths feed which "
                    "target fields, through which rule (file:line), with the context reads ($, root(), "
                    "parent(), $names, index()) and the lookup tables on the way, and the constants.",
    )
    parser.add_argument("mapping", metavar="MAPPING", help="the mapping file")
    parser.add_argument("--format", choices=list(REPORT_FORMATS), default="mermaid",
                        help="mermaid (default, a flowchart), dot (Graphviz), json, or html (a page that "
                             "works offline)")
    add_functions_option(parser)
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..mapping import load  # the analysis, only for this command
    from ..tooling.lineage import lineage_of
    from ..tooling.lineage_formats import FORMATS

    mapping = load(args.mapping, functions=user_functions(args.functions))
    streams.stdout.write(FORMATS[args.format](lineage_of(mapping)).encode("utf-8"))
    return EXIT_OK
