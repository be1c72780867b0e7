"""Python source from JMESPath syntax trees: the code generator behind compiled expressions.

An ``Emitter`` writes the statements of one Python function. Each JMESPath
node becomes a few statements that compute a local variable from the variable
holding its input value, so ``Account.Tier__c == 'Strategic'`` runs as three
lines of dict lookups and a comparison, with no call per node. The compiler of
whole mappings (``compiler.py``) uses the same emitter and so inlines every
rule's expression into one function per target object.

The statements follow jmespath 1.1.0's ``TreeInterpreter`` exactly (the
compliance suite and a differential property test hold them to it). Values
that need more than an expression (constants, function callers, slices) are
bound in the function's namespace under generated names.

The runtime helpers at the end of this module are what generated code calls
for the rare, slow cases (a value that is not a plain dict or list).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from jmespath import exceptions as jmespath_errors
from jmespath.visitor import _Expression

from .errors import ExpressionError, UnknownNameError
from .functions import FunctionError, FunctionSpec, FunctionTable, SortKeyTypeError, _jmespath_type

if TYPE_CHECKING:
    from .expressions import Scope

__all__ = ["Emitter", "Unsupported", "build_function", "is_true"]

Node = dict[str, Any]


class Unsupported(Exception):
    """A syntax node the generator does not know: the caller falls back to jmespath's interpreter."""


