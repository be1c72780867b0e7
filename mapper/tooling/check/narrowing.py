"""What a condition tells about the values it tests: ``assume``.

Where a condition is known to hold (the kept items of a filter ``[?...]``, the
rules under a ``when``, the first branch of ``?:``, the right side of ``&&``)
or known not to hold (the second branch of ``?:``, the right side of ``||``),
the values it tests are narrower than their schemas say:

- ``a == 'x'`` holds: ``a`` is ``'x'`` (and an ``if``/``then`` schema
  branch that needs it is the one that applies); it does not hold (or
  ``a != 'x'`` holds): ``a`` is any of its values but ``'x'``;
- ``a`` holds: ``a`` is truthy (not null, not ``''``, not ``false``...);
  it does not: ``a`` is falsy;
- ``!``, ``&&`` and ``||`` combine these as logic says (``a || b`` holds:
  ``a`` holds, or ``a`` does not and ``b`` does).

A tested value that is the current value ``@``, a field path from it
(``name.use``) or a variable with a field path (``$n.use``) is narrowed
wherever it is read. Any other tested expression (``name[0].use``,
``lower(code)``) becomes a fact: the same expression, run on the same current
value, gives the narrowed shape. Evaluation has no side effects, so it gives
the same value as in the condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from .shapes import NOTHING, ObjectShape, Shape, falsy_part, kind_of, narrow, of_value, truthy_part, union

Node = dict[str, Any]
#: The shape of an expression run on a shape, typed without reporting anything.
Infer = Callable[[Node, Shape], Shape]
Refine = Callable[[Shape], Shape]
#: An expression as ``node_key`` spells it: its structure, without offsets.
NodeKey = tuple[Any, ...]


@dataclass(frozen=True)
class Known:
    """The shapes a condition can narrow: the current value, the ``$name`` variables, and facts: what
    an expression (by ``node_key``) gives when run on ``current``."""

    current: Shape
    variables: Mapping[str, Shape]
    facts: Mapping[NodeKey, Shape] = field(default_factory=dict)


def node_key(node: Node) -> NodeKey:
    """The expression's structure: equal for two writings of the same expression."""
    return (node["type"], repr(node.get("value")), tuple(node_key(child) for child in node.get("children", ())))


#: How many levels of ``a && b`` that fails (or ``a || b`` that holds) are followed: each tries both
#: outcomes of ``a``, so the work doubles per level; deeper, a condition tells nothing (always safe).
MAX_DEPTH = 6
#: How many object shapes one value may be narrowed into: each either-or case adds its own, so a long
#: chain of ``a == 'x' && ... || ...`` would double them per link; beyond this, the condition tells nothing.
MAX_OBJECTS = 4


#: Results of ``assume`` by (condition, holds, known), each with the ``known`` it is for (which keeps
#: the ids valid). A caller typing ``a || b || c ...`` asks for each left side in turn, and each
#: contains the one before: one memo for the calls of one ``infer`` keeps that linear.
Memo = dict[tuple[int, bool, int], tuple[Known, Known]]


def assume(condition: Node, known: Known, holds: bool, infer: Infer, memo: Memo | None = None,
           depth: int = 0) -> Known:
    """``known``, narrowed to where ``condition`` is truthy (``holds``) or falsy (not ``holds``)."""
    memo = {} if memo is None else memo
    key = (id(condition), holds, id(known))
    hit = memo.get(key)
    if hit is not None and hit[0] is known:
        return hit[1]
    result = _assume(condition, known, holds, infer, memo, depth)
    memo[key] = (known, result)
    return result


def _assume(condition: Node, known: Known, holds: bool, infer: Infer, memo: Memo, depth: int) -> Known:
    kind = condition["type"]
    if depth > MAX_DEPTH:
        return known
    if kind == "not_expression":
        return assume(condition["children"][0], known, not holds, infer, memo, depth)
    if kind in ("and_expression", "or_expression"):
        left, right = condition["children"]
        if (kind == "and_expression") == holds:  # a && b holds, a || b does not: both sides alike
            return assume(right, assume(left, known, holds, infer, memo, depth), holds, infer, memo, depth)
        # a && b fails: a fails, or a holds and b fails; a || b holds: a holds, or a fails and b holds.
        deeper = depth + 1
        either = _either(assume(left, known, holds, infer, memo, deeper),
                         assume(right, assume(left, known, not holds, infer, memo, deeper), holds, infer, memo,
                                deeper))
        return known if _too_many_objects(either) else either
    if kind == "comparator" and condition["value"] in ("eq", "ne"):
        for subject, other in (condition["children"], reversed(condition["children"])):
            if other["type"] == "literal":
                equal = (condition["value"] == "eq") == holds
                value = other["value"]
                return _refine(known, subject, partial(_equal if equal else _unequal, value), infer,
                               branch=(value,) if equal and value is not None else ())
        return known
    return _refine(known, condition, truthy_part if holds else falsy_part, infer)


