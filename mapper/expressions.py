"""JMESPath expressions compiled to Python closures, plus mapper's context functions.

``compile_expression(text, functions)`` parses an expression once with
jmespath's parser and turns its syntax tree into nested Python closures, so a
record costs function calls and dict lookups, not a tree walk with method
dispatch (``jmespath.search`` rebuilds its interpreter on every call). The
closures follow jmespath 1.1.0 exactly: the official compliance suite and a
differential property test against ``jmespath.search`` hold them to it.

JMESPath itself sees one value at a time. Mapping rules also need the record
and the items around the current one, so every closure takes a ``Scope`` too,
which the context functions ``root()``, ``parent(n)`` and ``index()`` read.

A syntax node this module does not know (from a future jmespath) makes the
whole expression fall back to jmespath's own ``TreeInterpreter``;
``Expression.interpreted`` says when that happened.

Faults found at compile time raise ``ExpressionError`` (with the column inside
the expression) or ``UnknownNameError`` (an unknown function, with a
suggestion); faults met while evaluating raise jmespath's or the function's
own errors, which the engine reports against the rule.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from typing import Any, cast

import jmespath.parser
from jmespath import exceptions as jmespath_errors
from jmespath.visitor import Options, TreeInterpreter, _Expression

from .errors import ExpressionError, UnknownNameError
from .functions import CONTEXT_FUNCTIONS, FunctionError, FunctionTable

__all__ = ["Expression", "Scope", "compile_expression", "is_true"]

Node = dict[str, Any]
Evaluator = Callable[[Any, "Scope | None"], Any]


class Scope:
    """Where an expression is evaluated: the current value and what encloses it.

    ``value`` is the current item (or the record at the top), ``index`` its
    position in the ``each`` that produced it (None for the record and for
    nested objects), ``outer`` the enclosing scope and ``root`` the record.
    """

    __slots__ = ("value", "index", "outer", "root")

    def __init__(self, value: Any, index: int | None, outer: Scope | None, root: Any) -> None:
        self.value = value
        self.index = index
        self.outer = outer
        self.root = root

    @classmethod
    def top(cls, record: Any) -> Scope:
        """The scope of a whole record."""
        return cls(record, None, None, record)

    def enter(self, value: Any, index: int | None = None) -> Scope:
        """The scope of ``value``, an item (at ``index``) or a sub-object of this scope's value."""
        return Scope(value, index, self, self.root)

    def ancestor(self, levels: int) -> Any:
        """The value ``levels`` scopes up (0 is this one); None beyond the record."""
        scope: Scope | None = self
        for _ in range(levels):
            if scope is None:
                return None
            scope = scope.outer
        return None if scope is None else scope.value

    def position(self) -> int | None:
        """The index of the innermost ``each`` item enclosing this scope."""
        scope: Scope | None = self
        while scope is not None:
            if scope.index is not None:
                return scope.index
            scope = scope.outer
        return None

    def __repr__(self) -> str:
        return f"Scope(index={self.index!r}, depth={self._depth()})"

    def _depth(self) -> int:
        depth, scope = 0, self.outer
        while scope is not None:
            depth, scope = depth + 1, scope.outer
        return depth


