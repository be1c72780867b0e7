"""What the command modules share: exit codes, the streams, usage errors, the streaming options, the summary."""

from __future__ import annotations

import argparse
import codecs
import os
import time
from typing import IO, TYPE_CHECKING, NamedTuple

from ..formats import FORMAT_NAMES, MAX_ATTRIBUTES, MAX_ELEMENTS, XmlLimits

if TYPE_CHECKING:
    from ..engine import Counts
    from ..errors import ConversionError
    from ..formats.csv_read import CsvDialect

EXIT_OK, EXIT_REJECTS, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3


class Streams(NamedTuple):
    """Standard input, output (bytes) and error (text) of one run."""

    stdin: IO[bytes]
    stdout: IO[bytes]
    stderr: IO[str]


class UsageError(Exception):
    """The command line asks for something that cannot be done; exit code 2."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so temporary files are removed."""


#: The option of ``mapper convert`` and ``mapper validate`` that gives each parameter of the engine.
FLAGS = {"input_format": "--from", "output_format": "--to"}


def in_flags(error: ConversionError) -> str:
    """The message of ``error``, advising the command-line option where the engine names its parameter."""
    if error.parameter not in FLAGS:
        return str(error)
    return error.advice(f"{FLAGS[error.parameter]} ", error.values)


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
    parser.add_argument("--from", dest="input_format", choices=FORMAT_NAMES, metavar="FORMAT",
                        help="input format: json, ndjson, xml, csv or tsv (default: from the file name "
                             ".json/.ndjson/.jsonl/.xml/.csv/.tsv, else the mapping's)")
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
    parser.add_argument("--xml-max-attributes", type=positive, default=MAX_ATTRIBUTES, metavar="N",
                        help=f"refuse an XML record with an element of more than N attributes "
                             f"(default {MAX_ATTRIBUTES})")
    parser.add_argument("--xml-max-elements", type=positive, default=MAX_ELEMENTS, metavar="N",
                        help=f"refuse an XML document at a record of more than N elements (default {MAX_ELEMENTS:,})")
    parser.add_argument("--delimiter", type=one_character, metavar="CHAR",
                        help="CSV: the cell delimiter (tab: '\\t'; default: sniffed when reading, ',' when writing)")
    parser.add_argument("--quotechar", type=one_character, metavar="CHAR",
                        help="CSV: the quote character (default '\"')")
    parser.add_argument("--encoding", type=encoding, default="utf-8", metavar="CODEC",
                        help="CSV: the text encoding, e.g. cp1252 (default utf-8; a byte order mark is skipped)")


def one_character(text: str) -> str:
    """An argparse type: one character (``\\t`` or ``tab`` for a tab)."""
    text = "\t" if text in ("\\t", "tab") else text
    if len(text) != 1:
        raise argparse.ArgumentTypeError(f"one character, not {text!r}")
    return text


def encoding(text: str) -> str:
    """An argparse type: the name of a text encoding Python knows."""
    try:
        codecs.lookup(text)
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {text!r}") from None
    return text


def csv_dialect(args: argparse.Namespace) -> CsvDialect | None:
    """The CSV layout of ``--delimiter``, ``--quotechar`` and ``--encoding``; None when none is given (each
    format's own layout, so a run without CSV need not import the CSV reader)."""
    if args.delimiter is None and args.quotechar is None and args.encoding == "utf-8":
        return None
    from ..formats.csv_read import CsvDialect

    return CsvDialect(delimiter=args.delimiter, quotechar=args.quotechar, encoding=args.encoding)


def xml_limits(args: argparse.Namespace) -> XmlLimits:
    """The limits of ``--xml-max-attributes`` and ``--xml-max-elements``."""
    return XmlLimits(args.xml_max_attributes, args.xml_max_elements)


def finish(streams: Streams, command: str, counts: Counts, *, started: float, verbs: tuple[str, str],
           rejects: str | None, quiet: bool) -> int:
    """Write the summary (unless ``quiet``) and why a run stopped early; return the exit code.

    ``started`` is the ``time.monotonic()`` of the run's start.
    """
    if not quiet:
        streams.stderr.write(summary(command, counts, started=started, verbs=verbs, rejects=rejects))
    if counts.stopped:
        streams.stderr.write(f"mapper {command}: stopped after {counts.rejected} {verbs[1]} "
                             f"record{'s' if counts.rejected != 1 else ''}; the records after it were not read\n")
    if counts.broken_inputs:
        return EXIT_INPUT
    return EXIT_REJECTS if counts.rejected else EXIT_OK


def summary(command: str, counts: Counts, *, started: float, verbs: tuple[str, str], rejects: str | None) -> str:
    """The last line on standard error: counts, time and rate."""
    elapsed = time.monotonic() - started
    rate = counts.read / elapsed if elapsed > 0 else 0.0
    good, bad = verbs
    where = f" (in {rejects})" if rejects and counts.rejected else ""
    text = (f"mapper {command}: {counts.read:,} record{'s' if counts.read != 1 else ''} read, "
            f"{counts.written:,} {good}, {counts.rejected:,} {bad}{where} in {elapsed:.2f} s ({rate:,.0f} records/s)")
    if broken := len(counts.broken_inputs):
        text += f"; {broken} input{'s' if broken != 1 else ''} could not be read to the end"
    return text + "\n"
