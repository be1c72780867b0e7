"""What the command modules share: exit codes, the streams, usage errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

EXIT_OK, EXIT_REJECTS, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3


@dataclass(frozen=True)
class Streams:
    """Standard input, output (bytes) and error (text) of one run."""

    stdin: IO[bytes]
    stdout: IO[bytes]
    stderr: IO[str]


class UsageError(Exception):
    """The command line asks for something that cannot be done; exit code 2."""
