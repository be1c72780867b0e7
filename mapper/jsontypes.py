"""The JSON type of a Python value, in the three vocabularies mapper speaks.

A JSON value is ``None``, a ``bool``, an ``int``, a ``float``, a ``str``, a
``list`` or a ``dict``. Its type has a different name depending on who asks,
and they part ways on one kind of value, a float with no fraction such as
``2.0``:

- ``json_type``: the type as the value is written, for messages and coercion.
  ``2.0`` is a ``number``: a message about it reads as the user wrote it
  ("got a number"), and coercion turns it into the integer ``2`` where an
  integer is wanted.
- ``schema_type``: the narrowest JSON Schema ``type`` that accepts the value,
  for reasoning about schemas. ``2.0`` is an ``integer``: JSON Schema counts
  any number with a zero fractional part as one.
- ``jmespath_type``: what JMESPath's ``type()`` says. ``2.0``, like every
  int and float, is a ``number``: JMESPath has one numeric type.

Booleans are never numbers (``True`` is an ``int`` in Python, not in JSON).
Nothing here depends on the rest of mapper.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import jmespath.functions

#: The JSON Schema type names, in the order mapper lists them.
JSON_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")


#: Python types and their JSON type names; ``bool`` before ``int``, of which it is a subclass.
_PYTHON_TO_JSON: tuple[tuple[type, str], ...] = (
    (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"), (dict, "object"),
)


def json_type(value: Any) -> str:
    """The JSON type name of ``value`` as it is written: ``integer`` for an int, ``number`` for any float
    (``2.0`` too); the Python type's name for a value that is not JSON (a ``datetime``)."""
    if value is None:
        return "null"
    for python_type, name in _PYTHON_TO_JSON:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def schema_type(value: Any) -> str:
    """The narrowest JSON Schema ``type`` that accepts ``value``: as ``json_type``, except that a float
    without fraction (``2.0``) is an ``integer``, as JSON Schema says."""
    if isinstance(value, float) and value.is_integer():
        return "integer"
    return json_type(value)


def jmespath_type(value: Any) -> str:
    """What JMESPath's ``type()`` says of ``value`` (``number`` for every int and float, ``expref`` for an
    expression reference); ``unknown`` for a value JMESPath does not know."""
    # jmespath's own table, so that the name always agrees with type() and its argument checks.
    return jmespath.functions.TYPES_MAP.get(type(value).__name__, "unknown")


def type_allows(types: Collection[str], kind: str) -> bool:
    """Whether a schema whose ``type`` lists ``types`` accepts values of type ``kind`` (a ``number`` type
    accepts integers, an ``integer`` type does not accept other numbers)."""
    return kind in types or (kind == "integer" and "number" in types)


def with_article(kind: str) -> str:
    """A type name as a message says it: ``an integer``, ``a string``, ``null``."""
    if kind == "null":
        return kind
    return ("an " if kind[:1] in ("a", "e", "i", "o", "u") else "a ") + kind
