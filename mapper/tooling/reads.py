"""What a JMESPath expression reads: the paths its value comes from, walked on its syntax tree.

``value_of(ast, context)`` follows the tree (``parser.parse``) without any
record: a field steps into the path of the current value, a projection or a
filter runs its right side on the items of its left, ``$`` and ``root()`` start
from the record, ``parent(n)`` from an enclosing value, a ``$name`` from what it
was bound to, ``index()`` reads the position in the array the ``each`` walks.
Functions are known only by the facts on their ``FunctionSpec`` (``refines``,
``expref_items``): ``sort_by`` gives the items of its array, ``coalesce`` one of
its arguments, ``lookup('table', x)`` reads ``x`` through the table; any other
call is computed from what its arguments read.

The answer is a ``Value``: ``refs``, the paths where its value is (so that a
step after it goes further down them), and ``derived``, the other paths it was
computed from (a filter's condition, a function's arguments). Each path is a
``Read``: a base (``@`` the current value, ``$`` the record, ``$name``,
``parent(n)``) and its steps, with ``via``, the context reads and lookups on
the way. ``Read.text`` is a JMESPath expression that gives its value in the
same place, which ``mapper explain`` evaluates; ``mapper lineage`` starts from
the record and resolves every base to a path in it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..functions import FunctionSpec

__all__ = ["NOTHING", "Context", "Read", "Step", "Value", "Wildcard", "items_of", "value_of"]

Node = dict[str, Any]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Wildcard(enum.Enum):
    """A step to any of several values: the items of an array (``[*]``), the items of the arrays in an
    array merged (``[]``), the values of an object (``*``)."""

    ITEMS = "[*]"
    FLATTENED = "[]"
    VALUES = "*"


#: One step of a path: a field name, an array index, or a wildcard.
Step = str | int | Wildcard


@dataclass(frozen=True)
class Read:
    """A path read: ``steps`` from ``base`` (``@``, ``$``, ``$name``, ``parent(n)``), reached through
    ``via`` (``$``, ``root()``, ``parent(n)``, ``index()``, ``$name``, ``lookup:TABLE``, in the order met)."""

    base: str
    steps: tuple[Step, ...] = ()
    via: tuple[str, ...] = ()

    def then(self, step: Step) -> Read:
        return replace(self, steps=self.steps + (step,))

    def through(self, label: str) -> Read:
        return self if label in self.via else replace(self, via=self.via + (label,))

    @property
    def text(self) -> str:
        """A JMESPath expression giving this path's value where it was read (``Emails[*].Address``)."""
        text = "" if self.base == "@" else self.base
        for step in self.steps:
            if isinstance(step, Wildcard):
                text += (".*" if text else "*") if step is Wildcard.VALUES else step.value
            elif isinstance(step, int):
                text += f"[{step}]"
            else:
                name = step if _IDENTIFIER.match(step) else '"' + step.replace("\\", "\\\\").replace('"', '\\"') + '"'
                text += f".{name}" if text else name
        return text or "@"


@dataclass(frozen=True)
class Value:
    """What an expression's value is made of: ``refs``, the paths it is at (the items' paths when
    ``many``, a projection's result), and ``derived``, the other paths it was computed from."""

    refs: frozenset[Read] = frozenset()
    derived: frozenset[Read] = frozenset()
    many: bool = False

    def reads(self) -> frozenset[Read]:
        """Every path the value comes from."""
        return self.refs | self.derived

    def through(self, label: str) -> Value:
        """The value with ``label`` added to the ``via`` of every path."""
        return Value(frozenset(read.through(label) for read in self.refs),
                     frozenset(read.through(label) for read in self.derived), self.many)

    def step(self, step: Step) -> Value:
        return Value(frozenset(read.then(step) for read in self.refs), self.derived)

    def computed(self) -> Value:
        """A value computed from this one, at no path of its own."""
        return Value(derived=self.reads())


NOTHING = Value()


def _union(values: Iterable[Value], *, many: bool | None = None) -> Value:
    values = list(values)
    return Value(frozenset().union(*(value.refs for value in values)),
                 frozenset().union(*(value.derived for value in values)),
                 any(value.many for value in values) if many is None else many)


def items_of(value: Value) -> Value:
    """The items of ``value``, an array (or a projection's result, whose items are at its paths)."""
    if value.many:
        return Value(value.refs, value.derived)
    return value.step(Wildcard.ITEMS)


@dataclass(frozen=True)
class Context:
    """Where an expression is read: its current value, the record, the ``$name`` variables, the values
    ``parent(n)`` gives (``scopes[n]``: the current scope's value first, the record's last) and the array
    whose position ``index()`` gives."""

    current: Value
    root: Value
    functions: Mapping[str, FunctionSpec]
    variables: Mapping[str, Value] = field(default_factory=dict)
    scopes: tuple[Value, ...] = ()
    position: Value = NOTHING

    def on(self, current: Value) -> Context:
        return replace(self, current=current)

    def bind(self, name: str, value: Value) -> Context:
        return replace(self, variables={**self.variables, name: value})

    def enter(self, current: Value, *, position: Value | None = None) -> Context:
        """The context of a scope entered (an object's ``from``, an ``each`` item) whose value is ``current``."""
        return replace(self, current=current, scopes=(current, *self.scopes),
                       position=self.position if position is None else position)

    def ancestor(self, levels: int) -> Value:
        """What ``parent(levels)`` gives: nothing beyond the record."""
        return self.scopes[levels] if 0 <= levels < len(self.scopes) else NOTHING


