"""``mapper schema``: print the JSON Schema of the mapping-file format, for editors and validators."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, Streams

EXAMPLE = """\
examples:
  mapper schema > .vscode/mapping.schema.json     for the VS Code YAML extension (yaml.schemas)
  mapper schema | diff - .vscode/mapping.schema.json   in CI: the project's copy is current

The schema's $id names the version of the format; docs/mapping-format.md shows the editor set-up.
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "schema", help="print the JSON Schema of mapping files", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Print the JSON Schema (draft 2020-12) of the mapping-file format, the one mapper checks "
                    "every mapping file against, so that an editor can complete and check mapping files "
                    "in any project.",
    )
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..mapping_file import mapping_file_text  # the loader, only when run

    streams.stdout.write(mapping_file_text().encode("utf-8"))
    return EXIT_OK
