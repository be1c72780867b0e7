"""Property-based consistency of a mapping with its schemas (``mapper fuzz``).

``check_mapping(mapping)`` generates source records valid under the source
schema (``strategies.from_schema``), maps each one and checks that

- nothing escapes the engine: every record gives a ``Result``;
- every output the engine accepts is valid under the target schema (checked
  again with the reference validator, formats included);
- every record the engine rejects is rejected for a reason the mapping states,
  not because mapping and schemas disagree on types.

A reason the mapping states is one that depends on the values of a record the
schemas allow, where the mapping says how such values are taken: a lookup
without a default that does not know the value, a function refusing a value
it must parse (``parse_datetime`` of text in another format), a lossy
conversion (``"4.5"`` into an integer), a rule calling ``error(message)``,
arithmetic on a missing value or by a zero divisor, a required target field
whose source is missing or null, a value outside the target's format,
pattern, enum or range. Such rejections are counted per rule and reported (``FuzzReport``),
not failed, unless ``strict=True``: then every generated record must convert.

An inconsistency is any other rejection: a function given a kind of value it
never takes, ``each`` over a non-array, a lookup given an array, a property
the target does not allow, a value of the wrong JSON type, an unexpected
exception. On one, hypothesis shrinks the source record to a minimal one and
``check_mapping`` raises ``MappingInconsistency`` (an ``AssertionError``, so it
reads as a test failure in pytest) with that record, the rule at fault and the
problem. Runs are deterministic for a given ``seed``; without one a seed is
drawn and printed with any failure, to reproduce it.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, assume, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ..errors import Problem
from ..functions import FunctionSpec, RejectedByRule
from ..jsontypes import json_type
from ..mapping import Mapping, load
from ..runtime import ArithmeticFault
from ..validation import RecordValidator
from .check import observe
from .strategies import Hints, Strategy, format_strategy, from_schema

__all__ = ["FuzzReport", "MappingInconsistency", "check_mapping", "mapping_hints"]

# Rejection messages of the engine that depend on a record's values (see the module docstring).
_FUNCTION_REFUSES = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\(\): (?!argument \d+ must be)")
# A function given null where it needs a value: the source record lacks the data (absence).
_FUNCTION_GIVEN_NULL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\(\): argument \d+ must be .*, not null$")
_STATED_RULE_FAILURES = (
    re.compile(r" is not in lookup '.*' and the lookup has no default$"),
    re.compile(r"^cannot convert .* without losing information$"),
    re.compile(r"^cannot read .* as a number$"),
    re.compile(r" has more digits than a JSON number keeps"),
    re.compile(r"^cannot convert .* to a boolean"),
)
_ABSENT = re.compile(r"^(required property is missing|null is not of type .*)$")
_TYPE_MISMATCH = re.compile(r"^.* is not of type ")
_NOT_ALLOWED = re.compile(r"(Additional|Unevaluated) properties are not allowed")


class MappingInconsistency(AssertionError):
    """A generated source record shows the mapping and its schemas disagree.

    ``record`` is the minimal source record found, ``problems`` what went
    wrong (``Problem`` objects, with the rule at fault), ``seed`` reproduces it.
    """

    def __init__(self, message: str, record: Any, problems: tuple[Problem, ...], seed: int) -> None:
        super().__init__(message)
        self.record = record
        self.problems = problems
        self.seed = seed


@dataclass
class FuzzReport:
    """What the generated records became, when no inconsistency was found."""

    mapping: str
    seed: int
    records: int = 0
    converted: int = 0
    rejected: int = 0
    #: (rule, reason) -> how many records were rejected for it
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)

    def summary(self) -> str:
        lines = [(f"{self.mapping}: {self.records} generated records, {self.converted} converted, "
                  f"{self.rejected} rejected as the mapping states (seed {self.seed})")]
        for (rule, reason), count in self.reasons.most_common(5):
            lines.append(f"  {count:>4} x {rule}: {reason}")
        if self.records and not self.converted:
            lines.append("warning: no generated record converted, so no output was checked: the source schema "
                         "allows much that the mapping refuses (the reasons above; --strict shows a minimal record)")
        return "\n".join(lines)


class _Found(Exception):
    """Raised inside the property so that hypothesis shrinks the record."""

    def __init__(self, kind: str, problems: tuple[Problem, ...], record: Any) -> None:
        super().__init__(kind, problems)
        self.kind = kind
        self.problems = problems
        self.record = record


def check_mapping(mapping_or_path: Mapping | str | Path, examples: int = 100, seed: int | None = None, *,
                  strict: bool = False, max_depth: int = 12) -> FuzzReport:
    """Map ``examples`` generated source records; raise ``MappingInconsistency`` on an inconsistency.

    ``strict``: every generated record must convert (any rejection fails).
    ``max_depth`` bounds the nesting of generated records (recursive schemas).
    Returns a ``FuzzReport`` of what the records became.
    """
    mapping = mapping_or_path if isinstance(mapping_or_path, Mapping) else load(mapping_or_path)
    run_seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
    strategy = from_schema(mapping.source_schema, max_depth=max_depth, hints=mapping_hints(mapping))
    reference: Any = mapping.target_schema.validator(check_formats=True)
    # The strategies read patterns and formats closely, not always as the validator does (ECMA-262 patterns
    # in jsonschema-rs): a record it refuses is no valid source record, and is not used.
    source_validator = RecordValidator(mapping.source_schema)
    report = FuzzReport(mapping.name, run_seed)

    @settings(max_examples=examples, database=None, deadline=None, verbosity=Verbosity.quiet,
              phases=(Phase.generate, Phase.shrink), print_blob=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much, HealthCheck.large_base_example])
    @given(strategy)
    def consistent(record: Any) -> None:
        assume(not source_validator.violations(record))
        _judge(mapping, record, reference, strict, report)

    try:
        hypothesis_seed(run_seed)(consistent)()
    except _Found as found:
        raise MappingInconsistency(_explain(mapping, found, run_seed, strict), found.record, found.problems,
                                   run_seed) from None
    return report


def mapping_hints(mapping: Mapping) -> Hints:
    """Strings worth drawing for each source path, from what the mapping does with it.

    Random text almost never equals the code a filter looks for or parses as the
    date a function expects, so records would rarely get past the first rule.
    The static checker's walk of the expressions (``check.observe``) tells, per
    source path, the constants it is compared with or looked up by, the
    functions that parse it (with their formats), and the target formats it
    ends up under; these become the candidates drawn there.
    """
    observations = observe(mapping)
    specs = mapping.function_table.specs
    by_path: dict[str, list[str | Strategy]] = {}
    for path, values in observations.constants.items():
        by_path.setdefault(path, []).extend(str(value) for value in sorted(values, key=str))
    for path, calls in observations.calls.items():
        for name, position, literals in calls:
            by_path.setdefault(path, []).extend(_parsed_text(specs[name], position, literals))
    for path, formats in observations.formats.items():
        for format_ in sorted(formats):
            strategy = format_strategy(format_)
            if strategy is not None:
                by_path.setdefault(path, []).append(strategy)
    anywhere = sorted({str(value) for values in observations.constants.values() for value in values})
    return Hints({path: candidates for path, candidates in by_path.items() if candidates}, list(anywhere))


_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "KWD", "CHF"]


def _parsed_text(spec: FunctionSpec, position: int, literals: tuple[Any, ...]) -> list[str | Strategy]:
    """Text the function reads in the argument at ``position``, as its parameter ``expects``."""
    params = spec.params_for(position + 1)
    expects = params[position].expects if position < len(params) else None
    if expects is None:
        return []
    if expects.kind == "date_time":
        return [_ISO_DATE_TIMES]
    if expects.kind == "number_text":
        return [_DECIMAL_TEXT]
    if expects.kind == "currency":
        return list(_CURRENCIES)
    if expects.kind == "boolean_text":
        return ["true", "false", "yes", "no", "1", "0"]
    # The other kinds read the literal text of another argument: a format, a pattern, a separator.
    given = literals[expects.argument] if expects.argument is not None and expects.argument < len(literals) else None
    if not isinstance(given, str):
        return []
    if expects.kind == "formatted":
        return [_MOMENTS.map(lambda moment: moment.strftime(given))]
    if expects.kind == "regex_match":
        try:
            return [st.from_regex(given)]
        except re.error:
            return []
    if expects.kind == "separated" and given:
        return [st.lists(st.text(min_size=1, max_size=8).filter(lambda part: given not in part),
                         min_size=1, max_size=3).map(given.join)]
    return []


_MOMENTS = st.datetimes(datetime(1950, 1, 1), datetime(2060, 12, 31), timezones=st.sampled_from(
    [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]))
# RFC 3339 and the other ISO 8601 spellings APIs use (2024-04-10T11:00:00.000+0000).
_ISO_DATE_TIMES = st.one_of(
    _MOMENTS.map(lambda moment: moment.isoformat()),
    _MOMENTS.map(lambda moment: moment.astimezone(UTC).isoformat().replace("+00:00", "Z")),
    _MOMENTS.map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
                 + moment.strftime("%z")),
)
_DECIMAL_TEXT = st.one_of(st.integers(-10**6, 10**6).map(str),
                          st.decimals(-10**6, 10**6, places=2, allow_nan=False, allow_infinity=False).map(str))


def _judge(mapping: Mapping, record: Any, reference: Any, strict: bool, report: FuzzReport) -> None:
    report.records += 1
    try:
        result = mapping.result(record)
    except Exception as error:
        problem = Problem(f"{type(error).__name__}: {error}", "rule")
        raise _Found("an exception escaped the engine", (problem,), record) from error
    if result.ok:
        errors = sorted(reference.iter_errors(result.output), key=lambda error: list(error.absolute_path))
        if errors:
            problems = tuple(Problem(error.message, "target", "/" + "/".join(map(str, error.absolute_path)))
                             for error in errors)
            raise _Found("an accepted output is invalid under the target schema", problems, record)
        report.converted += 1
        return
    unexpected = tuple(problem for problem in result.problems if strict or not is_stated_rejection(problem))
    if unexpected:
        kind = "a valid source record was rejected" if strict else \
            "a valid source record was rejected for a reason the mapping does not state"
        raise _Found(kind, unexpected, record)
    report.rejected += 1
    for problem in result.problems:
        report.reasons[(problem.rule or problem.pointer or "/", _generalize(problem.message))] += 1


def is_stated_rejection(problem: Problem) -> bool:
    """Whether a rejection depends on values the schemas allow but the mapping refuses on purpose."""
    message = problem.message
    if problem.stage == "source":
        return False  # generated records are valid under the source schema
    if problem.stage == "rule":
        if isinstance(problem.cause, RejectedByRule):
            return True  # error(message): the mapping rejects the record on purpose
        if isinstance(problem.cause, ArithmeticFault):
            # Arithmetic on a missing value, a zero divisor or a huge result depends on the record's
            # values; on a value of another kind (text where a number is computed) it is the mapping's fault.
            return all(json_type(operand) in ("null", "integer", "number") for operand in problem.cause.operands)
        return bool(_FUNCTION_REFUSES.match(message) or _FUNCTION_GIVEN_NULL.match(message)) or any(
            pattern.search(message) for pattern in _STATED_RULE_FAILURES)
    if _ABSENT.match(message):
        return True
    return not (_TYPE_MISMATCH.match(message) or _NOT_ALLOWED.search(message))


def _generalize(message: str) -> str:
    """A reason without the values in it, to count alike rejections together."""
    message = re.sub(r'"(?:[^"\\]|\\.)*"', "<value>", message)
    message = re.sub(r"^(-?[0-9][0-9.eE+-]*|\[.*\]|\{.*\}|'.*?') ", "<value> ", message)
    return message if len(message) <= 100 else message[:99] + "…"


def _explain(mapping: Mapping, found: _Found, seed: int, strict: bool) -> str:
    record = found.record
    lines = [f"mapping {mapping.name!r} ({mapping.spec.file}): {found.kind}"]
    for problem in found.problems:
        lines.append(f"  problem: {problem}")
        if problem.rule_location is not None:
            lines.append(f"  rule at fault: {problem.rule} at {problem.rule_location}")
    lines.append("minimal source record (valid under the source schema):")
    lines.append(_indent(json.dumps(record, indent=2, ensure_ascii=False)))
    options = " --strict" if strict else ""
    lines.append(f"reproduce: mapper fuzz {mapping.spec.file} --seed {seed}{options}")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