def value_of(node: Node, context: Context) -> Value:
    """What the syntax tree ``node`` reads where ``context`` says it runs."""
    kind = node["type"]
    handler = _HANDLERS.get(kind)
    if handler is not None:
        return handler(node, context)
    # A node with no rule of its own (a literal...) is computed from whatever its children read.
    children = [child for child in node.get("children", ()) if isinstance(child, dict)]
    return _union(value_of(child, context) for child in children).computed()


def _current(node: Node, context: Context) -> Value:
    return context.current


def _field(node: Node, context: Context) -> Value:
    return context.current.step(node["value"])


def _subexpression(node: Node, context: Context) -> Value:
    value = context.current
    for child in node["children"]:
        value = value_of(child, context.on(value))
    return value


def _index_expression(node: Node, context: Context) -> Value:
    left, *indexes = node["children"]
    value = value_of(left, context)
    for index in indexes:
        if index["type"] == "index":
            # An item of a projection's result is at the projection's paths.
            value = Value(value.refs, value.derived) if value.many else value.step(int(index["value"]))
        # A slice keeps the paths: the projection that follows steps into the items.
    return value


def _projection(node: Node, context: Context) -> Value:
    left, right = node["children"]
    collection = value_of(left, context)
    items = items_of(collection) if node["type"] == "projection" else Value(
        collection.step(Wildcard.VALUES).refs, collection.derived)
    result = value_of(right, context.on(items))
    return Value(result.refs, collection.derived | result.derived, many=True)


def _filter_projection(node: Node, context: Context) -> Value:
    left, right, condition = node["children"]
    collection = value_of(left, context)
    items = items_of(collection)
    kept = value_of(condition, context.on(items)).reads()
    result = value_of(right, context.on(items))
    return Value(result.refs, collection.derived | kept | result.derived, many=True)


def _flatten(node: Node, context: Context) -> Value:
    child = node["children"][0]
    if child["type"] == "multi_select_list":
        # `[@, translation[]][]`: a projection in the list gives its items; any other element is one item.
        return _union((value_of(element, context) for element in child["children"]), many=True)
    value = value_of(child, context)
    return Value(value.step(Wildcard.FLATTENED).refs, value.derived, many=True)


def _pipe(node: Node, context: Context) -> Value:
    left, right = node["children"]
    return value_of(right, context.on(value_of(left, context)))


def _either(node: Node, context: Context) -> Value:
    return _union(value_of(child, context) for child in node["children"])


def _ternary(node: Node, context: Context) -> Value:
    condition, if_true, if_false = (value_of(child, context) for child in node["children"])
    either = _union([if_true, if_false])
    return Value(either.refs, either.derived | condition.reads(), either.many)


def _multi_select_list(node: Node, context: Context) -> Value:
    return _union((value_of(child, context) for child in node["children"]), many=True)


def _root(node: Node, context: Context) -> Value:
    return context.root.through("$")


def _variable(node: Node, context: Context) -> Value:
    name = node["value"]
    return context.variables.get(name, NOTHING).through(f"${name}")


def _let(node: Node, context: Context) -> Value:
    *bindings, body = node["children"]
    for binding in bindings:
        name = binding["value"]
        context = context.bind(name, value_of(binding["children"][0], context))
    return value_of(body, context)


def _function(node: Node, context: Context) -> Value:
    spec = context.functions.get(node["value"])
    arguments: list[Node] = node["children"]
    refines = spec.refines if spec is not None else None
    kind = refines.kind if refines is not None else None
    if kind == "record":
        return context.root.through("root()")
    if kind == "position":
        return context.position.through("index()")
    if kind == "enclosing":
        levels = _literal(arguments[0]) if arguments else 1
        if not isinstance(levels, int) or isinstance(levels, bool):
            return NOTHING
        return context.ancestor(levels).through(f"parent({levels})")
    if kind == "lookup" and refines is not None and len(arguments) > refines.argument + 1:
        table = _literal(arguments[refines.argument])
        key = value_of(arguments[refines.argument + 1], context)
        return key.computed().through(f"lookup:{table}") if isinstance(table, str) else key.computed()
    values = [value_of(argument, context) if argument["type"] != "expref" else NOTHING for argument in arguments]
    walked = spec.expref_items if spec is not None and spec.expref_items is not None else None
    on_items = context.on(items_of(values[walked])) if walked is not None and walked < len(values) else context
    read = list(values)
    for position, argument in enumerate(arguments):
        if argument["type"] == "expref":
            values[position] = read[position] = value_of(argument["children"][0], on_items)
            if on_items is not context and walked is not None:
                # What the expression reference reads of the array's items is what the call reads of them.
                read[walked] = Value(derived=values[walked].derived)
    if kind == "first_present":
        return _union(values)
    if refines is not None and kind in ("argument", "item", "as_array", "mapped") and refines.argument < len(values):
        # The result is (part of) one argument: at its paths; the other arguments say which part, or in what order.
        passed = values[refines.argument]
        others = _union(value for position, value in enumerate(read) if position != refines.argument).reads()
        result = items_of(passed) if kind == "item" else passed
        return Value(result.refs, result.derived | others, many=kind == "mapped" or (kind != "item" and passed.many))
    return _union(read).computed()


def _literal(node: Node) -> Any:
    return node["value"] if node["type"] == "literal" else None


_HANDLERS: dict[str, Callable[[Node, Context], Value]] = {
    "identity": _current, "current": _current, "field": _field, "subexpression": _subexpression,
    "index_expression": _index_expression, "projection": _projection, "value_projection": _projection,
    "filter_projection": _filter_projection, "flatten": _flatten, "pipe": _pipe,
    "or_expression": _either, "and_expression": _either, "ternary": _ternary,
    "multi_select_list": _multi_select_list, "root": _root, "variable_ref": _variable, "let": _let,
    "function_expression": _function,
}
