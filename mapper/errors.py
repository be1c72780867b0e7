"""The one exception hierarchy of `mapper`.

::

    MapperError                      base of everything mapper raises
    ├── MappingError (ValueError)    the mapping file or what it references is wrong
    │   ├── MappingSyntaxError       not valid YAML / JSON
    │   ├── MappingFormatError       breaks the mapping-file format
    │   ├── ExpressionError          a JMESPath expression does not compile
    │   ├── UnknownNameError         an unknown lookup table or function
    │   │   ├── UnknownFunctionError an expression calls an unknown function (also an
    │   │   │                        ExpressionError: a caret under the function's name)
    │   │   └── UnknownLookupError   an expression's lookup() names an unknown table (idem)
    │   └── SchemaError              a schema file is missing, unreadable or not a JSON Schema
    ├── PayloadError (ValueError)    an input payload cannot be read
    │   ├── PayloadSyntaxError       malformed JSON / NDJSON / XML (line and column)
    │   └── HostileInputError        refused on purpose: entities, DTDs, too deep
    │       └── TooDeepError         a record nested deeper than the readers allow
    ├── RecordError                  one record could not be turned into a valid output
    │                                (``.problems`` lists every reason)
    ├── EvaluationError (ValueError) an expression met a value it cannot use, on its own
    │                                (``mapper.search``, ``Expression.search``, ``mapper eval``)
    ├── ConversionError (ValueError) a conversion cannot run as asked: an output that cannot
    │                                be written, an input whose format cannot be told
    └── PartitionError               (in ``mapper.dask``, with the optional extra) a
                                     partition kept killing the workers that ran it

Every error carries structured fields; ``str()`` only formats them. Inner code
raises the bare fact and outer layers fill in where it happened (file, rule,
record number), so a message always says *where*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Location:
    """A place in a text file: 1-based line and column."""

    file: str | None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<string>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class MapperError(Exception):
    """Base class of every error raised by mapper."""


class MappingError(MapperError, ValueError):
    """A mapping file, or a file it references, is wrong.

    ``location`` points into the file at fault (mapping file or schema file).
    """

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class MappingSyntaxError(MappingError):
    """The mapping file is not valid YAML or JSON."""


class MappingFormatError(MappingError):
    """The mapping file parses but breaks the mapping-file format."""


class SchemaError(MappingError):
    """A schema file is missing, unreadable or not a valid JSON Schema."""


class UnknownNameError(MappingError):
    """A rule names a lookup table or function that does not exist."""


class ExpressionError(MappingError):
    """A JMESPath expression does not compile.

    ``expression`` is the text and ``offset`` the 0-based column inside it, so
    ``str()`` can draw a caret under the fault.
    """

    def __init__(
        self,
        message: str,
        expression: str,
        offset: int | None = None,
        location: Location | None = None,
    ) -> None:
        super().__init__(message, location)
        self.expression = expression
        self.offset = offset

    def __str__(self) -> str:
        return _under_expression(super().__str__(), self.expression, self.offset)


def _under_expression(head: str, expression: str, offset: int | None) -> str:
    """``head``, then the expression indented, with a caret under ``offset`` (0-based) when known."""
    if offset is None:
        return f"{head}\n  {expression}"
    column = f" (column {offset + 1} of the expression)"
    caret = " " * (offset + 2) + "^"
    return f"{head}{column}\n  {expression}\n{caret}"


class UnknownFunctionError(UnknownNameError, ExpressionError):
    """An expression calls a function that does not exist.

    An ``UnknownNameError``, and an ``ExpressionError`` whose ``offset`` is
    the function's name, so that ``str()`` draws a caret under it.
    """


class UnknownLookupError(UnknownNameError, ExpressionError):
    """An expression's ``lookup(name, value)`` names a table the mapping file does not define; ``offset``
    is the call's."""