class Expression:
    """A compiled JMESPath expression: call it with a value (and a scope).

    ``text`` is the source, ``ast`` jmespath's syntax tree, ``uses_context``
    whether it calls ``root()``, ``parent()`` or ``index()`` (then a scope is
    needed: without one, the value is taken as the record), ``interpreted``
    whether it runs on jmespath's interpreter rather than compiled closures.
    Immutable, thread-safe and picklable.
    """

    __slots__ = ("text", "ast", "functions", "uses_context", "interpreted", "evaluate")

    def __init__(self, text: str, ast: Node, functions: FunctionTable, evaluate: Evaluator,
                 uses_context: bool, interpreted: bool) -> None:
        self.text = text
        self.ast = ast
        self.functions = functions
        self.evaluate = evaluate
        self.uses_context = uses_context
        self.interpreted = interpreted

    def __call__(self, value: Any, scope: Scope | None = None) -> Any:
        if scope is None and self.uses_context:
            scope = Scope.top(value)
        return self.evaluate(value, scope)

    def search(self, value: Any) -> Any:
        """Evaluate against ``value`` taken as a whole record (like ``jmespath.search``)."""
        return self(value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (compile_expression, (self.text, self.functions))

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(text: str, functions: FunctionTable) -> Expression:
    """Compile ``text`` against the function table ``functions``.

    Raises ``ExpressionError`` for a syntax error, a wrong number of
    arguments or a slice step of zero, and ``UnknownNameError`` for an
    unknown function.
    """
    ast = _parse(text)
    compiler = _Compiler(text, functions)
    try:
        evaluate = compiler.compile(ast)
        interpreted = False
    except _Unsupported:
        evaluate = _interpreter_fallback(ast, functions)
        interpreted = True
    return Expression(text, ast, functions, evaluate, compiler.uses_context, interpreted)


def _parse(text: str) -> Node:
    try:
        parsed = cast(Node, jmespath.parser.Parser().parse(text).parsed)
    except jmespath_errors.IncompleteExpressionError as error:
        raise ExpressionError(_INCOMPLETE, text, len(text)) from None
    except jmespath_errors.LexerError as error:
        raise ExpressionError(_sentence(error.message), text, error.lexer_position) from None
    except jmespath_errors.ParseError as error:
        raise ExpressionError(_parse_message(error), text, error.lex_position) from None
    return parsed


_INCOMPLETE = "the expression ends too early (is a bracket, brace or parenthesis left open?)"


def _parse_message(error: jmespath_errors.ParseError) -> str:
    if error.token_type == "EOF":
        return _INCOMPLETE
    message: str = error.msg
    if message.startswith("Expecting:"):
        message = message.replace("Expecting:", "expected", 1)
    elif message == "Invalid jmespath expression":
        message = "invalid expression"
    return _sentence(message)


def _sentence(message: str) -> str:
    return f"{message[:1].lower()}{message[1:]}"


# -- truth and comparison, exactly as jmespath.visitor defines them -------------------------------


def is_true(value: Any) -> bool:
    """JMESPath truth: false, null, and empty strings, arrays and objects are false."""
    if value is None or value is False:
        return False
    kind = type(value)
    if kind is str or kind is list or kind is dict:
        return bool(value)
    return not (value == "" or value == [] or value == {})


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


def _orderable(value: Any) -> bool:
    return _is_number(value) or isinstance(value, str)


_ORDERINGS: dict[str, Callable[[Any, Any], Any]] = {
    "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
}


# -- the compiler ----------------------------------------------------------------------------------


class _Unsupported(Exception):
    """A syntax node this compiler does not know: fall back to the interpreter."""


class _CompiledExpref(_Expression):
    """An ``&expression`` argument, in the form jmespath's functions call back."""

    def __init__(self, node: Node, evaluate: Evaluator, scope: Scope | None) -> None:
        self.expression = node  # type: ignore[assignment]  # the stubs say str; jmespath stores the node
        self._evaluate = evaluate
        self._scope = scope

    def visit(self, node: Any, *args: Any, **kwargs: Any) -> Any:
        return self._evaluate(args[0], self._scope)


class _Compiler:
    def __init__(self, text: str, functions: FunctionTable) -> None:
        self.text = text
        self.functions = functions
        self.uses_context = False

    def compile(self, node: Node) -> Evaluator:
        method: Callable[[Node], Evaluator] | None = getattr(self, f"_{node['type']}", None)
        if method is None:
            raise _Unsupported(node["type"])
        return method(node)

    def _children(self, node: Node) -> list[Evaluator]:
        return [self.compile(child) for child in node["children"]]

    # Values --------------------------------------------------------------------------------------

    def _identity(self, node: Node) -> Evaluator:
        return _identity

    _current = _identity

    def _literal(self, node: Node) -> Evaluator:
        value = node["value"]
        if isinstance(value, (list, dict)):
            # A fresh copy each time: the caller may change what it gets.
            return lambda data, scope: copy.deepcopy(value)
        return lambda data, scope: value

    def _field(self, node: Node) -> Evaluator:
        name = node["value"]

        def field(data: Any, scope: Scope | None) -> Any:
            try:
                return data.get(name)
            except AttributeError:
                return None

        return field

    def _subexpression(self, node: Node) -> Evaluator:
        names = _field_chain(node)
        if names is not None:
            return _path(tuple(names))
        return _chain(self._children(node))

    _index_expression = _subexpression

    def _pipe(self, node: Node) -> Evaluator:
        return _chain(self._children(node))

    def _index(self, node: Node) -> Evaluator:
        position: int = node["value"]

        def index(data: Any, scope: Scope | None) -> Any:
            if not isinstance(data, list):
                return None
            try:
                return data[position]
            except IndexError:
                return None

        return index

    def _slice(self, node: Node) -> Evaluator:
        start, stop, step = node["children"]
        if step == 0:
            raise ExpressionError("a slice step cannot be 0", self.text, _find(self.text, r"(?<=:)\s*0\s*\]"))
        bounds = slice(start, stop, step)
        return lambda data, scope: data[bounds] if isinstance(data, list) else None

    # Projections ---------------------------------------------------------------------------------

    def _projection(self, node: Node) -> Evaluator:
        left, right = self._children(node)
        if right is _identity:
            def project_items(data: Any, scope: Scope | None) -> Any:
                base = left(data, scope)
                if not isinstance(base, list):
                    return None
                return [item for item in base if item is not None]
            return project_items

        def project(data: Any, scope: Scope | None) -> Any:
            base = left(data, scope)
            if not isinstance(base, list):
                return None
            collected = []
            for item in base:
                value = right(item, scope)
                if value is not None:
                    collected.append(value)
            return collected

        return project

    def _value_projection(self, node: Node) -> Evaluator:
        left, right = self._children(node)

        def project_values(data: Any, scope: Scope | None) -> Any:
            base = left(data, scope)
            try:
                items = base.values()
            except AttributeError:
                return None
            collected = []
            for item in items:
                value = right(item, scope)
                if value is not None:
                    collected.append(value)
            return collected

        return project_values

    def _filter_projection(self, node: Node) -> Evaluator:
        left, right, condition = self._children(node)

        def filter_project(data: Any, scope: Scope | None) -> Any:
            base = left(data, scope)
            if not isinstance(base, list):
                return None
            collected = []
            for item in base:
                if is_true(condition(item, scope)):
                    value = right(item, scope)
                    if value is not None:
                        collected.append(value)
            return collected

        return filter_project

    def _flatten(self, node: Node) -> Evaluator:
        (inner,) = self._children(node)

        def flatten(data: Any, scope: Scope | None) -> Any:
            base = inner(data, scope)
            if not isinstance(base, list):
                return None
            merged: list[Any] = []
            for item in base:
                if isinstance(item, list):
                    merged.extend(item)
                else:
                    merged.append(item)
            return merged

        return flatten

    # Multi-selects -------------------------------------------------------------------------------

    def _multi_select_list(self, node: Node) -> Evaluator:
        parts = self._children(node)
        return lambda data, scope: None if data is None else [part(data, scope) for part in parts]

    def _multi_select_dict(self, node: Node) -> Evaluator:
        pairs = [(pair["value"], self.compile(pair["children"][0])) for pair in node["children"]]
        return lambda data, scope: None if data is None else {key: part(data, scope) for key, part in pairs}

    # Logic ---------------------------------------------------------------------------------------

    def _or_expression(self, node: Node) -> Evaluator:
        left, right = self._children(node)

        def either(data: Any, scope: Scope | None) -> Any:
            value = left(data, scope)
            return value if is_true(value) else right(data, scope)

        return either

    def _and_expression(self, node: Node) -> Evaluator:
        left, right = self._children(node)

        def both(data: Any, scope: Scope | None) -> Any:
            value = left(data, scope)
            return right(data, scope) if is_true(value) else value

        return both

    def _not_expression(self, node: Node) -> Evaluator:
        (inner,) = self._children(node)

        def negate(data: Any, scope: Scope | None) -> Any:
            value = inner(data, scope)
            if _is_number(value) and value == 0:
                return False  # 0 is true in JMESPath
            return not value

        return negate

    def _comparator(self, node: Node) -> Evaluator:
        left, right = self._children(node)
        operator = node["value"]
        if operator == "eq":
            return lambda data, scope: _equals(left(data, scope), right(data, scope))
        if operator == "ne":
            return lambda data, scope: not _equals(left(data, scope), right(data, scope))
        ordering = _ORDERINGS[operator]

        def compare(data: Any, scope: Scope | None) -> Any:
            a, b = left(data, scope), right(data, scope)
            if not (_orderable(a) and _orderable(b)):
                return None
            return ordering(a, b)

        return compare

    # Functions -----------------------------------------------------------------------------------

    def _expref(self, node: Node) -> Evaluator:
        body = node["children"][0]
        evaluate = self.compile(body)
        return lambda data, scope: _CompiledExpref(body, evaluate, scope)

    def _function_expression(self, node: Node) -> Evaluator:
        name: str = node["value"]
        spec = self.functions.specs.get(name)
        if spec is None:
            raise UnknownNameError(_unknown_function(name, self.functions.specs))
        try:
            spec.check_arity(len(node["children"]))
        except jmespath_errors.ArityError as error:
            raise ExpressionError(str(error), self.text, _find(self.text, rf"\b{name}\s*\(")) from None
        arguments = self._children(node)
        if spec.context:
            self.uses_context = True
            return _context_function(name, arguments)
        call = self.functions.caller(name)
        if len(arguments) == 1:
            (only,) = arguments
            return lambda data, scope: call([only(data, scope)])
        if len(arguments) == 2:
            first, second = arguments
            return lambda data, scope: call([first(data, scope), second(data, scope)])
        return lambda data, scope: call([argument(data, scope) for argument in arguments])


def _identity(data: Any, scope: Scope | None) -> Any:
    return data


def _path(names: tuple[str, ...]) -> Evaluator:
    """``a.b.c``: a chain of field lookups in one closure."""

    def path(data: Any, scope: Scope | None) -> Any:
        for name in names:
            try:
                data = data.get(name)
            except AttributeError:
                return None
        return data

    return path


def _chain(steps: Sequence[Evaluator]) -> Evaluator:
    first, *rest = steps
    if len(rest) == 1:
        (second,) = rest
        return lambda data, scope: second(first(data, scope), scope)

    def chain(data: Any, scope: Scope | None) -> Any:
        for step in steps:
            data = step(data, scope)
        return data

    return chain


def _field_chain(node: Node) -> list[str] | None:
    if node["type"] == "field":
        return [node["value"]]
    if node["type"] != "subexpression":
        return None
    names: list[str] = []
    for child in node["children"]:
        part = _field_chain(child)
        if part is None:
            return None
        names.extend(part)
    return names


def _context_function(name: str, arguments: list[Evaluator]) -> Evaluator:
    if name == "root":
        return lambda data, scope: None if scope is None else scope.root
    if name == "index":
        return lambda data, scope: None if scope is None else scope.position()
    levels_of = arguments[0] if arguments else None

    def parent(data: Any, scope: Scope | None) -> Any:
        levels = 1 if levels_of is None else levels_of(data, scope)
        if not (_is_number(levels) and levels == int(levels) and levels >= 0):
            raise FunctionError("parent", f"levels must be a whole number of 0 or more, not {levels!r}")
        return None if scope is None else scope.ancestor(int(levels))

    return parent


def _unknown_function(name: str, known: Sequence[str] | Any) -> str:
    names = sorted(known)
    close = get_close_matches(name, names, n=1, cutoff=0.75)
    if not close:
        close = [known_name for known_name in names if name.lower() in known_name or known_name in name.lower()]
    hint = f"; did you mean {close[0]}()?" if close else "; docs/functions.md lists every function"
    return f"unknown function {name}(){hint}"


def _find(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text)
    return None if match is None else match.start() + len(match.group()) - len(match.group().lstrip())


# -- the fallback ----------------------------------------------------------------------------------


class _ContextInterpreter(TreeInterpreter):
    """jmespath's interpreter, knowing the scope for the context functions."""

    def __init__(self, functions: FunctionTable, scope: Scope | None) -> None:
        super().__init__(Options(custom_functions=functions))
        self.scope = scope

    def visit_function_expression(self, node: Any, value: Any) -> Any:
        name = node["value"]
        if name in CONTEXT_FUNCTIONS:
            arguments = [self.visit(child, value) for child in node["children"]]
            return _context_function(name, [_constant(argument) for argument in arguments])(value, self.scope)
        return super().visit_function_expression(node, value)


def _interpreter_fallback(ast: Node, functions: FunctionTable) -> Evaluator:
    return lambda data, scope: _ContextInterpreter(functions, scope).visit(cast(Any, ast), data)


def _constant(value: Any) -> Evaluator:
    return lambda data, scope: value
