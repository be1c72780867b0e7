"""What the command modules share: exit codes, the streams, usage errors, the streaming options."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import IO

EXIT_OK, EXIT_REJECTS, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3

FORMAT_CHOICES = ("json", "ndjson", "xml")


@dataclass(frozen=True)
class Streams:
    """Standard input, output (bytes) and error (text) of one run."""

    stdin: IO[bytes]
    stdout: IO[bytes]
    stderr: IO[str]


class UsageError(Exception):
    """The command line asks for something that cannot be done; exit code 2."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so temporary files are removed."""


def _whole_number(text: str, minimum: int, meaning: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(meaning)
    return value


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    return _whole_number(text, 1, "must be at least 1")


def jobs(text: str) -> int:
    """An argparse type for ``--jobs``: a number of processes, 0 for one per core."""
    return _whole_number(text, 0, "must be 0 (one per core) or more") or os.cpu_count() or 1


def add_stream_options(parser: argparse.ArgumentParser) -> None:
    """The options ``convert`` and ``validate`` share: input format, rejects, stopping, jobs."""
    parser.add_argument("--from", dest="input_format", choices=FORMAT_CHOICES, metavar="FORMAT",
                        help="input format: json, ndjson or xml (default: from the file name "
                             ".json/.ndjson/.jsonl/.xml, else the mapping's)")
    parser.add_argument("--records", metavar="WHERE",
                        help="where the records are: for JSON a JMESPath expression giving an array "
                             "(e.g. data.items), for XML the path of the record element (e.g. /feed/item); "
                             "default: the mapping's")
    parser.add_argument("--rejects", metavar="FILE",
                        help="write each failed record as one NDJSON line to FILE (docs/cli.md); "
                             "without it failed records are reported on standard error")
    stop = parser.add_mutually_exclusive_group()
    stop.add_argument("--fail-fast", action="store_true", help="stop at the first failed record")
    stop.add_argument("--max-rejects", type=positive, metavar="N", help="stop after the Nth failed record")
    parser.add_argument("-j", "--jobs", type=jobs, default=None, metavar="N",
                        help="worker processes (default 1; 0: one per core); pays off for large NDJSON and "
                             "XML inputs; output order is kept")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line at the end")
