"""Compile a mapping's rule tree into one callable that builds a target record.

Everything that can be decided once is decided here: expressions are compiled,
lookup tables and constants resolved, the target schema walked to find each
field's coercion, whether it is required, and the order of output keys. Then
Python source is generated: one function per target object, in which every
field's JMESPath expression is inlined (``codegen.py``) with its default,
lookup and coercion, so the per-record path is straight-line code.

A field that fails (an expression raising, a lookup miss, a lossy coercion) is
recorded with its output path and the record goes on being built, so one run
reports every problem of a record.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .codegen import RUNTIME, Emitter, build_function
from .coercion import coercer_for, json_type, python_types
from .errors import ExpressionError, MappingError
from .expressions import Expression, Scope, compile_expression
from .functions import FunctionTable
from .model import (
    EachRule,
    Expr,
    Lookup,
    MappingSpec,
    ObjectRule,
    Rule,
    ValueRule,
    expressions_of,
    lookup_key,
    walk_rules,
)
from .schemas import SchemaNode

#: Output path of a field: object keys and array indexes.
Path = tuple[str | int, ...]
#: (path, exception) pairs collected while building one record.
Failures = list[tuple[Path, Exception]]
#: The value of a field whose ``when`` is false: the field is left out.
OMIT: Any = object()

Builder = Callable[[Any, "Scope | None", Path, Failures], dict[str, Any]]


class LookupMiss(LookupError):
    """A value is not in a lookup table that has no default."""


@dataclass(frozen=True)
class CompiledMapping:
    """The result of compiling: the record builder and what it needs.

    ``build(record, scope, path, failures)`` returns the target record;
    ``source`` is the generated Python of every builder, for debugging.
    """

    build: Builder
    expressions: tuple[Expression, ...]
    uses_scope: bool
    source: str


def compile_mapping(spec: MappingSpec, target: SchemaNode | None, functions: FunctionTable) -> CompiledMapping:
    """Compile ``spec`` against the target schema's root node."""
    expressions: dict[str, Expression] = {}
    for rule in walk_rules(spec.rules):
        for expr in expressions_of(rule):
            if expr.text not in expressions:
                expressions[expr.text] = _compile(expr, functions)
    uses_scope = any(expression.uses_context for expression in expressions.values())
    compiler = _Compiler(spec.lookups, functions, expressions, uses_scope)
    root = compiler.object_builder(spec.rules, target)
    return CompiledMapping(root, tuple(expressions.values()), uses_scope, "\n".join(compiler.sources))


def _compile(expr: Expr, functions: FunctionTable) -> Expression:
    """Compile one rule expression, placing any error at the expression in the mapping file."""
    try:
        return compile_expression(expr.text, functions)
    except ExpressionError as error:
        raise ExpressionError(error.message, expr.text, error.offset, expr.location) from error
    except MappingError as error:  # e.g. an unknown function: add where
        raise type(error)(error.message, error.location or expr.location) from error