class PayloadError(MapperError, ValueError):
    """An input payload cannot be read.

    ``record_number`` is the 1-based position of the record in its input when
    known; ``line`` and ``column`` point into the payload text.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        record_number: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        self.record_number = record_number

    def __str__(self) -> str:
        where = []
        if self.source is not None:
            where.append(str(Location(self.source, self.line, self.column)))
        elif self.line is not None:
            where.append(f"line {self.line}" + (f", column {self.column}" if self.column else ""))
        if self.record_number is not None:
            where.append(f"record {self.record_number}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class PayloadSyntaxError(PayloadError):
    """Malformed JSON, NDJSON or XML."""


class HostileInputError(PayloadError):
    """Input refused on purpose: entity expansion, external entities, DTDs, depth."""


class TooDeepError(HostileInputError):
    """A record nests deeper than ``limit`` levels (``mapper.formats.MAX_DEPTH``).

    ``pointer`` is the JSON pointer, inside the record, of the first value past
    the limit ("" when the reader could not tell); the message shows its start.
    """

    def __init__(self, limit: int, pointer: str = "", **where: Any) -> None:
        shown = pointer if len(pointer) <= 60 else pointer[:60] + "..."
        super().__init__(f"nested deeper than {limit} levels" + (f" at {shown}" if pointer else ""), **where)
        self.limit = limit
        self.pointer = pointer

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.limit, self.pointer), self.__dict__)


@dataclass(frozen=True)
class Problem:
    """One reason why a record failed.

    ``pointer`` is the JSON pointer of the field in the output record (or in the
    input record when ``stage`` is ``"source"``); ``rule`` names the mapping rule
    that produced the value (dotted target path) and ``rule_location`` where it
    is written; ``source_path`` is what the rule read.

    ``cause`` is the exception a rule raised (None for validation problems),
    for debugging: it takes no part in equality, ``repr()`` or ``to_dict()``.
    A Problem pickles; its cause only if the exception does, but
    ``traceback_text()`` survives either way.
    """

    message: str
    stage: str  # "source" (input validation), "rule" (evaluation) or "target" (output validation)
    pointer: str = ""
    rule: str | None = None
    rule_location: Location | None = None
    source_path: str | None = None
    schema_path: str | None = None
    cause: BaseException | None = field(default=None, compare=False, repr=False)
    #: The formatted traceback of ``cause`` where the exception itself is gone (after pickling).
    cause_traceback: str | None = field(default=None, compare=False, repr=False)
    #: The line of the input element the problem is about (XML: what ``pointer`` or ``source_path`` names).
    line: int | None = None

    def traceback_text(self) -> str | None:
        """The traceback of ``cause`` as Python prints it (through the generated code's lines), if any."""
        # Once pickled, the text from the process that raised it: a traceback rebuilt elsewhere (tblib,
        # as dask installs it) has lost the column positions and may miss lines.
        if self.cause_traceback is None and self.cause is not None and self.cause.__traceback__ is not None:
            import traceback  # only a rule that raised needs it, not a start-up

            return "".join(traceback.format_exception(self.cause))
        return self.cause_traceback

    def __reduce__(self) -> tuple[Any, ...]:
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        values["cause_traceback"] = self.traceback_text()
        values["cause"] = self.cause if _round_trips(self.cause) else None
        return (_rebuild_problem, (values,))

    def __str__(self) -> str:
        parts = [f"{self.pointer or '/'}: {self.message}"]
        if self.rule is not None:
            at = f" ({self.rule_location})" if self.rule_location else ""
            parts.append(f"rule '{self.rule}'{at}")
        if self.source_path:
            parts.append(f"read {self.source_path}" + (f" (line {self.line})" if self.line is not None else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form, as written to reject files."""
        data: dict[str, object] = {"stage": self.stage, "pointer": self.pointer, "message": self.message}
        if self.rule is not None:
            data["rule"] = self.rule
        if self.rule_location is not None:
            data["rule_location"] = str(self.rule_location)
        if self.source_path is not None:
            data["source_path"] = self.source_path
        if self.schema_path is not None:
            data["schema_path"] = self.schema_path
        if self.line is not None:
            data["line"] = self.line
        return data


def _round_trips(cause: BaseException | None) -> bool:
    # An exception pickles as type(error)(*error.args), which fails for some signatures only when loaded.
    import pickle

    try:
        pickle.loads(pickle.dumps(cause))
    except Exception:  # noqa: BLE001 (any failure means: do not send it)
        return False
    return True


def _rebuild_problem(values: dict[str, Any]) -> Problem:
    return Problem(**values)


@dataclass
class RecordError(MapperError):
    """A record could not be mapped to a valid output; ``problems`` lists every reason."""

    problems: Sequence[Problem]
    record_number: int | None = None
    mapping: str | None = None
    output: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        super().__init__(self.problems)

    def __str__(self) -> str:
        head = f"record {self.record_number}" if self.record_number is not None else "record"
        if self.mapping:
            head += f" (mapping {self.mapping})"
        count = len(self.problems)
        lines = [f"{head} failed with {count} problem{'s' if count != 1 else ''}:"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (tuple(self.problems), self.record_number, self.mapping, self.output))


class EvaluationError(MapperError, ValueError):
    """An expression evaluated on its own met a value it cannot use: a function refused an
    argument, a number was ordered with a string.

    Raised by the one-expression front door (``mapper.search``, ``Expression.search``)
    ``from`` jmespath's or the function's own error, which stays the ``__cause__``.
    ``message`` says what went wrong, ``expression`` is the text, ``function_name``
    the function at fault when a function is (else None), and ``offset`` the 0-based
    column inside the expression when the fault can be placed (else None), so that
    ``str()`` draws a caret under it as ``ExpressionError`` does. (Inside a mapping the
    same faults reject the record instead, as a ``Problem`` of a ``RecordError``.)
    """

    def __init__(self, message: str, expression: str, *, function_name: str | None = None,
                 offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.function_name = function_name
        self.offset = offset

    def __str__(self) -> str:
        return _under_expression(self.message, self.expression, self.offset)

    def __reduce__(self) -> tuple[Any, ...]:
        # The keyword-only fields travel as state: an exception pickles as type(error)(*error.args).
        return (type(self), (self.message, self.expression), {"function_name": self.function_name,
                                                              "offset": self.offset})


class ConversionError(MapperError, ValueError):
    """A conversion cannot run as asked: an output that cannot be written (a directory, a
    second record for a one-record document), an input whose format cannot be told.

    Where an argument would settle it, ``parameter`` names it (``input_format``,
    ``output_format``) and ``values`` are what to give it; ``alternative`` says
    it is one way out among others rather than the only one. ``str()`` advises
    a library caller (``give input_format='json', ...``); ``advice()`` words the
    same advice for another caller, as the CLI does with its flags.
    """

    def __init__(self, message: str, *, parameter: str | None = None, values: Sequence[str] = (),
                 alternative: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.values = tuple(values)
        self.alternative = alternative

    def __str__(self) -> str:
        if self.parameter is None:
            return self.message
        return self.advice(f"{self.parameter}=", [repr(value) for value in self.values])

    def advice(self, option: str, values: Sequence[str]) -> str:
        """The message, advising to give ``option`` (written just before the value) one of ``values``."""
        if len(values) > 1:
            choice = f"{', '.join(values[:-1])} or {values[-1]}"
        else:
            choice = "".join(values)
        if self.alternative:
            return f"{self.message} (or give {option}{choice})"
        return f"{self.message}: give {option}{choice}"
