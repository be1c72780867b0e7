"""Validate records against a JSON Schema and describe each violation in JSON terms.

Two validators work together. ``jsonschema-rs`` (compiled, about 100 times
faster) is the judge: a record it accepts is valid, a record it rejects is not.
It also explains the violations of the plain keywords (type, required, enum,
const, format, pattern, the bounds, additionalProperties), in about 20 µs. A
record that breaks anything else (anyOf, oneOf, not, if...) is validated again
by the reference ``jsonschema`` validator (about 400 µs), whose errors carry the
context of such keywords. The two explain alike: a test compares them on broken
records of every shipped schema. They disagree on formats (the reference skips
``uri`` and ``hostname`` without optional packages, refuses leap seconds), so the
reference checks formats with jsonschema-rs's own checks
(``Schema.format_checker``): both give one verdict. Should the reference still
find nothing, the record is rejected anyway, with a violation that says so.
Messages are rewritten for the common keywords so users read JSON values
(``null``, ``"42"``), not Python reprs (``None``, ``'42'``); a missing required
property is reported at its own path, so it can be tied to the rule that should
have written it. Violations come deepest first, then in path and keyword order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from .schemas import Schema, json_spelling

if TYPE_CHECKING:  # the reference is built only for a record that needs its explanation
    import jsonschema
    import jsonschema.exceptions

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Violation:
    """One way a record breaks its schema."""

    path: Path
    message: str
    schema_path: str
    keyword: str
    depth: int = field(default=0, compare=False, repr=False)  # of the instance the error is about


class RecordValidator:
    """Validates records against one schema; build once, reuse for every record."""

    def __init__(self, schema: Schema, *, check_formats: bool = True) -> None:
        self.schema = schema
        self._check_formats = check_formats
        registry = jsonschema_rs.Registry(list(schema.documents.items()))
        judge = jsonschema_rs.validator_for(
            schema.contents, registry=registry, base_uri=schema.uri, validate_formats=check_formats,
        )
        #: jsonschema-rs's verdict, for the per-record path: True when ``record`` is valid; raises ``ValueError``
        #: or ``OverflowError`` for a value it cannot take (an integer beyond 64 bits), which ``violations``
        #: then leaves to the reference.
        self.is_valid: Callable[[Any], bool] = judge.is_valid
        self._rs_errors = judge.iter_errors

    def violations(self, record: Any) -> list[Violation]:
        """Every violation of ``record``, most relevant first; empty when valid."""
        try:
            if self.is_valid(record):
                return []
        except (ValueError, OverflowError):  # e.g. integers beyond 64 bits: let the reference decide
            return self.explained_by_reference(record, judged=False)
        try:
            explained = _explained_by_rs(self._rs_errors(record))
        except (ValueError, OverflowError):
            explained = None
        return sorted(explained, key=_relevance) if explained else self.explained_by_reference(record)

    @cached_property
    def _reference(self) -> jsonschema.protocols.Validator:
        return self.schema.validator(check_formats=self._check_formats)

    def explained_by_reference(self, record: Any, judged: bool = True) -> list[Violation]:
        """The violations the reference validator finds (``judged``: jsonschema-rs found some)."""
        errors = list(self._reference.iter_errors(record))
        if not errors:
            if not judged:
                return []
            return [Violation((), "the record breaks the schema, but the explaining validator cannot say where "
                                  "(please report it with the record)", "", "unknown")]
        return sorted((violation for error in errors for violation in _violations(error)), key=_relevance)


#: The keywords whose violations jsonschema-rs explains as the reference does.
_PLAIN_KEYWORDS = frozenset({
    "type", "required", "enum", "const", "format", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "multipleOf", "additionalProperties",
})
_EXPECTED = {  # where a jsonschema-rs error kind keeps the keyword's value
    "type": "types", "enum": "options", "const": "expected_value", "format": "format", "pattern": "pattern",
    "multipleOf": "multiple_of",
}


def _explained_by_rs(errors: Any) -> list[Violation] | None:
    """The violations of jsonschema-rs's errors; None when one of them needs the reference's context."""
    violations = []
    for error in errors:
        kind = error.kind
        keyword = kind.name
        if keyword not in _PLAIN_KEYWORDS:
            return None
        path: Path = tuple(error.instance_path)
        schema_path = "/" + "/".join(str(part) for part in error.evaluation_path if part != "$ref")
        if keyword == "required":
            violations.append(Violation(path + (kind.property,), "required property is missing", schema_path,
                                        keyword, depth=len(path)))
            continue
        expected = getattr(kind, _EXPECTED.get(keyword, "limit"), None)
        violations.append(Violation(path, _message(keyword, error.instance, expected, error.message), schema_path,
                                    keyword, depth=len(path)))
    return violations


def _relevance(violation: Violation) -> tuple[Any, ...]:
    """Deepest first (the most specific), then in path order, then by keyword (and message: the same
    keyword can fail twice at one place, through a $ref and beside it)."""
    return (-violation.depth, [(isinstance(part, str), part) for part in violation.path], violation.keyword,
            violation.message)


def _violations(error: jsonschema.exceptions.ValidationError) -> list[Violation]:
    path: Path = tuple(error.absolute_path)
    schema_path = "/" + "/".join(str(part) for part in error.absolute_schema_path)
    keyword = str(error.validator)
    required: Any = error.validator_value
    if keyword == "required" and isinstance(error.instance, dict):
        missing = [name for name in required if name not in error.instance and repr(name) in error.message]
        return [Violation(path + (name,), "required property is missing", schema_path, keyword, depth=len(path))
                for name in missing[:1]]
    return [Violation(path, _message(keyword, error.instance, error.validator_value, error.message), schema_path,
                      keyword, depth=len(path))]


def error_message(error: jsonschema.exceptions.ValidationError) -> str:
    """The message users read for one error of the reference validator."""
    return _message(str(error.validator), error.instance, error.validator_value, error.message)


_TYPE_ORDER = ["string", "number", "integer", "boolean", "object", "array", "null"]


def _message(keyword: str, instance: Any, expected: Any, message: str) -> str:
    """The message of a violation of ``keyword`` (with value ``expected``); ``message`` for the others."""
    shown = _json(instance)
    if keyword == "type":
        names = sorted(expected if isinstance(expected, list) else [expected], key=_TYPE_ORDER.index)
        return f"{shown} is not of type {' or '.join(names)}"
    if keyword == "enum":
        return f"{shown} is not one of {', '.join(_json(value) for value in expected)}"
    if keyword == "const":
        return f"{shown} is not {_json(expected)}"
    if keyword == "format":
        return f"{shown} is not a valid {expected}"
    if keyword == "pattern":
        return f"{shown} does not match the pattern {expected!r}"
    if keyword in ("minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                   "minItems", "maxItems", "multipleOf"):
        return f"{shown} breaks {keyword} {expected}"
    return json_spelling(message, instance, expected)


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