class _Compiler:
    """Generates one Python function per target object (the record, nested objects, ``each`` items).

    Inside a function every field is a ``try`` block: the field's expression,
    inlined, then default, lookup and coercion, then the store. A field that
    raises is recorded in ``failures`` with its output path, and the record
    goes on being built, so one run reports every problem of a record.
    """

    def __init__(self, lookups: dict[str, Lookup], functions: FunctionTable,
                 expressions: dict[str, Expression], uses_scope: bool) -> None:
        self.lookups = lookups
        self.functions = functions
        self.expressions = expressions
        self.uses_scope = uses_scope
        self.namespace: dict[str, Any] = dict(RUNTIME, _OMIT=OMIT, _not_array=_not_array, _with_values=_with_values)
        self.names = itertools.count(1)
        self.sources: list[str] = []

    def emitter(self) -> Emitter:
        return Emitter(self.functions, self.namespace, self.names)

    def item_emitter(self) -> Emitter:
        """The emitter of an item builder, ``(data, outer, index, path, failures)``: ``outer`` is the
        Scope enclosing the ``each``; the item's own is made only when needed (building one for
        every item was half of what the context functions cost)."""
        emitter = self.emitter()
        emitter.item = ("outer", "index")
        return emitter

    def scope(self, emitter: Emitter) -> str:
        """What generated code passes on as the scope: the emitter's, when the mapping has context functions."""
        return emitter.scope_variable() if self.uses_scope else "None"

    def finish(self, emitter: Emitter, result: str, what: str) -> Any:
        parameters = "data, scope, path, failures"
        if emitter.item is not None:
            parameters = "data, outer, index, path, failures"
            if emitter.scope_used:
                emitter.lines.insert(0, "    scope = None if outer is None else outer.enter(data, index)")
        function = build_function(emitter, result, f"<mapping builder of {what}>", parameters=parameters)
        self.sources.append(f"# {what}\n{emitter.source}")
        return function

    # Objects and arrays ------------------------------------------------------------------------------

    def object_builder(self, rule: ObjectRule, node: SchemaNode | None, *, item: bool = False) -> Builder:
        """A function building the object of ``rule`` (without its own scope/when/default); of each
        item of an ``each`` with ``item`` (see ``item_emitter``)."""
        emitter = self.item_emitter() if item else self.emitter()
        out = emitter.assign("{}")
        required = node.required() if node is not None else frozenset()
        order = node.property_names() if node is not None else []
        for key, child in sorted(rule.fields, key=lambda item: _position(order, item[0])):
            child_node = node.property(key) if node is not None else None
            with emitter.block("try:"):
                value = self.field(emitter, child, child_node, "data", key)
                tests = [] if key in required else [f"{value} is not None"]
                if child.when is not None:
                    tests.append(f"{value} is not _OMIT")
                store = f"{out}[{key!r}] = {value}"
                emitter.line(f"if {' and '.join(tests)}: {store}" if tests else store)
            with emitter.block("except Exception as error:  # a rule failure rejects the record, never the run"):
                emitter.line(f"failures.append((path + ({key!r},), error))")
        builder: Builder = self.finish(emitter, out, rule.name or "the record")
        return builder

    def field(self, emitter: Emitter, rule: Rule, node: SchemaNode | None, data: str, key: str) -> str:
        """Emit one field's value into a variable (``_OMIT`` when its ``when`` is false)."""
        if rule.when is None:
            return self.value(emitter, rule, node, data, key)
        result = emitter.assign("_OMIT")
        condition = self.inline(emitter, rule.when, data)
        with emitter.block(f"if _is_true({condition}):"):
            emitter.line(f"{result} = {self.value(emitter, rule, node, data, key)}")
        return result

    def value(self, emitter: Emitter, rule: Rule, node: SchemaNode | None, data: str, key: str) -> str:
        """Emit the value of field ``key`` (its path is ``path + (key,)`` in the generated code)."""
        if isinstance(rule, ValueRule):
            return self.plain_value(emitter, rule, node, data)
        if isinstance(rule, ObjectRule):
            return self.nested_object(emitter, rule, node, data, key)
        return self.each(emitter, rule, node, data, key)

    def nested_object(self, emitter: Emitter, rule: ObjectRule, node: SchemaNode | None, data: str,
                      key: str) -> str:
        path = f"path + ({key!r},)"
        build = emitter.bind(self.object_builder(rule, node), "object")
        # An object with no values (every field null or left out) is left out itself.
        if rule.scope is None:
            return emitter.assign(f"_with_values({build}({data}, {self.scope(emitter)}, {path}, failures))")
        inner = self.inline(emitter, rule.scope, data)
        result = emitter.assign(emitter.bind(rule.default) if rule.has_default else "None")
        with emitter.block(f"if {inner} is not None:"):
            outer = self.scope(emitter)
            scope = f"{outer}.enter({inner})" if self.uses_scope else "None"
            emitter.line(f"{result} = _with_values({build}({inner}, {scope}, {path}, failures))")
        return result

    def each(self, emitter: Emitter, rule: EachRule, node: SchemaNode | None, data: str, key: str) -> str:
        items_node = node.items() if node is not None else None
        items = self.inline(emitter, rule.each, data)
        result = emitter.assign(emitter.bind(rule.default) if rule.has_default else "None")
        with emitter.block(f"if {items} is not None:"):
            emitter.line(f"if not isinstance({items}, list): _not_array({items})")
            outer = self.scope(emitter)
            if isinstance(rule.item, ObjectRule):
                build = emitter.bind(self.object_builder(rule.item, items_node, item=True), "item")
            else:
                build = emitter.bind(self.value_item_builder(rule.item, items_node), "item")
            emitter.line(f"{result} = [{build}(_item, {outer}, _index, path + ({key!r}, _index), failures) "
                         f"for _index, _item in enumerate({items})]")
        return result

    def value_item_builder(self, rule: ValueRule, node: SchemaNode | None) -> Builder:
        """The function making one item of an ``each`` without ``rules``: null where it fails."""
        emitter = self.item_emitter()
        result = emitter.assign("None")
        with emitter.block("try:"):
            emitter.line(f"{result} = {self.plain_value(emitter, rule, node, 'data')}")
        with emitter.block("except Exception as error:"):
            emitter.line("failures.append((path, error))")
        builder: Builder = self.finish(emitter, result, f"the items of {rule.name}")
        return builder

    # Values -------------------------------------------------------------------------------------------

    def plain_value(self, emitter: Emitter, rule: ValueRule, node: SchemaNode | None, data: str) -> str:
        """A constant, or an expression's value with default, lookup and coercion applied."""
        types = node.types() if node is not None else None
        coerce = coercer_for(types)
        if rule.has_const:
            const = coerce(rule.const) if coerce is not None else rule.const
            return emitter.assign(f"_deepcopy({emitter.bind(const)})" if isinstance(const, (list, dict))
                                  else emitter.bind(const))
        assert rule.source is not None
        value = emitter.assign(self.inline(emitter, rule.source, data))
        default = rule.default
        if coerce is not None and default is not None:
            default = coerce(default)
        steps = []
        if rule.lookup:
            lookup = self.lookups[rule.lookup]
            table = emitter.bind({key: value for key, value in lookup.values.items()}, "table")
            translate = emitter.bind(_translator(lookup), "lookup")
            # Text found in the table is the common case; the rest (numbers, misses) goes through translate.
            steps.append(f"{value} = {table}[{value}] if type({value}) is str and {value} in {table} "
                         f"else {translate}({value})")
        if coerce is not None and types is not None:
            exact = emitter.bind(python_types(types), "types")
            steps.append(f"if type({value}) not in {exact}: {value} = {emitter.bind(coerce, 'coerce')}({value})")
        if rule.has_default:
            with emitter.block(f"if {value} is None:"):
                emitter.line(f"{value} = {emitter.bind(default)}")
        if steps:
            # A default is used as it is: it is not looked up or converted again.
            with emitter.block("else:" if rule.has_default else f"if {value} is not None:"):
                for step in steps:
                    emitter.line(step)
        return value

    def inline(self, emitter: Emitter, expr: Expr, data: str) -> str:
        """Emit the expression of ``expr`` reading ``data``; its result's variable."""
        expression = self.expressions[expr.text]
        if expression.interpreted:
            return emitter.assign(f"{emitter.bind(expression.evaluate, 'expression')}({data}, {self.scope(emitter)})")
        return emitter.expression(expression.ast, expr.text, data)


def _with_values(built: dict[str, Any]) -> dict[str, Any] | None:
    """``built``, unless none of its fields has a value (required fields are kept as null)."""
    for value in built.values():
        if value is not None:
            return built
    return None


def _not_array(value: Any) -> None:
    raise TypeError(f"`each` needs an array, got {_type_name(value)}")


def _translator(lookup: Lookup) -> Callable[[Any], Any]:
    values, name = lookup.values, lookup.name
    has_default, default = lookup.has_default, lookup.default

    def translate(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            raise LookupMiss(f"lookup {name!r} needs a single value, got {_type_name(value)}")
        key = lookup_key(value)
        if key in values:
            return values[key]
        if has_default:
            return default
        raise LookupMiss(f"{value!r} is not in lookup {name!r} and the lookup has no default")

    return translate


def _type_name(value: Any) -> str:
    kind = json_type(value)
    return "an " + kind if kind[0] in "aeiou" else "a " + kind


def _position(order: list[str], key: str) -> int:
    try:
        return order.index(key)
    except ValueError:
        return len(order)

