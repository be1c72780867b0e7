"""What becomes of one unit: a task turns its record into an ``Outcome``.

A task is built in the parent and pickled to the workers; ``process`` never
raises for a bad record: every record read ends as exactly one outcome,
written or rejected (with every error). A task that ``debug``s gives each
reject the tracebacks of what its rules raised, as text, so that they cross
from a worker process like the rest of the outcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Final

from ..errors import PayloadError, Problem, RecordError
from ..formats import ENCODING_FORMATS, writer
from ..formats.json import NdjsonReader
from .rejects import input_problem, reject_record
from .units import BAD, LOCATED, RAW, VALUE, Unit

OK, REJECT, BROKEN = 0, 1, 2


class Outcome:
    """What became of one unit: ``output`` written, ``reject`` reported, or the input ``BROKEN``.

    ``message`` says where and why, for a reject or a broken input; ``tracebacks``
    holds, when the task ``debug``s, a (where, traceback) pair for each exception a
    rule of the rejected record raised. (A plain class: CPython 3.11 generates a dataclass's methods from
    source when it defines the class, about 1 ms of every start-up.)
    """

    __slots__ = ("status", "output", "reject", "message", "tracebacks")

    def __init__(self, status: int, output: Any = None, reject: dict[str, Any] | None = None, message: str = "",
                 tracebacks: tuple[tuple[str, str], ...] = ()) -> None:
        self.status = status
        self.output = output
        self.reject = reject
        self.message = message
        self.tracebacks = tracebacks

    def __repr__(self) -> str:
        return f"Outcome({self.status!r}, output={self.output!r}, reject={self.reject!r}, message={self.message!r})"


class Task:
    """What happens to one parsed record."""

    encodes = False  # True when ``check`` returns encoded bytes for ``write_encoded``
    debug = False  # True: a reject's Outcome carries its rules' tracebacks

    def check(self, record: Any, number: int) -> tuple[Any, RecordError | None]:
        """The output for ``record``, or the error that rejects it."""
        raise NotImplementedError

    def input_pointer(self, problem: Problem) -> str | None:
        """The JSON pointer into the input record of what ``problem`` is about, when it can tell: here the
        problem's own pointer (a validation's problems point into the record validated)."""
        return problem.pointer


class ConvertTask(Task):
    """Map, validate against the target schema and encode for the output format.

    ``output`` is the output format and the keyword arguments of
    ``mapper.formats.writer``; each process builds its own writer from it
    (writers need not pickle) and uses it only to encode or to check records.
    """

    def __init__(self, mapping: Any, output: tuple[str, dict[str, Any]] | None, *, debug: bool = False) -> None:
        self.mapping = mapping
        self.output = output
        self.debug = debug
        self.encodes = output is not None and output[0] in ENCODING_FORMATS
        self._writer: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_writer": None}

    def input_pointer(self, problem: Problem) -> str | None:
        """Into the input for a problem of the source's validation; else where the plain path the rule read
        (``source_path``: ``encounters[0] then procedures[1] then `expression```) leads, as far as it is plain."""
        if problem.stage == "source":
            return problem.pointer
        return _pointer_of(problem.source_path)

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
    """Validate against one schema; the output is nothing. ``stage`` names the schema in problems."""

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
    """The outcome of one unit (not a BLOCK: see ``split_blocks``). Never raises for a bad record."""
    source, number, line, kind, payload = unit
    if kind == RAW:
        try:
            record = NdjsonReader.parse_line(payload, source, number if line is None else line)
        except PayloadError as error:  # not JSON, or nested too deep
            error.record_number = number
            text = payload.decode("utf-8", "replace").rstrip("\r\n")
            return _unreadable(unit, error, text)
    elif kind == VALUE:
        record = payload
    elif kind == LOCATED:
        record, locate = payload
    elif kind == BAD:
        return _unreadable(unit, payload, None)
    else:
        return Outcome(BROKEN, message=payload)
    output, failure = task.check(record, number)
    if failure is None:
        return Outcome(OK, output)
    if kind == LOCATED:
        failure = _with_lines(task, failure, locate)
    reject = reject_record({"record": number, "source": source, "line": line}, record,
                           [problem.to_dict() for problem in failure.problems])
    outcome = Outcome(REJECT, reject=reject, message=f"{_where(source, line)}, {failure}")
    if task.debug:
        outcome.tracebacks = _tracebacks(failure, f"{_where(source, line)}, record {number}")
    return outcome


def _with_lines(task: Task, failure: RecordError, locate: Callable[[str], int | None]) -> RecordError:
    """``failure`` with each problem given the line of the input element it is about, where ``locate`` can
    tell it for the problem's ``input_pointer``."""
    problems = []
    for problem in failure.problems:
        pointer = task.input_pointer(problem)
        line = locate(pointer) if pointer is not None else None
        problems.append(problem if line is None else replace(problem, line=line))
    return RecordError(problems, failure.record_number, failure.mapping, failure.output)


_PLAIN_PATH: Final = re.compile(r"[A-Za-z_]\w*(?:\[\d+\])?(?:\.[A-Za-z_]\w*(?:\[\d+\])?)*\Z")
_PATH_STEP: Final = re.compile(r"[A-Za-z_]\w*|\[(\d+)\]")


def _pointer_of(source_path: str | None) -> str | None:
    """The JSON pointer of the plain start of ``source_path`` (``a.b[0] then c then `f(x)``` -> ``/a/b/0/c``);
    None when it starts with an expression."""
    steps: list[str] = []
    for part in (source_path or "").split(" then "):
        if not _PLAIN_PATH.match(part):
            break
        steps.extend(match.group(1) or match.group(0) for match in _PATH_STEP.finditer(part))
    return "".join(f"/{step}" for step in steps) if steps else None


def _tracebacks(failure: RecordError, where: str) -> tuple[tuple[str, str], ...]:
    """A (where, traceback) pair for each problem of ``failure`` that a rule raised; ``where`` names the record."""
    found = []
    for problem in failure.problems:
        text = problem.traceback_text()
        if text is not None:
            at = f" ({problem.rule_location})" if problem.rule_location else ""
            found.append((f"{where}, rule '{problem.rule or problem.pointer}'{at}", text))
    return tuple(found)


def _unreadable(unit: Unit, error: PayloadError, text: str | None) -> Outcome:
    source, number, line, _, _ = unit
    reject = reject_record({"record": number, "source": source, "line": line}, None, [input_problem(error)], text)
    return Outcome(REJECT, reject=reject, message=str(error))


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line is not None else source
