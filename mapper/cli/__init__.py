"""The ``mapper`` command: a thin shell over the library.

Only this package prints or exits. ``run(argv, stdin, stdout, stderr)`` returns
the exit code, so tests can call it without a subprocess; ``main()`` is the
console-script entry point. Each command lives in a module of its own that
offers ``add_parser(commands)`` and ``execute(args, streams) -> int``.

Exit codes: 0 success; 1 some records rejected (or checks failed); 2 usage or
mapping-file error; 3 input unreadable. Every error is one line on standard
error; ``--debug`` adds the traceback (for ``convert``, also the tracebacks of
what the rules of each rejected record raised). An unexpected exception (a
bug) is one line too, exit code 2, asking for ``--debug``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import IO, Any, NoReturn

try:  # most of a start-up: a Ctrl-C meanwhile ends it as one later would, without a traceback
    from .. import __version__
    from ..errors import ConversionError, MapperError, MappingError, PayloadError
    from ._common import EXIT_INPUT, EXIT_USAGE, Streams, Terminated, UsageError, in_flags
except KeyboardInterrupt:
    sys.stderr.write("mapper: interrupted\n")
    raise SystemExit(130) from None

#: The commands in the order ``--help`` lists them, by module of this package (``precommit`` is ``pre-commit``);
#: a run imports its own alone.
COMMANDS = ("convert", "validate", "check", "test", "fuzz", "schema", "eval", "explain", "lineage", "scaffold",
            "drift", "serve", "playground", "completion", "precommit")


class _Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of exiting, so ``run`` stays testable; ``commands`` are its
    subcommands' parsers, by name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def build_parser(only: str | None = None) -> _Parser:
    """The parser of the whole command line; with ``only``, of the command named so alone, when one is (see
    ``parser_for``)."""
    parser = _Parser(prog="mapper", description="Declarative data mapping between JSON Schemas.")
    parser.add_argument("--version", action="version", version=f"mapper {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for name in COMMANDS:
        if only is not None and name != only.replace("-", ""):
            continue
        sub = import_module(f"{__name__}.{name}").add_parser(commands)
        rules = ", and of what the rules of a rejected record raised" if name == "convert" else ""
        sub.add_argument("--debug", action="store_true", help=f"show the traceback of an error{rules}")
        parser.commands[sub.prog.split()[-1]] = sub
    return parser


def parser_for(argv: Sequence[str]) -> _Parser:
    """A parser that reads ``argv`` as ``build_parser()`` does: of the command ``argv`` starts with alone (building
    every command's parser is a twentieth of a one-record conversion), else of all (for ``--help``, ``--version``
    or a misspelt command, whose message lists them all)."""
    if argv and not argv[0].startswith("-"):
        parser = build_parser(only=argv[0])
        if argv[0] in parser.commands:
            return parser
    return build_parser()


def parse(parser: _Parser, argv: list[str]) -> argparse.Namespace:
    """The arguments of ``argv``, options anywhere among a command's positionals (``mapper convert
    MAPPING -o OUT INPUT``), as ``parse_intermixed_args`` reads them, which subcommands cannot use."""
    found, _ = parser.parse_known_args(argv)
    args = parser.commands[found.command].parse_intermixed_args(argv[argv.index(found.command) + 1:])
    args.command = found.command
    return args


def run(argv: Sequence[str], stdin: IO[bytes], stdout: IO[bytes], stderr: IO[str]) -> int:
    """Run the command line ``argv``; return the exit code."""
    streams = Streams(stdin, stdout, stderr)
    parser = parser_for(argv)
    try:
        args = parse(parser, list(argv))
    except UsageError as error:
        stderr.write(f"{error}\n(see mapper --help)\n")
        return EXIT_USAGE
    except _Exit as done:
        return done.status
    try:
        status: int = args.execute(args, streams)
        return status
    except UsageError as error:
        stderr.write(f"mapper: error: {error}\n")
        return EXIT_USAGE
    except MappingError as error:
        _report(stderr, error, args.debug)
        return EXIT_USAGE
    except BrokenPipeError:
        raise  # the reader of our output went away (| head): main() ends quietly
    except (PayloadError, OSError) as error:
        _report(stderr, error, args.debug)
        return EXIT_INPUT
    except ConversionError as error:
        _report(stderr, error, args.debug, in_flags(error))
        return EXIT_USAGE
    except MapperError as error:
        _report(stderr, error, args.debug)
        return EXIT_USAGE
    except Exception as error:  # a bug: still one line, unless --debug
        if args.debug:
            _write_traceback(stderr, error)
        stderr.write(f"mapper: internal error: {type(error).__name__}: {error} "
                     f"(run again with --debug for the traceback, and report it)\n")
        return EXIT_USAGE


def _report(stderr: IO[str], error: BaseException, debug: bool, message: str | None = None) -> None:
    if debug:
        _write_traceback(stderr, error)
    if message is None:
        message = f"{error.filename}: {error.strerror}" if isinstance(error, OSError) and error.filename else str(error)
    stderr.write(f"mapper: error: {message}\n")


def _write_traceback(stderr: IO[str], error: BaseException) -> None:
    import traceback  # --debug alone prints one: a start-up does not import it

    stderr.write("".join(traceback.format_exception(error)))


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(run(sys.argv[1:], sys.stdin.buffer, sys.stdout.buffer, sys.stderr))
    except KeyboardInterrupt:
        sys.stderr.write("mapper: interrupted\n")
        sys.exit(130)
    except Terminated:
        sys.stderr.write("mapper: terminated\n")
        sys.exit(143)
    except BrokenPipeError:
        # The reader went away (| head): say nothing, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()

