"""The streaming engine behind ``mapper convert`` and ``mapper validate``.

Inputs are read into *units* (where the record is, and the record or its raw
NDJSON line; or a block of NDJSON lines); a *task* turns each record's unit
into an *outcome* (an encoded output, or a reject with every error); the
parent writes outcomes in input order. With ``--jobs N`` the task runs in
worker processes over chunks of units (``mapper.parallel.ordered_map``), NDJSON
blocks being split and parsed there too, so the parent only reads, writes and
counts.

Every record read ends as exactly one outcome: written, or rejected (to the
rejects file, or on standard error). Nothing is dropped.
"""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Final

from ..errors import PayloadError, PayloadSyntaxError, Problem, RecordError
from ..formats import RecordReader, RecordWriter, writer
from ..formats.json import NdjsonReader, dumps
from ..parallel import ordered_map
from ..rejects import input_problem, reject_record
from ._common import EXIT_INPUT, EXIT_OK, EXIT_REJECTS, Streams, UsageError
from ._output import AtomicOutput
from ._progress import Progress

RAW, VALUE, BAD, FATAL, BLOCK = 0, 1, 2, 3, 4
OK, REJECT, BROKEN = 0, 1, 2

#: Records per chunk handed to a worker process.
CHUNK: Final = 1000
#: Bytes of NDJSON per block handed to a worker process (whole lines: a block ends with one).
BLOCK_SIZE: Final = 1 << 20

# (source, record number, line or None, kind, payload); for a BLOCK: the number of the records
# before it, the line it starts on, and the bytes of its lines.
Unit = tuple[str, int, "int | None", int, Any]


@dataclass(slots=True)
class Outcome:
    """What became of one unit: ``output`` written, ``reject`` reported, or the input ``BROKEN``."""

    status: int
    output: Any = None
    reject: dict[str, Any] | None = None
    message: str = ""


class Task:
    """What happens to one parsed record; subclasses are built in the parent and pickled to workers."""

    encodes = False  # True when ``check`` returns encoded bytes for ``write_encoded``

    def check(self, record: Any, number: int) -> tuple[Any, RecordError | None]:
        """The output for ``record``, or the error that rejects it."""
        raise NotImplementedError


class ConvertTask(Task):
    """Map, validate against the target schema and encode for the output format.

    ``output`` is the output format and the keyword arguments of
    ``mapper.formats.writer``; each process builds its own writer from it
    (writers need not pickle) and uses it only to encode or to check records.
    """

    def __init__(self, mapping: Any, output: tuple[str, dict[str, Any]] | None) -> None:
        self.mapping = mapping
        self.output = output
        self.encodes = output is not None and output[0] in ("json", "ndjson")
        self._writer: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_writer": None}

    def check(self, record: Any, number: int) -> tuple[Any, RecordError | None]:
        result = self.mapping.result(record, number)
        if not result.ok:
            return None, result.error(self.mapping.name)
        output = result.output
        if self.output is None:
            return output, None
        if self._writer is None:
            self._writer = writer(self.output[0], **self.output[1])
        try:
            if self.encodes:
                output = self._writer.encode(output)
            elif hasattr(self._writer, "element"):
                self._writer.element(output)  # XML: can it be written?
        except RecordError as error:
            return None, RecordError(error.problems, number, self.mapping.name)
        return output, None


class ValidateTask(Task):
    """Validate against one schema; the output is nothing."""

    def __init__(self, schema: Any, stage: str) -> None:
        self.schema = schema
        self.stage = stage
        self._validator: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"schema": self.schema, "stage": self.stage, "_validator": None}

    def check(self, record: Any, number: int) -> tuple[Any, RecordError | None]:
        if self._validator is None:
            from ..validation import RecordValidator

            self._validator = RecordValidator(self.schema)
        violations = self._validator.violations(record)
        if not violations:
            return None, None
        problems = [Problem(violation.message, self.stage, "".join(f"/{part}" for part in violation.path),
                            schema_path=violation.schema_path) for violation in violations]
        return None, RecordError(problems, number)


