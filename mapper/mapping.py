"""The front door: load a mapping file once, apply it to many records.

A ``Mapping`` holds everything compiled at load time. It is reusable,
thread-safe (nothing per record is shared) and picklable (it is rebuilt from
its parsed spec and schemas in the receiving process, so worker processes
compile once each). ``Mapping.from_exported`` builds one from the generated
module a load cache kept (``mapper.load_cache``), without the compiler.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import ExpressionError, MappingError, Problem, RecordError
from .functions import FunctionSpec, FunctionTable, build_function_table
from .model import MappingSpec
from .runtime import BindingFailure, Failures, Scope
from .schemas import Schema
from .validation import RecordValidator

if TYPE_CHECKING:  # the compiler and the file readers are imported only where a load needs them
    from .compiler import Builder, CompiledMapping
    from .provenance import Provenance

UserFunction = Callable[..., Any] | FunctionSpec


@dataclass(frozen=True, init=False)
class Result:
    """What became of one input record: an output, or the problems that stopped it."""

    record_number: int
    output: Any = None
    problems: tuple[Problem, ...] = ()
    input: Any = field(default=None, repr=False)

    def __init__(self, record_number: int, output: Any = None, problems: tuple[Problem, ...] = (),
                 input: Any = None) -> None:
        # One per record: filling the instance's dict at once costs half of the four object.__setattr__
        # calls a frozen dataclass's own __init__ makes (measured with callgrind), and it stays frozen.
        fields = self.__dict__
        fields["record_number"], fields["output"], fields["problems"], fields["input"] = (
            record_number, output, problems, input)

    @property
    def ok(self) -> bool:
        return not self.problems

    def error(self, mapping: str | None = None) -> RecordError:
        """The failure as an exception (for results that are not ``ok``)."""
        return RecordError(self.problems, self.record_number, mapping, self.output)


class Mapping:
    """A compiled mapping. Build with ``mapper.load(path)``."""

    _build: Builder
    _uses_scope: bool

    def __init__(
        self,
        spec: MappingSpec,
        source_schema: Schema,
        target_schema: Schema,
        *,
        functions: Sequence[UserFunction] = (),
        validate_source: bool | None = None,
    ) -> None:
        self._prepare(spec, source_schema, target_schema, tuple(functions), validate_source)
        compiled = self._compiled  # now, so that a rule that cannot compile fails the load
        self._build, self._uses_scope = compiled.build, compiled.uses_scope

    @classmethod
    def from_exported(cls, spec: MappingSpec, source_schema: Schema, target_schema: Schema, exported: Exported, *,
                      validate_source: bool | None = None) -> Mapping:
        """The mapping whose compiled module was written out as ``exported`` (``exported_of``), without compiling
        again: the builders are the same code, so every record comes out as ``Mapping(spec, ...)`` makes it.
        ``compiled`` compiles when first asked for. Only for mappings without user functions."""
        mapping = cls.__new__(cls)
        mapping._prepare(spec, source_schema, target_schema, (), validate_source)
        linecache.cache[exported.filename] = (len(exported.source), None, exported.source.splitlines(True),
                                              exported.filename)  # tracebacks show the generated lines
        namespace: dict[str, Any] = {"__name__": exported.filename}
        exec(exported.code, namespace)  # noqa: S102 - mapper's own generated code, compiled by exported_of
        mapping._build, mapping._uses_scope = namespace["build_record"], exported.uses_scope
        return mapping

    def _prepare(self, spec: MappingSpec, source_schema: Schema, target_schema: Schema,
                 functions: tuple[UserFunction, ...], validate_source: bool | None) -> None:
        """What every way of building a mapping sets, apart from its builder."""
        self.spec = spec
        self.source_schema = source_schema
        self.target_schema = target_schema
        self.functions = functions
        self.validate_source = spec.source.validate if validate_source is None else validate_source
        self._target_validator = RecordValidator(target_schema)
        self._target_is_valid = self._target_validator.is_valid
        self._source_validator = RecordValidator(source_schema) if self.validate_source else None

    @cached_property
    def function_table(self) -> FunctionTable:
        """Every function the mapping's expressions can call: built-in, library, context and its user functions."""
        return build_function_table(self.functions)

    @cached_property
    def _compiled(self) -> CompiledMapping:
        from .compiler import compile_mapping

        return compile_mapping(self.spec, self.target_schema.root, self.function_table)

    @cached_property
    def _provenance(self) -> Provenance:
        from .provenance import Provenance  # only a record with problems asks

        return Provenance(self.spec.rules)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def compiled(self) -> CompiledMapping:
        """What loading compiled: ``.source`` is the generated Python as a module that runs on its own,
        for debugging and measuring."""
        return self._compiled

    def __repr__(self) -> str:
        return f"<Mapping {self.name!r} from {self.spec.file}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.spec, self.source_schema, self.target_schema, self.functions, self.validate_source))

    def apply(self, record: Any, *, record_number: int = 1) -> Any:
        """Map one record and validate it; raise ``RecordError`` with every problem on failure."""
        result = self.result(record, record_number)
        if result.problems:
            raise result.error(self.name)
        return result.output

    def apply_many(self, records: Iterable[Any], *, start: int = 1) -> Iterator[Result]:
        """One ``Result`` per input record, in order; never stops on a bad record.

        A record is bad when a rule raises one of its errors (a function, type,
        coercion or lookup error) or the output is invalid; any other exception
        is a bug in mapper or in a user function and propagates."""
        result = self.result
        for record_number, record in enumerate(records, start):
            yield result(record, record_number)

    def result(self, record: Any, record_number: int = 1) -> Result:
        """Map and validate one record into a ``Result``; a rule problem carries its exception as ``cause``."""
        if self._source_validator is not None:
            source_problems = self._source_problems(record)
            if source_problems:
                return Result(record_number, None, source_problems, record)
        failures: Failures = []
        scope = Scope.top(record) if self._uses_scope else None
        output = self._build(record, scope, (), failures)
        try:
            if not failures and self._target_is_valid(output):
                return Result(record_number, output, (), record)  # the common case, in the fewest steps
        except (ValueError, OverflowError):
            pass  # a value jsonschema-rs cannot take: the reference decides
        problems = self._problems(output, failures)
        if problems:
            return Result(record_number, output, problems, record)
        return Result(record_number, output, (), record)

    def _problems(self, output: Any, failures: Failures) -> tuple[Problem, ...]:
        violations = self._target_validator.violations(output)
        if not failures and not violations:
            return ()  # the common case, on the per-record path
        provenance = self._provenance
        found = [provenance.binding_problem(path, error.name, _describe_failure(error.error), cause=error.error)
                 if isinstance(error, BindingFailure) else
                 provenance.problem("rule", path, _describe_failure(error), cause=error) for path, error in failures]
        failed_paths = [path for path, _ in failures]
        for violation in violations:
            if any(violation.path[: len(failed)] == failed for failed in failed_paths):
                continue  # already explained by the rule that failed there
            found.append(provenance.problem("target", violation.path, violation.message, violation.schema_path))
        # In the order of the mapping file, as a reader goes through it.
        found.sort(key=lambda problem: problem.rule_location.line or 0 if problem.rule_location else 1 << 30)
        return tuple(found)

    def _source_problems(self, record: Any) -> tuple[Problem, ...]:
        assert self._source_validator is not None
        return tuple(
            Problem(message=violation.message, stage="source",
                    pointer="".join(f"/{part}" for part in violation.path), schema_path=violation.schema_path)
            for violation in self._source_validator.violations(record)
        )


