"""Values and JMESPath types as a message shows them: ``the string "12,3x"``, ``an array of numbers``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..jsontypes import jmespath_type

_MAX_SHOWN = 60


def show(value: Any) -> str:
    """A value as it appears in a message: JSON, cut short when long."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def describe_value(value: Any) -> str:
    """A value with its type, for "..., not <value>": ``null``, ``the number 1``."""
    kind = jmespath_type(value)
    if value is None:
        return "null"
    if kind == "expref":
        return "an expression reference"
    if kind == "unknown":
        return f"a value of Python type {type(value).__name__}"
    return f"the {kind} {show(value)}"


_TYPE_WORDS = {"string": "a string", "number": "a number", "boolean": "a boolean", "array": "an array",
               "object": "an object", "null": "null", "expref": "an expression reference (&expression)",
               "any": "any value"}
_PLURAL = {"string": "strings", "number": "numbers", "boolean": "booleans", "array": "arrays",
           "object": "objects", "null": "nulls"}


def describe_types(kinds: Sequence[str]) -> str:
    """Parameter types in words: ``a string or an array of numbers``."""
    words = [f"an array of {_PLURAL[kind[6:]]}" if kind.startswith("array-") else _TYPE_WORDS.get(kind, kind)
             for kind in kinds]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
