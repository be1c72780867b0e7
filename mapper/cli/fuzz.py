"""``mapper fuzz``: map generated source records and check the mapping agrees with its schemas."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, EXIT_REJECTS, Streams, positive
from .check import add_functions_option, user_functions

EXAMPLE = """\
examples:
  mapper fuzz mappings/crm-contact-to-member.yaml
  mapper fuzz mappings/crm-contact-to-member.yaml --examples 500 --seed 42
  mapper fuzz mappings/crm-contact-to-member.yaml --strict     every generated record must convert
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "fuzz", help="map generated source records and check the outputs", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Generate source records valid under the mapping's source schema, map each one, and "
                    "check that every output is valid under the target schema and that records are only "
                    "rejected for reasons the mapping states. On a failure, prints the minimal source "
                    "record, the rule at fault and the problem; exits 1.",
    )
    parser.add_argument("mapping", help="mapping file")
    parser.add_argument("--examples", type=positive, default=100, metavar="N",
                        help="how many records to generate (default 100)")
    parser.add_argument("--seed", type=int, default=None, metavar="S", help="seed, for a reproducible run")
    parser.add_argument("--strict", action="store_true", help="fail on any rejected record")
    add_functions_option(parser)
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from ..mapping import load
    from ..tooling.fuzzing import (  # hypothesis loads only for this command
        MappingInconsistency,
        check_mapping,
    )

    mapping = load(args.mapping, functions=user_functions(args.functions))
    try:
        report = check_mapping(mapping, examples=args.examples, seed=args.seed, strict=args.strict)
    except MappingInconsistency as failure:
        streams.stdout.write(f"FAILED {failure}\n".encode())
        return EXIT_REJECTS
    streams.stdout.write(f"{report.summary()}\nno inconsistency found\n".encode())
    return EXIT_OK