class Emitter:
    """Writes the body of one generated function, statement by statement.

    ``text`` is the expression being compiled (for error offsets);
    ``namespace`` collects the globals the generated code refers to; the
    context functions read the variable named by ``scope``. In the builder
    of an ``each`` item, ``item`` names the enclosing scope and the index,
    which answer ``index()``, ``parent()`` and ``root()``; the item's own
    Scope is made only when something asks for ``scope_variable()``.
    """

    def __init__(self, functions: FunctionTable, namespace: dict[str, Any] | None = None,
                 names: Iterator[int] | None = None) -> None:
        self.functions = functions
        self.namespace = namespace if namespace is not None else dict(RUNTIME)
        self._names = names if names is not None else itertools.count(1)
        self.lines: list[str] = []
        self.level = 1
        self.text = ""
        self.scope = "scope"
        self.item: tuple[str, str] | None = None
        self.scope_used = False
        self.uses_context = False
        self.source = ""  # the function's source, once built

    # Writing ---------------------------------------------------------------------------------------

    def line(self, statement: str) -> None:
        self.lines.append("    " * self.level + statement)

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        self.line(header)
        self.level += 1
        start = len(self.lines)
        yield
        if len(self.lines) == start:
            self.line("pass")
        self.level -= 1

    def name(self, prefix: str = "v") -> str:
        return f"_{prefix}{next(self._names)}"

    def bind(self, value: Any, prefix: str = "k") -> str:
        """A global name for ``value`` in the generated code."""
        name = self.name(prefix)
        self.namespace[name] = value
        return name

    def scope_variable(self) -> str:
        """The variable holding the Scope of this function's data (see ``item``)."""
        self.scope_used = True
        return self.scope

    def assign(self, expression: str) -> str:
        target = self.name()
        self.line(f"{target} = {expression}")
        return target

    # Expressions -----------------------------------------------------------------------------------

    def expression(self, ast: Node, text: str, source: str) -> str:
        """Emit ``ast`` (parsed from ``text``) reading variable ``source``; return the result's name."""
        self.text = text
        return self.node(ast, source)

    def node(self, node: Node, source: str) -> str:
        method: Callable[[Node, str], str] | None = getattr(self, f"_{node['type']}", None)
        if method is None:
            raise Unsupported(node["type"])
        return method(node, source)

    def _identity(self, node: Node, source: str) -> str:
        return source

    _current = _identity

    def _literal(self, node: Node, source: str) -> str:
        value = node["value"]
        if isinstance(value, (list, dict)):
            # A fresh copy each time: the caller may change what it gets.
            return self.assign(f"_deepcopy({self.bind(value)})")
        if value is None or isinstance(value, (bool, int, str)):
            return self.assign(repr(value))
        return self.bind(value)

    def _field(self, node: Node, source: str) -> str:
        # Only objects have .get among JSON values: anything else reads as null. (A try block
        # costs nothing until it catches; checking the type first costs a third of a lookup.)
        target = self.name()
        with self.block("try:"):
            self.line(f"{target} = {source}.get({node['value']!r})")
        with self.block("except AttributeError:"):
            self.line(f"{target} = None")
        return target

    def _subexpression(self, node: Node, source: str) -> str:
        for child in node["children"]:
            source = self.node(child, source)
        return source

    _index_expression = _subexpression
    _pipe = _subexpression

    def _index(self, node: Node, source: str) -> str:
        position: int = node["value"]
        fits = f"len({source}) > {position}" if position >= 0 else f"len({source}) >= {-position}"
        return self.assign(f"{source}[{position}] if type({source}) is list and {fits} "
                           f"else _index({source}, {position})")

    def _slice(self, node: Node, source: str) -> str:
        start, stop, step = node["children"]
        if step == 0:
            raise ExpressionError("a slice step cannot be 0", self.text, _find(self.text, r"(?<=:)\s*0\s*\]"))
        bounds = self.bind(slice(start, stop, step))
        return self.assign(f"{source}[{bounds}] if isinstance({source}, list) else None")

    def _projection(self, node: Node, source: str) -> str:
        left, right = node["children"]
        base = self.node(left, source)
        if right["type"] == "identity":
            return self.assign(f"[_x for _x in {base} if _x is not None] if isinstance({base}, list) else None")
        return self._collect(f"isinstance({base}, list)", base, right, None)

    def _value_projection(self, node: Node, source: str) -> str:
        left, right = node["children"]
        values = self.assign(f"_values({self.node(left, source)})")
        return self._collect(f"{values} is not None", values, right, None)

    def _filter_projection(self, node: Node, source: str) -> str:
        left, right, condition = node["children"]
        base = self.node(left, source)
        return self._collect(f"isinstance({base}, list)", base, right, condition)

    def _collect(self, test: str, items: str, body: Node, condition: Node | None) -> str:
        """The loop of every projection: keep the non-null results of ``body`` per item."""
        result = self.assign("None")
        with self.block(f"if {test}:"):
            self.line(f"{result} = []")
            item = self.name("i")
            with self.block(f"for {item} in {items}:"):
                if condition is not None:
                    with self.block(f"if _is_true({self.node(condition, item)}):"):
                        self._append_non_null(result, body, item)
                else:
                    self._append_non_null(result, body, item)
        return result

    def _append_non_null(self, result: str, body: Node, item: str) -> None:
        value = self.node(body, item)
        with self.block(f"if {value} is not None:"):
            self.line(f"{result}.append({value})")

    def _flatten(self, node: Node, source: str) -> str:
        return self.assign(f"_flatten({self.node(node['children'][0], source)})")

    def _multi_select_list(self, node: Node, source: str) -> str:
        result = self.assign("None")
        with self.block(f"if {source} is not None:"):
            parts = [self.node(child, source) for child in node["children"]]
            self.line(f"{result} = [{', '.join(parts)}]")
        return result

    def _multi_select_dict(self, node: Node, source: str) -> str:
        result = self.assign("None")
        with self.block(f"if {source} is not None:"):
            parts = [f"{pair['value']!r}: {self.node(pair['children'][0], source)}" for pair in node["children"]]
            self.line(f"{result} = {{{', '.join(parts)}}}")
        return result

    def _or_expression(self, node: Node, source: str) -> str:
        return self._short_circuit(node, source, "not ")

    def _and_expression(self, node: Node, source: str) -> str:
        return self._short_circuit(node, source, "")

    def _short_circuit(self, node: Node, source: str, negate: str) -> str:
        left, right = node["children"]
        result = self.assign(self.node(left, source))
        with self.block(f"if {negate}_is_true({result}):"):
            self.line(f"{result} = {self.node(right, source)}")
        return result

    def _not_expression(self, node: Node, source: str) -> str:
        value = self.node(node["children"][0], source)
        # 0 is true in JMESPath, so !0 is false.
        return self.assign(f"False if type({value}) in _NUMBERS and {value} == 0 else not {value}")

    def _comparator(self, node: Node, source: str) -> str:
        left, right = (self.node(child, source) for child in node["children"])
        operator = node["value"]
        if operator in ("eq", "ne"):
            # Python's 0 == False and 1 == True do not hold in JMESPath: _equals
            # handles the numbers; strings compare as they are.
            equal = (f"({left} == {right}) if type({left}) is str or type({right}) is str "
                     f"else _equals({left}, {right})")
            return self.assign(equal if operator == "eq" else f"not (({equal}))")
        symbol = _ORDERINGS[operator]
        return self.assign(f"({left} {symbol} {right}) if type({left}) in _ORDERABLE and type({right}) "
                           f"in _ORDERABLE else _order({left}, {right}, {operator!r})")

    def _expref(self, node: Node, source: str) -> str:
        body = node["children"][0]
        function, scope = self._function_of(body)
        return self.assign(f"_Expref({self.bind(body)}, {function}, {scope})")

    def _function_of(self, body: Node) -> tuple[str, str]:
        """The name of a generated function ``(data, scope) -> value`` for the expression ``body``,
        and what to pass it as ``scope`` (None unless it uses context functions)."""
        inner = Emitter(self.functions, self.namespace, self._names)
        inner.text = self.text
        function = build_function(inner, inner.node(body, "data"), f"<expression &{self.text}>")
        self.uses_context = self.uses_context or inner.uses_context
        return self.bind(function, "f"), self.scope_variable() if inner.uses_context else "None"

    def check_call(self, node: Node) -> FunctionSpec:
        """The spec of the function ``node`` calls; raise if unknown or given the wrong number of arguments."""
        name: str = node["value"]
        spec = self.functions.specs.get(name)
        if spec is None:
            raise UnknownNameError(_unknown_function(name, self.functions.specs))
        try:
            spec.check_arity(len(node["children"]))
        except jmespath_errors.ArityError as error:
            raise ExpressionError(str(error), self.text, _find(self.text, rf"\b{name}\s*\(")) from None
        return spec

    def _function_expression(self, node: Node, source: str) -> str:
        name: str = node["value"]
        spec = self.check_call(node)
        if name == "sort_by" and node["children"][1]["type"] == "expref":
            return self._sort_by(node, source)
        arguments = [self.node(child, source) for child in node["children"]]
        if spec.context:
            self.uses_context = True
            if self.item is not None and (name != "parent" or not arguments):
                outer, index = self.item
                if name == "index":
                    return index
                return self.assign(f"None if {outer} is None else {outer}.{'root' if name == 'root' else 'value'}")
            scope = self.scope_variable()
            if name == "root":
                return self.assign(f"None if {scope} is None else {scope}.root")
            if name == "index":
                return self.assign(f"None if {scope} is None else {scope}.index if {scope}.index is not None "
                                   f"else {scope}.position()")
            if not arguments:
                return self.assign(f"None if {scope} is None or {scope}.outer is None else {scope}.outer.value")
            return self.assign(f"_parent({scope}, {arguments[0]})")
        caller = self.bind(self.functions.positional_caller(name, len(arguments)), f"call_{name}_")
        call = f"{caller}({', '.join(arguments)})"
        direct = self.functions.direct_call(name, len(arguments))
        if direct is not None:
            # The function itself when every argument has a type it takes, the checked call otherwise.
            function, types = direct
            tests = [f"type({argument}) in {self.bind(accepted, 'accepts')}"
                     for argument, accepted in zip(arguments, types) if accepted is not None]
            direct_call = f"{self.bind(function, f'{name}_')}({', '.join(arguments)})"
            call = f"{direct_call} if {' and '.join(tests)} else {call}" if tests else direct_call
        if name in _INTEGER_ARITHMETIC:
            # Integers are exact in Python: only other numbers need the library's decimal arithmetic.
            # (Library names cannot be taken by user functions, so this is always the library's.)
            first, second = arguments
            call = (f"{first} {_INTEGER_ARITHMETIC[name]} {second} if type({first}) is int and type({second}) "
                    f"is int else {call}")
        return self.assign(call)


    def _sort_by(self, node: Node, source: str) -> str:
        """``sort_by(array, &key)`` sorted here, without jmespath's per-call key-function machinery;
        anything but an array goes through the checked call for its error."""
        array = self.node(node["children"][0], source)
        body = node["children"][1]["children"][0]
        key, scope = self._function_of(body)
        caller = self.bind(self.functions.caller("sort_by"), "call_sort_by_")
        return self.assign(f"_sort_by({array}, {key}, {scope}) if type({array}) is list else "
                           f"{caller}([{array}, _Expref({self.bind(body)}, {key}, {scope})])")