def process(task: Task, unit: Unit) -> Outcome:
    """The outcome of one unit. Never raises for a bad record."""
    source, number, line, kind, payload = unit
    if kind == RAW:
        try:
            record = NdjsonReader.parse_line(payload, source, number if line is None else line)
        except PayloadSyntaxError as error:
            error.record_number = number
            text = payload.decode("utf-8", "replace").rstrip("\r\n")
            return _unreadable(unit, error, text)
    elif kind == VALUE:
        record = payload
    elif kind == BAD:
        return _unreadable(unit, payload, None)
    else:
        return Outcome(BROKEN, message=payload)
    output, failure = task.check(record, number)
    if failure is None:
        return Outcome(OK, output)
    reject = reject_record({"record": number, "source": source, "line": line}, record,
                           [problem.to_dict() for problem in failure.problems])
    return Outcome(REJECT, reject=reject, message=f"{_where(source, line)}, {failure}")


def _unreadable(unit: Unit, error: PayloadError, text: str | None) -> Outcome:
    source, number, line, _, _ = unit
    reject = reject_record({"record": number, "source": source, "line": line}, None, [input_problem(error)], text)
    return Outcome(REJECT, reject=reject, message=str(error))


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line is not None else source


_TASK: Task | None = None


def _set_task(task: Task) -> None:
    global _TASK
    _TASK = task


def _process_chunk(chunk: list[Unit]) -> list[Outcome | bytes | None]:
    """The outcomes of a chunk, in a worker. A written record travels back as its encoded bytes
    (or None when nothing is written) rather than an Outcome: pickling an Outcome costs the
    worker about 3 µs and the parent 1 µs, a tenth of the time it takes to map a record."""
    assert _TASK is not None
    task = _TASK
    compact: list[Outcome | bytes | None] = []
    for unit in _split_blocks(chunk):
        outcome = process(task, unit)
        written = outcome.status == OK and (outcome.output is None or type(outcome.output) is bytes)
        compact.append(outcome.output if written else outcome)
    return compact


def _block_units(block: Unit) -> Iterator[Unit]:
    """The RAW unit of each record of a BLOCK unit: its non-blank lines, numbered as ``read_units`` would."""
    source, number, line_number, _, data = block
    assert line_number is not None
    for line in _lines_of(data):
        if line.strip():
            number += 1
            yield (source, number, line_number, RAW, line)
        line_number += 1


def _is_file(stream: IO[bytes]) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):  # io.BytesIO, a closed stream
        return False


