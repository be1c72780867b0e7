"""Whether a value the mapping writes (a constant, a default, a lookup result) fits its place in the target schema.

jsonschema-rs judges, in place: the value is validated against a ``$ref`` to
the subschema's JSON pointer in its file, so every ``$ref`` inside resolves as
it does for the whole record, and ``format`` is checked as the engine checks
it. Only a value it refuses, or one it cannot take (an integer beyond 64 bits,
a subschema that is not in a file), is validated again by the reference
``jsonschema``, whose best error says why in the words of ``mapper.validation``:
the pure-Python stack is imported only then, never for a mapping whose values
all fit (``mapper convert`` checks every mapping it loads).

A value is refused when both refuse it (or the reference alone, where
jsonschema-rs cannot judge): never one that the engine, which judges records
with jsonschema-rs, accepts. The two differ in one place: a ``pattern`` is
ECMA-262, whose ``\\s`` leaves out U+001C-U+001F and U+0085, which Python's
``re`` counts as spaces; there jsonschema-rs decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import jsonschema_rs

from ...schemas import _INSTANCE_KEYWORDS, Schema, SchemaNode
from ...validation import error_message


class ValueJudge:
    """Checks values against subschemas of one loaded ``schema``; build once, ask for many values."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._registry = jsonschema_rs.Registry(list(schema.documents.items()))
        self._places = _pointers(schema.documents)
        self._judges: dict[int, tuple[Any, Callable[[Any], bool] | None]] = {}
        self._reference: Any = None

    def violation(self, node: SchemaNode, value: Any) -> str | None:
        """Why ``value`` is invalid under ``node``, as ``mapper.validation`` words it; None when valid."""
        is_valid = self._judge(node.schema)
        if is_valid is not None:
            try:
                if is_valid(value):
                    return None
            except (ValueError, OverflowError):  # a value jsonschema-rs cannot take: the reference decides
                pass
        return self._explained(node, value)

    def _judge(self, subschema: Any) -> Callable[[Any], bool] | None:
        """jsonschema-rs's verdict on values under ``subschema``; None when it has no place in a file."""
        known = self._judges.get(id(subschema))
        if known is None:
            # The subschema is kept beside its verdict so that its id names it as long as the entry lives.
            known = self._judges[id(subschema)] = (subschema, self._build(subschema))
        return known[1]

    def _build(self, subschema: Any) -> Callable[[Any], bool] | None:
        if isinstance(subschema, bool):
            return jsonschema_rs.validator_for(subschema).is_valid
        place = self._places.get(id(subschema))
        if place is None:
            return None
        wrapper: dict[str, Any] = {"$ref": place}
        root = self.schema.contents
        if isinstance(root, dict) and isinstance(root.get("$schema"), str):
            wrapper = {"$schema": root["$schema"], **wrapper}
        try:
            validator = jsonschema_rs.validator_for(wrapper, registry=self._registry, validate_formats=True)
        except (ValueError, jsonschema_rs.ReferencingError):
            return None
        is_valid: Callable[[Any], bool] = validator.is_valid
        return is_valid

    def _explained(self, node: SchemaNode, value: Any) -> str | None:
        """The reference validator's reason, in place (its ``descend`` resolves the subschema's ``$ref``)."""
        import jsonschema.exceptions

        if self._reference is None:
            self._reference = self.schema.validator(check_formats=True)
        errors = list(self._reference.descend(value, node.schema, resolver=node.resolver))
        if not errors:
            return None
        best = jsonschema.exceptions.best_match(errors)
        return error_message(best) if best is not None else "invalid"


def _pointers(documents: dict[str, Any]) -> dict[int, str]:
    """The URI and JSON pointer (``file:///s.json#/properties/a``) of every subschema of ``documents``, by id."""
    found: dict[int, str] = {}
    walked: set[int] = set()
    for uri, contents in documents.items():
        if id(contents) in walked:  # a file is listed under its path and under its $id: walk it once
            continue
        walked.add(id(contents))
        for node, pointer in _walk(contents, ""):
            found.setdefault(id(node), f"{uri}#{pointer}")
    return found


def _walk(node: Any, pointer: str) -> Iterator[tuple[Any, str]]:
    if isinstance(node, dict):
        yield node, pointer
        for key, value in node.items():
            if key not in _INSTANCE_KEYWORDS:  # their values are instances: no subschema sits inside
                yield from _walk(value, f"{pointer}/{_escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{pointer}/{index}")


def _escape(token: str) -> str:
    """A JSON pointer token, written as a URI fragment may hold it."""
    return quote(token.replace("~", "~0").replace("/", "~1"), safe="~!$&'()*+,;=:@")
