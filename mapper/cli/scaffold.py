"""``mapper scaffold``: draft a mapping file from a source and a target schema."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, Streams, UsageError

EXAMPLE = """\
examples:
  mapper scaffold schemas/crm/contact.schema.json schemas/marketing/member.schema.json -o mappings/contact.yaml
  mapper scaffold source.schema.json target.schema.json --source-format xml > draft.yaml

exit codes: 0 the draft is written; 2 usage error, -o names a file that exists (give --force), or a
schema cannot be read.
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "scaffold", help="draft a mapping file from two schemas", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Write a first mapping file: every target field in target order, read from the source field "
                    "that matches it by name (case, _/-/camelCase, common synonyms) and by a type mapper "
                    "converts, with a comment saying how sure each guess is; nested objects and arrays of "
                    "objects as nested rules; a `todo` rule for each field left to write, which `mapper check` "
                    "lists. The draft loads as it is.",
    )
    parser.add_argument("source_schema", metavar="SOURCE_SCHEMA", help="the JSON Schema of the records read")
    parser.add_argument("target_schema", metavar="TARGET_SCHEMA", help="the JSON Schema of the records built")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the draft here (default: standard output)")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.add_argument("--name", help="the mapping's name (default: SOURCE-to-TARGET from the file names)")
    parser.add_argument("--source-format", choices=("json", "ndjson", "xml"), default="json",
                        help="the source side's format (default: json)")
    parser.add_argument("--target-format", choices=("json", "ndjson", "xml"), default="json",
                        help="the target side's format (default: json)")
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..engine.output import AtomicOutput  # only for this command
    from ..schemas import load_schema
    from ..tooling.scaffold import mapping_name, scaffold, tally

    source_path, target_path = Path(args.source_schema), Path(args.target_schema)
    output = Path(args.output) if args.output else None
    if output is not None and output.exists() and not args.force:
        raise UsageError(f"{output} exists: give --force to replace it")
    base = (output.parent if output is not None else Path.cwd()).resolve()
    draft = scaffold(
        load_schema(source_path), load_schema(target_path),
        name=args.name or mapping_name(source_path, target_path),
        source_schema=_relative(source_path, base), target_schema=_relative(target_path, base),
        source_format=args.source_format, target_format=args.target_format,
    )
    text = draft.yaml()
    if output is None:
        streams.stdout.write(text.encode("utf-8"))
    else:
        with AtomicOutput(output) as written:  # whole or not at all, as every output of mapper
            written.stream.write(text.encode("utf-8"))
            written.commit()
    streams.stderr.write(f"mapper scaffold: {tally(draft.rules)}{f' in {output}' if output else ''}\n")
    return EXIT_OK


def _relative(path: Path, base: Path) -> str:
    """``path`` as the mapping file names it: relative to the file's folder, with forward slashes."""
    return Path(os.path.relpath(path.resolve(), base)).as_posix()