def _lines_of(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    if lines[-1] == b"":  # after the last newline: no line
        lines.pop()
    return lines


# --- reading -----------------------------------------------------------------------------------


@dataclass
class Input:
    """One input: a path or ``-``, its format and its reader."""

    name: str
    format: str
    reader: RecordReader

    @property
    def source(self) -> str:
        return "<stdin>" if self.name == "-" else self.name


def read_units(inputs: list[Input], stdin: IO[bytes], progress: Progress) -> Iterator[Unit]:
    """Every record of every input, in order, as units; an input that breaks ends with a FATAL unit.

    NDJSON files are read in BLOCK units of whole lines, split where the records are processed
    (in a worker with ``--jobs``), so the parent costs next to nothing per record. Pipes are read
    line by line, so the records of a slow producer are not held back to fill a block.
    """
    for item in inputs:
        source = item.source
        stream = stdin if item.name == "-" else open(item.name, "rb")  # noqa: SIM115 - closed below
        number = 0
        try:
            progress.current = stream
            if item.format == "ndjson" and _is_file(stream):
                line_number = 1
                while data := stream.read(BLOCK_SIZE):
                    if not data.endswith(b"\n"):
                        data += stream.readline()
                    lines = _lines_of(data)
                    yield (source, number, line_number, BLOCK, data)
                    number += sum(map(bool, map(bytes.strip, lines)))  # the non-blank lines
                    line_number += len(lines)
                continue
            if item.format == "ndjson":
                for line_number, line in NdjsonReader.lines(stream):
                    number += 1
                    yield (source, number, line_number, RAW, line)
                continue
            try:
                for record in item.reader.records(stream, source):
                    number += 1
                    if isinstance(record, PayloadError):
                        record.record_number = number
                        yield (source, number, record.line, BAD, record)
                    else:
                        yield (source, number, None, VALUE, record)
            except PayloadError as error:
                yield (source, number, error.line, FATAL, str(error))
        finally:
            size = 0
            if stream is not stdin:
                size = stream.tell()
                stream.close()
            progress.finish_input(size)


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Counts:
    read: int = 0
    written: int = 0
    rejected: int = 0
    broken_inputs: int = 0
    stopped: bool = False
    started: float = field(default_factory=time.monotonic)


@dataclass
class Run:
    """One conversion or validation: where outcomes go, and when to stop."""

    streams: Streams
    task: Task
    writer_factory: Callable[[], RecordWriter] | None  # None: no output (validate)
    output: str = "-"
    rejects: str | None = None
    max_rejects: int | None = None
    jobs: int = 1
    progress: Progress | None = None
    counts: Counts = field(default_factory=Counts)

    def execute(self, units: Iterator[Unit]) -> Counts:
        """Process every unit; write outputs and rejects; commit files unless interrupted."""
        with _Target(self.output, self.streams.stdout, self.writer_factory is not None) as out, \
                _Target(self.rejects, self.streams.stdout, self.rejects is not None) as rejects:
            writer: RecordWriter | None = None
            outcomes = self._outcomes(units)
            try:
                for outcome in outcomes:
                    if outcome.status == OK:
                        if self.writer_factory is not None:
                            if writer is None:
                                writer = self._begin(out.stream)
                            self._write(writer, outcome.output)
                        self.counts.read += 1
                        self.counts.written += 1
                    elif outcome.status == REJECT:
                        self.counts.read += 1
                        self.counts.rejected += 1
                        self._reject(outcome, rejects.stream if self.rejects else None)
                        if self.max_rejects is not None and self.counts.rejected >= self.max_rejects:
                            self.counts.stopped = True
                            break
                    else:
                        self.counts.broken_inputs += 1
                        self._say(f"mapper: error: {outcome.message}\n")
                    if self.progress is not None:
                        self.progress.update(self.counts.read)
            except BaseException:
                if writer is not None:
                    writer.close()  # the output is given up (see XmlWriter.close)
                raise
            finally:
                close = getattr(outcomes, "close", None)
                if close is not None:
                    close()
                if self.progress is not None:
                    self.progress.clear()
            if self.writer_factory is not None:
                if writer is None and not self.counts.broken_inputs:
                    writer = self._begin(out.stream)  # no records: still a document ("[]")
                if writer is not None:
                    writer.end()
            out.commit()
            rejects.commit()
        return self.counts

    def _outcomes(self, units: Iterator[Unit]) -> Iterator[Outcome]:
        if self.jobs <= 1:
            task = self.task
            return (process(task, unit) for unit in _split_blocks(units))
        results = ordered_map(_process_chunk, _chunks(units), jobs=self.jobs, initializer=_set_task,
                              initargs=(self.task,))
        return _expand(results)

    def _begin(self, stream: IO[bytes]) -> RecordWriter:
        assert self.writer_factory is not None
        writer = self.writer_factory()
        writer.begin(stream)
        return writer

    def _write(self, writer: RecordWriter, output: Any) -> None:
        try:
            if self.task.encodes:
                writer.write_encoded(output)  # type: ignore[attr-defined]
            else:
                writer.write(output)
        except ValueError as error:  # a JSON or XML document that holds one record, given a second
            raise UsageError(f"cannot write a second record: {error} (or give --to ndjson)") from error

    def _reject(self, outcome: Outcome, stream: IO[bytes] | None) -> None:
        if stream is None:
            self._say(f"mapper: rejected: {outcome.message}\n")
            return
        assert outcome.reject is not None
        stream.write(reject_line(outcome.reject))

    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.clear()
        self.streams.stderr.write(text)


def _split_blocks(units: Iterable[Unit]) -> Iterator[Unit]:
    """The units with each BLOCK unit replaced by the units of its records."""
    for unit in units:
        if unit[3] == BLOCK:
            yield from _block_units(unit)
        else:
            yield unit


def _chunks(units: Iterator[Unit]) -> Iterator[list[Unit]]:
    """Up to CHUNK units at a time; a BLOCK unit (many records already) goes alone."""
    chunk: list[Unit] = []
    for unit in units:
        if unit[3] == BLOCK:
            if chunk:
                yield chunk
                chunk = []
            yield [unit]
            continue
        chunk.append(unit)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _expand(results: Iterator[list[Outcome | bytes | None]]) -> Iterator[Outcome]:
    """The outcomes of ``_process_chunk``'s chunks, one by one."""
    try:
        for chunk in results:
            for item in chunk:
                yield item if type(item) is Outcome else Outcome(OK, item)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()


def reject_line(reject: dict[str, Any]) -> bytes:
    """One NDJSON line of the rejects file; an input JSON cannot hold goes in as its Python text."""
    try:
        return dumps(reject) + b"\n"
    except RecordError:
        safe = {**reject, "input": None, "text": repr(reject.get("input"))}
        return dumps(safe) + b"\n"


class _Target:
    """Standard output, an atomically written file, or nothing."""

    def __init__(self, path: str | None, stdout: IO[bytes], wanted: bool) -> None:
        self.path = path
        self._stdout = stdout
        self._file: AtomicOutput | None = None
        if wanted and path is not None and path != "-":
            self._file = AtomicOutput(path)

    def __enter__(self) -> _Target:
        if self._file is not None:
            self._file.__enter__()
        return self

    @property
    def stream(self) -> IO[bytes]:
        return self._file.stream if self._file is not None else self._stdout

    def commit(self) -> None:
        if self._file is not None:
            self._file.commit()
        else:
            self._stdout.flush()

    def __exit__(self, *exc: Any) -> None:
        if self._file is not None:
            self._file.__exit__(*exc)


def finish(streams: Streams, command: str, counts: Counts, *, verbs: tuple[str, str], rejects: str | None,
           quiet: bool) -> int:
    """Write the summary (unless ``quiet``) and why a run stopped early; return the exit code."""
    if not quiet:
        streams.stderr.write(summary(command, counts, verbs=verbs, rejects=rejects))
    if counts.stopped:
        streams.stderr.write(f"mapper {command}: stopped after {counts.rejected} {verbs[1]} "
                             f"record{'s' if counts.rejected != 1 else ''}; the records after it were not read\n")
    if counts.broken_inputs:
        return EXIT_INPUT
    return EXIT_REJECTS if counts.rejected else EXIT_OK


def summary(command: str, counts: Counts, *, verbs: tuple[str, str], rejects: str | None) -> str:
    """The last line on standard error: counts, time and rate."""
    elapsed = time.monotonic() - counts.started
    rate = counts.read / elapsed if elapsed > 0 else 0.0
    good, bad = verbs
    where = f" (in {rejects})" if rejects and counts.rejected else ""
    text = (f"mapper {command}: {counts.read:,} record{'s' if counts.read != 1 else ''} read, "
            f"{counts.written:,} {good}, {counts.rejected:,} {bad}{where} in {elapsed:.2f} s ({rate:,.0f} records/s)")
    if counts.broken_inputs:
        text += f"; {counts.broken_inputs} input{'s' if counts.broken_inputs != 1 else ''} could not be read to the end"
    return text + "\n"
