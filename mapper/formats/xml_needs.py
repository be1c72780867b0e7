"""Which undescribed parts of an XML record a mapping can read, so that the reader skips the rest.

Reading what the schema does not describe (the xmltodict fallback) is most of the cost of a real
document: C-CDA's narrative tables, and the sections and statements a mapping never looks at.
``fallback_keys(mapping)`` is the set of every name the mapping's expressions mention; an
undescribed element whose key is not among them cannot change the output, and is skipped
whole. It is None (read everything) wherever a mapping could see more than the names it
mentions:

- source validation is on (the schema may refuse keys it does not describe);
- an expression lists the keys or values of an object, or measures or prints one (``*``,
  ``keys``, ``values``, ``items``, ``length``, ``merge``, ``to_string``), or calls a user function;
- a value rule may write a value that is not a scalar (or arrays of them): an object copied whole
  must keep what it holds.

Described properties are always read: they are cheap, and kept whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ..functions.builtins import BUILTIN_FUNCTIONS, CONTEXT_FUNCTIONS
from ..functions.library import LIBRARY_FUNCTIONS
from ..model import EachRule, ObjectRule, Rule, expressions_of, walk_rules
from ..parser import parse

if TYPE_CHECKING:
    from ..mapping import Mapping
    from ..schemas import SchemaNode

#: Functions whose result depends on keys an expression does not name.
_WHOLE_OBJECT_FUNCTIONS: Final = frozenset({"keys", "values", "items", "length", "merge", "to_string"})
_KNOWN: Final = frozenset({*BUILTIN_FUNCTIONS, *CONTEXT_FUNCTIONS, *LIBRARY_FUNCTIONS})
_SCALARS: Final = frozenset({"string", "number", "integer", "boolean", "null"})


def fallback_keys(mapping: Mapping) -> frozenset[str] | None:
    """The keys of undescribed elements and attributes the mapping may read, or None for all of them."""
    if mapping.validate_source:
        return None
    if not _writes_only_scalars(mapping.spec.rules, mapping.target_schema.root):
        return None
    names: set[str] = set()
    for rule in walk_rules(mapping.spec.rules):
        for expression in expressions_of(rule):
            if not _collect(parse(expression.text), names):
                return None
    return frozenset(names)


def _collect(node: dict[str, Any], names: set[str]) -> bool:
    """Add the field names under ``node`` to ``names``; False where the expression sees keys it does not name."""
    kind = node["type"]
    if kind == "value_projection":
        return False
    if kind == "function_expression" and (node["value"] in _WHOLE_OBJECT_FUNCTIONS or node["value"] not in _KNOWN):
        return False  # a user function may look at anything
    if kind == "field":
        names.add(node["value"])
    return all(_collect(child, names) for child in node.get("children", ()) if isinstance(child, dict))


def _writes_only_scalars(rule: Rule, node: SchemaNode | None) -> bool:
    """Whether every value rule under ``rule`` writes where the target allows only scalars (or arrays of them)."""
    if isinstance(rule, ObjectRule):
        return all(_writes_only_scalars(child, node.property(name) if node is not None else None)
                   for name, child in rule.fields)
    if isinstance(rule, EachRule):
        return _writes_only_scalars(rule.item, node.items() if node is not None else None)
    if rule.source is None:
        return True  # a constant
    return _scalar_only(node, 2)


def _scalar_only(node: SchemaNode | None, depth: int) -> bool:
    types = node.types() if node is not None else None
    if node is None or types is None or not types:
        return False
    if types <= _SCALARS:
        return True
    return depth > 0 and types <= _SCALARS | {"array"} and _scalar_only(node.items(), depth - 1)