def _either(first: Known, second: Known) -> Known:
    return Known(_union(first.current, second.current),
                 {name: _union(shape, second.variables[name])
                  for name, shape in first.variables.items() if name in second.variables},
                 {key: _union(shape, second.facts[key]) for key, shape in first.facts.items() if key in second.facts})


def _too_many_objects(known: Known) -> bool:
    shapes = [known.current, *known.variables.values(), *known.facts.values()]
    return any(len(shape.objects) > MAX_OBJECTS for shape in shapes)


def _union(first: Shape, second: Shape) -> Shape:
    return first if first is second else union([first, second])


def _subject(node: Node) -> tuple[str | None, list[str]] | None:
    """The tested value of ``node``: the variable (None for ``@``) and the field path from it."""
    kind = node["type"]
    if kind in ("current", "identity"):
        return None, []
    if kind == "field":
        return None, [node["value"]]
    if kind == "variable_ref":
        return node["value"], []
    if kind == "subexpression":
        base = _subject(node["children"][0])
        names: list[str] = []
        for child in node["children"][1:]:
            if child["type"] != "field":
                return None
            names.append(child["value"])
        return None if base is None else (base[0], base[1] + names)
    return None


def _refine(known: Known, node: Node, refine: Refine, infer: Infer, branch: tuple[Any, ...] = ()) -> Known:
    subject = _subject(node)
    if subject is None:
        key = node_key(node)
        shape = known.facts.get(key)
        refined = refine(shape if shape is not None else infer(node, known.current))
        return replace(known, facts={**known.facts, key: refined})
    variable, chain = subject
    if variable is None:
        return replace(known, current=_refine_path(known.current, chain, refine, infer, branch))
    if variable not in known.variables:
        return known
    narrowed = _refine_path(known.variables[variable], chain, refine, infer, branch)
    return replace(known, variables={**known.variables, variable: narrowed})


def _refine_path(shape: Shape, chain: list[str], refine: Refine, infer: Infer, branch: tuple[Any, ...]) -> Shape:
    if not chain:
        return refine(shape)
    if shape.unknown:
        return shape
    name, rest = chain[0], chain[1:]
    objects: list[ObjectShape] = []
    for object_ in shape.objects:
        inner = infer({"type": "field", "value": name, "children": []},
                      Shape(frozenset({"object"}), objects=(object_,)))
        refined = _refine_path(inner, rest, refine, infer, branch)
        if object_.fields is not None:
            fields = tuple((key, field) for key, field in object_.fields if key != name)
            objects.append(replace(object_, fields=fields + ((name, refined),)))
            continue
        if branch and not rest:
            object_ = narrow(object_, name, branch[0])
        overrides = tuple(item for item in object_.overrides if item[0] != name)
        objects.append(replace(object_, overrides=overrides + ((name, refined),)))
    return replace(shape, objects=tuple(objects))


def _equal(value: Any, shape: Shape) -> Shape:
    """The shape, known to equal ``value``."""
    if value is None:
        return Shape(frozenset({"null"}), null_from=shape.null_from, path=shape.path)
    if shape.unknown or kind_of(value) in ("array", "object"):
        return shape
    if not shape.can_be(kind_of(value)) or (
            shape.values is not None and not any(_same(candidate, value) for candidate in shape.values)):
        return NOTHING  # it never equals the value: where it does, nothing runs
    return replace(of_value(value), formats=shape.formats, path=shape.path)


def _unequal(value: Any, shape: Shape) -> Shape:
    """The shape, known to differ from ``value``."""
    if value is None:
        return shape.without_null()
    if shape.values is None:
        return shape
    kept = tuple(candidate for candidate in shape.values if not _same(candidate, value))
    kinds = frozenset(kind_of(candidate) for candidate in kept) | (shape.kinds & {"null"})
    return replace(shape, kinds=kinds, values=kept or None)


def _same(first: Any, second: Any) -> bool:
    """JMESPath equality of two scalars: ``1 == 1.0``, but ``true`` is no ``1``."""
    return bool(first == second) and isinstance(first, bool) == isinstance(second, bool)