def build_function(emitter: Emitter, result: str, filename: str, *,
                   parameters: str = "data, scope") -> Callable[..., Any]:
    """Turn the emitter's statements into a function returning variable ``result``."""
    body = "\n".join(emitter.lines) or "    pass"
    source = f"def generated({parameters}):\n{body}\n    return {result}\n"
    code = compile(source, filename, "exec")
    namespace = emitter.namespace
    exec(code, namespace)  # noqa: S102 (source generated from a parsed syntax tree; names bound, never spliced)
    function: Callable[..., Any] = namespace.pop("generated")
    emitter.source = source
    return function


# -- runtime helpers of the generated code ------------------------------------------------------------


def is_true(value: Any) -> bool:
    """JMESPath truth: false, null, and empty strings, arrays and objects are false."""
    if value is None or value is False:
        return False
    kind = type(value)
    if kind is str or kind is list or kind is dict:
        return bool(value)
    return not (value == "" or value == [] or value == {})


def _index(value: Any, position: int) -> Any:
    if not isinstance(value, list):
        return None
    try:
        return value[position]
    except IndexError:
        return None


def _values(value: Any) -> list[Any] | None:
    try:
        return list(value.values())
    except AttributeError:
        return None


def _flatten(value: Any) -> list[Any] | None:
    if not isinstance(value, list):
        return None
    merged: list[Any] = []
    for item in value:
        if isinstance(item, list):
            merged.extend(item)
        else:
            merged.append(item)
    return merged


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equals(left: Any, right: Any) -> bool:
    # 0 == False and 1 == True in Python, but not in JMESPath.
    if _is_number(left) and left in (0, 1):
        if isinstance(right, bool):
            return False
    elif _is_number(right) and right in (0, 1) and isinstance(left, bool):
        return False
    return bool(left == right)


