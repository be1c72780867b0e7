"""``mapper validate``: check payloads against a schema, or a mapping's source or target schema."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._common import Streams, add_stream_options, csv_dialect, finish, xml_limits

if TYPE_CHECKING:
    from ..mapping import Mapping

EXAMPLE = """\
examples:
  mapper validate schemas/crm/contact.schema.json mappings/crm-contact-to-member.fixtures/full-contact.input.json
  mapper validate mappings/crm-contact-to-member.yaml contacts.ndjson --rejects invalid.ndjson
  mapper convert mappings/crm-contact-to-member.yaml contacts.ndjson --to ndjson \\
    | mapper validate mappings/crm-contact-to-member.yaml --side target --from ndjson

exit codes: 0 every record valid; 1 some records invalid; 2 usage, schema or mapping-file error;
3 input unreadable.
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "validate", help="validate payloads against a schema", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Validate every input record against a JSON Schema file, or against the source (default) "
                    "or target schema of a mapping file. Invalid records go to --rejects, or are reported on "
                    "standard error, with every violation; a summary ends the run. Nothing goes to standard "
                    "output.",
    )
    parser.add_argument("schema", metavar="SCHEMA_OR_MAPPING",
                        help="a JSON Schema file, or a mapping file (YAML, or JSON with a 'mapping' key)")
    parser.add_argument("inputs", nargs="*", default=["-"], metavar="INPUT",
                        help="input files; - or none for standard input")
    parser.add_argument("--side", choices=("source", "target"), default="source",
                        help="with a mapping: validate against its source (default) or target schema")
    add_stream_options(parser)
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..engine.files import validate_files  # the engine, only when run
    from ..schemas import load_schema
    from ._progress import Progress

    mapping = _mapping_or_none(args.schema)
    if mapping is not None:
        schema = mapping.source_schema if args.side == "source" else mapping.target_schema
        stage = args.side
    else:
        schema = load_schema(args.schema)
        stage = "schema"
    progress = Progress(streams.stderr, args.inputs, jobs=args.jobs or 1)
    counts = validate_files(
        schema, stage, args.inputs, mapping=mapping, input_format=args.input_format, records=args.records,
        rejects=streams.stdout if args.rejects == "-" else args.rejects, jobs=args.jobs or 1,
        max_rejects=1 if args.fail_fast else args.max_rejects, stdin=streams.stdin, observer=progress,
        xml_limits=xml_limits(args), csv=csv_dialect(args))
    return finish(streams, "validate", counts, started=progress.started, verbs=("valid", "invalid"),
                  rejects=args.rejects, quiet=args.quiet)


def _mapping_or_none(path: str) -> Mapping | None:
    """The mapping when ``path`` is a mapping file (YAML, or JSON with ``mapping`` and ``source``)."""
    from ..documents import load_document
    from ..errors import MappingError
    from ..mapping import load

    if Path(path).suffix.lower() in (".yaml", ".yml"):
        return load(path)
    try:
        data = load_document(path).data
    except FileNotFoundError:
        raise MappingError(f"schema or mapping file not found: {path}") from None
    except OSError as error:
        raise MappingError(f"cannot read {path}: {error.strerror}") from error
    if isinstance(data, dict) and "mapping" in data and "source" in data and "rules" in data:
        return load(path)
    return None
