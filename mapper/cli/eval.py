"""``mapper eval``: evaluate one expression against one JSON document, without a mapping or schemas."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK, Streams, UsageError
from .check import add_functions_option, user_functions

EXAMPLE = """\
examples:
  mapper eval 'Emails[?IsPrimary] | [0].Address' contact.json
  curl -s https://api.example/contacts/1 | mapper eval 'upper(LastName)' -r
  mapper eval -n 'join(`", "`, `["a", "b"]`)'

exit codes: 0 the result is printed; 2 usage error, or the expression does not compile or cannot be
evaluated on the document (the message points at the column); 3 the input cannot be read or is not JSON.
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "eval", help="evaluate one expression against a JSON document", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Evaluate one JMESPath expression, with every function a mapping can call, against one "
                    "JSON document, and print the result as JSON: a way to try an expression without a "
                    "mapping and two schemas. The document is the record, as root() sees it.",
    )
    parser.add_argument("expression", metavar="EXPRESSION", help="the JMESPath expression")
    parser.add_argument("input", nargs="?", metavar="INPUT",
                        help="a JSON file; - or none for standard input")
    parser.add_argument("-n", "--null-input", action="store_true",
                        help="read no input: evaluate against null (for expressions of literals)")
    parser.add_argument("-c", "--compact", action="store_true", help="print the result on one line")
    parser.add_argument("-r", "--raw-output", action="store_true",
                        help="print a string result as its text, without quotes")
    add_functions_option(parser)
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    if args.null_input and args.input is not None:
        raise UsageError("give INPUT or --null-input, not both")
    from ..errors import EvaluationError, RecordError  # the expression machinery, only for this command
    from ..expressions import compile
    from ..formats.json import dumps

    expression = compile(args.expression, functions=user_functions(args.functions))
    result = expression.search(None if args.null_input else _document(args.input, streams))
    if args.raw_output and isinstance(result, str):
        text = result.encode("utf-8")
    else:
        try:
            text = dumps(result, indent=not args.compact)
        except RecordError as error:  # NaN or an infinity, from arithmetic on large numbers
            problem = error.problems[0].message
            raise EvaluationError(f"the result {problem}", args.expression) from error
    streams.stdout.write(text + b"\n")
    return EXIT_OK


def _document(path: str | None, streams: Streams) -> Any:
    """The JSON document at ``path`` (standard input for None or ``-``); raises ``PayloadSyntaxError``."""
    from ..formats.json import loads, syntax_error

    if path is None or path == "-":
        source, data = "<stdin>", streams.stdin.read()
    else:
        with open(path, "rb") as stream:
            source, data = path, stream.read()
    try:
        return loads(data)
    except ValueError as error:
        raise syntax_error(error, source) from error