_ORDERINGS = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_INTEGER_ARITHMETIC = {"add": "+", "subtract": "-", "multiply": "*"}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
}


def _order(left: Any, right: Any, operator: str) -> Any:
    """An ordering of numbers or strings; null for anything else (as jmespath)."""
    orderable = (_is_number(left) or isinstance(left, str)) and (_is_number(right) or isinstance(right, str))
    return _COMPARE[operator](left, right) if orderable else None


def _parent(scope: Scope | None, levels: Any) -> Any:
    if not (_is_number(levels) and levels == int(levels) and levels >= 0):
        raise FunctionError("parent", f"levels must be a whole number of 0 or more, not {levels!r}")
    return None if scope is None else scope.ancestor(int(levels))


_SORT_KEY_KINDS = {int: "number", float: "number", str: "string"}


def _sort_by(array: list[Any], key: Callable[[Any, Any], Any], scope: Scope | None) -> list[Any]:
    """jmespath's ``sort_by``: keys all numbers or all strings, a stable sort, the same errors."""
    if not array:
        return array
    keys = [key(item, scope) for item in array]
    kind = _SORT_KEY_KINDS.get(type(keys[0]))
    if kind is None:
        raise SortKeyTypeError("sort_by", keys[0], _jmespath_type(keys[0]), ["string", "number"])
    for value in keys:
        if _SORT_KEY_KINDS.get(type(value)) != kind:
            raise SortKeyTypeError("sort_by", value, _jmespath_type(value), [kind])
    return [array[index] for index in sorted(range(len(array)), key=keys.__getitem__)]


class _Expref(_Expression):
    """An ``&expression`` argument, in the form jmespath's functions call back."""

    def __init__(self, node: Node, evaluate: Callable[[Any, Any], Any], scope: Scope | None) -> None:
        self.expression = node  # type: ignore[assignment]  # the stubs say str; jmespath stores the node
        self._evaluate = evaluate
        self._scope = scope

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        return self._evaluate(args[0], self._scope)


#: The globals every generated function starts from.
RUNTIME: Mapping[str, Any] = {
    "_index": _index, "_values": _values, "_flatten": _flatten, "_equals": _equals,
    "_order": _order, "_parent": _parent, "_sort_by": _sort_by, "_is_true": is_true, "_Expref": _Expref,
    "_deepcopy": copy.deepcopy,
    "_NUMBERS": frozenset({int, float}), "_ORDERABLE": frozenset({int, float, str}),
}


# -- error details ---------------------------------------------------------------------------------------


def _unknown_function(name: str, known: Mapping[str, Any]) -> str:
    names = sorted(known)
    close = get_close_matches(name, names, n=1, cutoff=0.75)
    if not close:
        close = [known_name for known_name in names if name.lower() in known_name or known_name in name.lower()]
    hint = f"; did you mean {close[0]}()?" if close else "; docs/functions.md lists every function"
    return f"unknown function {name}(){hint}"


def _find(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text)
    return None if match is None else match.start() + len(match.group()) - len(match.group().lstrip())
