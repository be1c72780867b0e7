"""Library functions on arrays and objects, as JMESPath Community defines them: ``group_by``, ``items``,
``from_items``, ``zip``.

Beyond the community's texts, a null subject gives null (mapper's convention for missing fields), and a
value they cannot use is a ``FunctionError`` naming the function and quoting the value.
"""

from __future__ import annotations

from typing import Any

from jmespath.visitor import _Expression

from .describe import describe_value, show
from .errors import FunctionError
from .library import library
from .specs import Refines, param


@library("group_by", [param("array", "array-object", "null"), param("key", "expref")], ("object", "null"),
         expref_items=0)
def _group_by(array: list[dict[str, Any]] | None, key: _Expression) -> dict[str, list[Any]] | None:
    """The objects grouped by the string the key expression gives for each, in order; null keys left out."""
    if array is None:
        return None
    groups: dict[str, list[Any]] = {}
    for item in array:
        name = key.visit(key.expression, item)  # type: ignore[arg-type]  # the stubs say str; it is the node
        if isinstance(name, str):
            groups.setdefault(name, []).append(item)
        elif name is not None:
            raise FunctionError("group_by", f"the key expression gives {describe_value(name)} for an item; "
                                            "it must give a string (or null to leave the item out)")
    return groups


@library("items", [param("object", "object", "null")], ("array", "null"), refines=Refines("array_of", items="array"))
def _items(value: dict[str, Any] | None) -> list[list[Any]] | None:
    """The object's [key, value] pairs, in the object's order."""
    return None if value is None else [[name, item] for name, item in value.items()]


@library("from_items", [param("pairs", "array-array", "null")], ("object", "null"))
def _from_items(pairs: list[list[Any]] | None) -> dict[str, Any] | None:
    """The object of the [key, value] pairs; a later pair wins over an earlier one with its key."""
    if pairs is None:
        return None
    result: dict[str, Any] = {}
    for pair in pairs:
        if len(pair) != 2 or not isinstance(pair[0], str):
            raise FunctionError("from_items", f"each item must be a [key, value] pair with a string key, "
                                              f"not {show(pair)}")
        result[pair[0]] = pair[1]
    return result


@library("zip", [param("arrays", "array", variadic=True)], ("array",), refines=Refines("array_of", items="array"))
def _zip(*arrays: list[Any]) -> list[list[Any]]:
    """Arrays of the i-th items of every array, as many as the shortest array has."""
    return [list(items) for items in zip(*arrays)]