class Exported(NamedTuple):
    """A mapping's generated module as a load cache keeps it: the source, its compiled code (marshal can write
    it), the file name tracebacks give it, and whether its builders take a ``Scope``. (A named tuple: a
    dataclass costs a start-up four times as much to define.)"""

    source: str
    code: CodeType
    filename: str
    uses_scope: bool


def exported_of(mapping: Mapping) -> Exported | None:
    """``mapping``'s generated module, compiled, for ``Mapping.from_exported``; None when it cannot be written
    as a module (a user function that is not importable)."""
    try:
        source = mapping.compiled.source
    except MappingError:
        return None
    filename = f"<mapper generated: {mapping.spec.file}>"
    return Exported(source, compile(source, filename, "exec"), filename, mapping.compiled.uses_scope)


def _describe_failure(error: Exception) -> str:
    text = str(error)
    if isinstance(error, (LookupError, ValueError, TypeError)) and text:
        return text.strip("'\"") if isinstance(error, KeyError) else text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _rebuild(spec: MappingSpec, source: Schema, target: Schema, functions: Sequence[UserFunction],
             validate_source: bool) -> Mapping:
    return Mapping(spec, source, target, functions=functions, validate_source=validate_source)


def load(path: str | Path, *, functions: Sequence[UserFunction] = (), validate_source: bool | None = None) -> Mapping:
    """Load, check and compile a mapping file.

    ``functions`` are extra JMESPath functions (see ``mapper.jmespath_function``).
    Raises a ``MappingError`` subclass, located in the file at fault, when the
    mapping file or a schema it names is wrong.
    """
    from .documents import load_document
    from .mapping_file import parse_mapping, placed_in_file
    from .schemas import load_schema

    try:
        document = load_document(path)
    except FileNotFoundError:
        raise MappingError(f"mapping file not found: {path}") from None
    except OSError as error:
        raise MappingError(f"cannot read mapping file {path}: {error.strerror}") from error
    spec = parse_mapping(document)
    source_schema = load_schema(spec.source.schema_path, referenced_from=spec.source.schema_location)
    target_schema = load_schema(spec.target.schema_path, referenced_from=spec.target.schema_location)
    try:
        return Mapping(spec, source_schema, target_schema, functions=functions, validate_source=validate_source)
    except ExpressionError as error:  # placed where `mapper check` places it: at the fault, not the start
        raise placed_in_file(error, document) from error
