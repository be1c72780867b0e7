"""Validate records against a JSON Schema and describe each violation in JSON terms.

Two validators work together. ``jsonschema-rs`` (compiled, about 100 times
faster) is the judge: a record it accepts is valid, a record it rejects is not.
A rejected record is validated again by the reference ``jsonschema`` validator,
which explains every violation with paths. The two disagree on formats (the
reference skips ``uri`` and ``hostname`` without optional packages, refuses
leap seconds), so the reference checks formats with jsonschema-rs's own checks
(``Schema.format_checker``): both give one verdict. Should the reference still
find nothing, the record is rejected anyway, with a violation that says so.
Messages are rewritten for the common keywords so users read JSON values
(``null``, ``"42"``), not Python reprs (``None``, ``'42'``); a missing required
property is reported at its own path, so it can be tied to the rule that should
have written it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema_rs

from .schemas import Schema

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Violation:
    """One way a record breaks its schema."""

    path: Path
    message: str
    schema_path: str
    keyword: str


class RecordValidator:
    """Validates records against one schema; build once, reuse for every record."""

    def __init__(self, schema: Schema, *, check_formats: bool = True) -> None:
        self.schema = schema
        self._validator = schema.validator(check_formats=check_formats)
        registry = jsonschema_rs.Registry(list(schema.documents.items()))
        self._is_valid = jsonschema_rs.validator_for(
            schema.contents, registry=registry, base_uri=schema.uri, validate_formats=check_formats,
        ).is_valid

    def violations(self, record: Any) -> list[Violation]:
        """Every violation of ``record``, most relevant first; empty when valid."""
        judged = True
        try:
            if self._is_valid(record):
                return []
        except (ValueError, OverflowError):  # e.g. integers beyond 64 bits: let the reference decide
            judged = False
        errors = list(self._validator.iter_errors(record))
        if not errors:
            if not judged:
                return []
            return [Violation((), "the record breaks the schema, but the explaining validator cannot say where "
                                  "(please report it with the record)", "", "unknown")]
        errors.sort(key=jsonschema.exceptions.relevance)
        return [violation for error in errors for violation in _violations(error)]


def _violations(error: jsonschema.exceptions.ValidationError) -> list[Violation]:
    path: Path = tuple(error.absolute_path)
    schema_path = "/" + "/".join(str(part) for part in error.absolute_schema_path)
    keyword = str(error.validator)
    required: Any = error.validator_value
    if keyword == "required" and isinstance(error.instance, dict):
        missing = [name for name in required if name not in error.instance and repr(name) in error.message]
        return [Violation(path + (name,), "required property is missing", schema_path, keyword)
                for name in missing[:1]]
    return [Violation(path, _message(error), schema_path, keyword)]


def _message(error: jsonschema.exceptions.ValidationError) -> str:
    keyword, instance = error.validator, error.instance
    expected: Any = error.validator_value
    shown = _json(instance)
    if keyword == "type":
        names = expected if isinstance(expected, list) else [expected]
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
    return error.message


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
