"""Lossless type coercion guided by the target schema.

A value whose JSON type the target allows is never touched, so ``"01234"``
stays a string where the target says string. Otherwise one conversion is
tried, and only if it loses nothing:

=========  =====================================================  =====================
target     converts                                               refuses
=========  =====================================================  =====================
integer    ``"42"`` -> 42, ``42.0`` -> 42                          ``"4.2"``, ``"abc"``, 4.5
number     ``"12.50"`` -> 12.5, ``"7"`` -> 7                       ``"1,5"``, digits a float cannot hold
string     ``42`` -> ``"42"``, ``12.5`` -> ``"12.5"``              booleans, arrays, objects
boolean    ``"true"`` / ``"false"``                                ``"yes"``, 1 (use ``to_bool()``)
=========  =====================================================  =====================

A conversion that applies but would lose information raises ``CoercionError``;
a value for which no conversion exists is left for target validation to report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from .jsontypes import json_type, type_allows

Coercer = Callable[[Any], Any]

_INTEGER_TEXT = re.compile(r"[-+]?[0-9]+\Z")
_NUMBER_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")


class CoercionError(ValueError):
    """A value could not be converted to the target type without loss."""


def _allows(types: frozenset[str], value: Any) -> bool:
    # By the type as written: 3.0 is a valid integer in JSON Schema, but is converted to 3 (nothing lost).
    return type_allows(types, json_type(value))


def _to_integer(value: Any) -> Any:
    if isinstance(value, str) and _INTEGER_TEXT.match(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (str, float)):
        raise CoercionError(f"cannot convert {value!r} to an integer without losing information")
    return value


def _to_number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not _NUMBER_TEXT.match(value):
        raise CoercionError(f"cannot read {value!r} as a number")
    if _INTEGER_TEXT.match(value):
        return int(value)
    number = float(value)
    try:
        exact = Decimal(repr(number)) == Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        exact = False
    if not exact:
        raise CoercionError(f"{value!r} has more digits than a JSON number keeps; map it to a string")
    return number


def _to_string(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return str(value) if isinstance(value, int) else repr(value)


def _to_boolean(value: Any) -> Any:
    if value == "true":
        return True
    if value == "false":
        return False
    if isinstance(value, str):
        raise CoercionError(f"cannot convert {value!r} to a boolean; only \"true\" and \"false\" convert "
                            "(use to_bool() for other spellings)")
    return value


_CONVERSIONS: tuple[tuple[str, Coercer], ...] = (
    ("integer", _to_integer),
    ("number", _to_number),
    ("boolean", _to_boolean),
    ("string", _to_string),
)


def coercer_for(types: frozenset[str] | None) -> Coercer | None:
    """The coercion for a target that allows ``types``; None when nothing is ever converted."""
    if types is None:
        return None
    conversions = [convert for name, convert in _CONVERSIONS if name in types]
    if not conversions:
        return None
    fast = python_types(types)

    def coerce(value: Any) -> Any:
        if type(value) in fast or _allows(types, value):
            return value
        if value is None:
            return None
        failure: CoercionError | None = None
        for convert in conversions:
            try:
                converted = convert(value)
            except CoercionError as error:
                failure = failure or error
                continue
            if converted is not value:
                return converted
        if failure is not None:
            raise failure
        return value

    return coerce


def python_types(types: frozenset[str]) -> frozenset[type]:
    """The Python types of values that need no conversion for a target of JSON ``types``."""
    python: set[type] = set()
    for name, kinds in (("string", (str,)), ("boolean", (bool,)), ("integer", (int,)), ("number", (int, float)),
                        ("array", (list,)), ("object", (dict,)), ("null", (type(None),))):
        if name in types:
            python.update(kinds)
    return frozenset(python)


def short_json(value: Any) -> str:
    """``value`` as JSON for a message, cut to 60 characters."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def refused_value(what: str, value: Any, reason: str) -> str:
    """How a value the mapping file writes (``what``: "its constant", "its default") that the target
    refuses is reported: by loading and by ``mapper check`` (M205) in the same words."""
    return f"{what} {short_json(value)} is invalid for the target: {reason}"
