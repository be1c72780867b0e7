"""Whole runs over files, as ``mapper convert`` and ``mapper validate`` do them.

``convert_files`` is the library's front door to the engine
(``mapper.convert_files``); ``validate_files`` is what ``mapper validate``
runs. Both resolve every input's format and reader, refuse an input that
cannot be opened before anything is written, and run the local runner.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeGuard

from ..errors import ConversionError
from ..formats import TABLE_FORMATS, RecordWriter, XmlLimits, check_format, format_of_path, writer
from ..mapping import Mapping, load
from .counts import Counts
from .local import Destination, Run
from .observer import Observer
from .sides import resolve_inputs, writer_options
from .tasks import ConvertTask, Task, ValidateTask
from .units import Input, check_readable, read_units

if TYPE_CHECKING:
    from ..formats.csv_read import CsvDialect

StrPath = str | os.PathLike[str]


def convert_files(
    mapping: Mapping | StrPath,
    inputs: Sequence[StrPath],
    output: Destination = None,
    *,
    rejects: Destination = None,
    input_format: str | None = None,
    output_format: str | None = None,
    records: str | None = None,
    jobs: int = 1,
    fail_fast: bool = False,
    max_rejects: int | None = None,
    stdin: IO[bytes] | None = None,
    observer: Observer | None = None,
    debug: bool = False,
    xml_limits: XmlLimits | None = None,
    indent: int | None = 2,
    csv: CsvDialect | None = None,
) -> Counts:
    """Convert ``inputs`` with ``mapping`` into ``output``, as ``mapper convert`` does; return the counts.

    ``mapping`` is a ``Mapping`` or the path of a mapping file. ``inputs`` are
    paths, ``-`` reading ``stdin`` (default: standard input); each has the
    format ``input_format``, else the one its name says, else the mapping's
    source format, and ``records`` says where the records are in JSON and XML
    documents (default: the mapping's). ``output`` is a path, written
    atomically (renamed into place at the end, removed on any error), or a
    binary stream (flushed, not closed); None is standard output. Its format is
    ``output_format``, else the one the path says, else the mapping's target
    format. Each rejected record becomes one NDJSON line in ``rejects`` (a
    path, written atomically and created even when empty, or a binary stream;
    docs/cli.md describes the line); with None rejects are only counted and
    told to ``observer.rejected``. ``fail_fast`` stops at the first reject,
    ``max_rejects`` at that many (``Counts.stopped``); ``jobs`` of 2 or more
    maps in that many worker processes, output order kept. With ``debug``,
    ``observer.raised`` is told the traceback of every exception a rule of a
    rejected record raised (without it, no record pays for that). ``xml_limits``
    bounds what an XML record may hold (default ``XmlLimits()``). JSON output is laid out as
    ``json.dumps(indent=indent)`` does (2 spaces a level; None: each record on one line). ``csv`` is the
    layout of CSV and TSV inputs and output (default: sniffed when reading; docs/csv.md).

    Raises ``MappingError`` for a bad mapping file, ``ConversionError`` for
    an input whose format cannot be told or an output that cannot be written,
    ``OSError`` for an input that cannot be opened (before anything is
    written). A JSON or XML input that breaks off does not raise: its message
    is in ``Counts.broken_inputs``, and the records before the fault are converted.
    """
    if fail_fast and max_rejects is not None:
        raise ValueError("give fail_fast or max_rejects, not both")
    if not isinstance(mapping, Mapping):
        mapping = load(os.fspath(mapping))
    # Only what the rules can see of what the source schema leaves open is read from XML.
    items = resolve_inputs([os.fspath(name) for name in inputs], input_format, records, mapping, "source",
                           xml_limits=xml_limits, csv=csv, read_for=mapping)
    check_readable(items)
    _refuse_clashes(items, output, rejects, stdin)
    if output_format is None:
        output_format = (format_of_path(os.fspath(output)) if _is_path(output) else None) \
            or mapping.spec.target.format
    check_format(output_format)  # before any file is opened
    options = writer_options(mapping, output_format)
    if output_format == "json":
        options["indent"] = indent
    if output_format in TABLE_FORMATS and csv is not None:
        options["csv"] = csv

    def make_writer() -> RecordWriter:
        # Known once the first record is read: a JSON or XML document that is one record gives one record back.
        single = len(items) == 1 and getattr(items[0].reader, "document_is_record", None) is True
        kwargs = {**options, "many": not single} if output_format == "json" else options
        return writer(output_format, **kwargs)

    return _run(ConvertTask(mapping, (output_format, options), debug=debug), make_writer, items,
                sys.stdout.buffer if output is None else output, rejects, jobs=jobs,
                max_rejects=1 if fail_fast else max_rejects, stdin=stdin, observer=observer)


def validate_files(schema: Any, stage: str, inputs: Sequence[str], *, mapping: Mapping | None = None,
                   input_format: str | None = None, records: str | None = None, rejects: Destination = None,
                   jobs: int = 1, max_rejects: int | None = None, stdin: IO[bytes] | None = None,
                   observer: Observer | None = None, xml_limits: XmlLimits | None = None,
                   csv: CsvDialect | None = None) -> Counts:
    """Validate every record of ``inputs`` against ``schema``, as ``mapper validate`` does.

    ``stage`` names the schema in problems: ``source`` or ``target`` for a
    side of ``mapping`` (which also gives the inputs' default format and
    records), ``schema`` for a schema file. The rest is as for ``convert_files``;
    ``written`` counts the valid records.
    """
    side = stage if mapping is not None else "source"
    items = resolve_inputs(inputs, input_format, records, mapping, side, schema, xml_limits, csv=csv)
    check_readable(items)
    _refuse_clashes(items, None, rejects, stdin)
    return _run(ValidateTask(schema, stage), None, items, None, rejects, jobs=jobs, max_rejects=max_rejects,
                stdin=stdin, observer=observer)


def _run(task: Task, writer_factory: Callable[[], RecordWriter] | None, items: list[Input], output: Destination,
         rejects: Destination, *, jobs: int, max_rejects: int | None, stdin: IO[bytes] | None,
         observer: Observer | None) -> Counts:
    observer = observer or Observer()
    run = Run(task, writer_factory, output=output, rejects=rejects, max_rejects=max_rejects, jobs=max(jobs, 1),
              observer=observer)
    # XML records are processed where they are read, before the reader goes on, unless the workers map what
    # this process reads (standard input, no fork): only then do problems go without their element's line.
    return run.execute(read_units(items, sys.stdin.buffer if stdin is None else stdin, observer,
                                  workers_read_xml=jobs > 1 and _can_fork(), located=jobs <= 1))


def _can_fork() -> bool:
    from .xml_jobs import can_fork  # only a run with workers asks

    return can_fork()


def _refuse_clashes(inputs: Sequence[Input], output: Destination, rejects: Destination,
                    stdin: IO[bytes] | None) -> None:
    """Raise ``ConversionError`` when the output and rejects files are one file, or either is an input
    (``-`` is ``stdin``, standard input by default, which may be a file too): the rename at the end would
    replace what was read, or one would overwrite the other.

    Files are compared, not names (``out.ndjson``, ``./out.ndjson``, a link): same device and inode. Two
    names of a device (``/dev/null``) may be written together.
    """
    written = [(what, os.fspath(where)) for what, where in (("output", output), ("rejects", rejects))
               if _is_path(where)]
    if len(written) == 2 and _same_file(written[0][1], written[1][1]):
        raise ConversionError(f"rejects and output name the same file: {written[0][1]}")
    for what, path in written:
        for item in inputs:
            if _same_file(path, _stdin_file(stdin) if item.name == "-" else item.name):
                raise ConversionError(f"the {what} file is the input {item.source}, which it would replace: "
                                      f"write to another file")


def _same_file(path: str, other: str | int | None) -> bool:
    """Whether ``path`` is the regular file ``other`` (a path, or an open file descriptor)."""
    if other is None:
        return False
    try:
        mine, theirs = os.stat(path), os.stat(other)
    except OSError:  # one does not exist yet: the same file only under the same name
        return isinstance(other, str) and os.path.realpath(path) == os.path.realpath(other)
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino) and stat.S_ISREG(mine.st_mode)


def _stdin_file(stdin: IO[bytes] | None) -> int | None:
    """The file descriptor of standard input (``stdin`` when given), or None when it has none."""
    try:
        return (sys.stdin.buffer if stdin is None else stdin).fileno()
    except (AttributeError, OSError, ValueError):  # io.BytesIO, a closed or replaced stream
        return None


def _is_path(where: Destination) -> TypeGuard[StrPath]:
    return isinstance(where, (str, os.PathLike))
