"""JMESPath expressions compiled to Python, plus mapper's context functions.

``compile_expression(text, functions)`` parses an expression once
(``parser.py``: jmespath's grammar and the JMESPath Community additions)
and generates one Python function from its syntax tree (``codegen.py``;
what that calls at run time is in ``runtime.py``), so a record costs a few
dict lookups and comparisons, not a tree walk with method dispatch
(``jmespath.search`` even rebuilds its interpreter on every call). The
generated code follows jmespath 1.1.0 exactly: the official compliance suite
and a differential property test against ``jmespath.search`` hold it to that.

JMESPath itself sees one value at a time. Mapping rules also need the record
and the items around the current one, so every compiled expression takes a
``Scope`` too, which ``$`` and the context functions ``root()``,
``parent(n)`` and ``index()`` read.

A syntax node the generator does not know makes the expression fall back
to jmespath's own ``TreeInterpreter`` (which cannot run the community's
nodes); ``Expression.interpreted`` says when that happened.

Faults found at compile time raise ``ExpressionError`` (with the column inside
the expression; ``UnknownFunctionError``, an ``UnknownNameError`` too, for an
unknown function), in ``mapper check``'s words; faults met while evaluating
raise jmespath's or the function's own errors, which the engine reports
against the rule.

The front door for one expression, ``compile(text, functions=...)`` and
``search(text, value)`` (``mapper.compile`` and ``mapper.search``), keeps the
last expressions it compiled, and its ``Expression.search`` wraps evaluation
faults in ``EvaluationError``, so that everything it raises is a ``MapperError``.
Calling an ``Expression`` does not wrap them; mappings inline their expressions
and pay for neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from jmespath.exceptions import JMESPathError
from jmespath.visitor import Options, TreeInterpreter

from .codegen import Emitter, Unsupported
from .errors import EvaluationError, ExpressionError
from .functions import CONTEXT_FUNCTIONS, FunctionSpec, FunctionTable, build_function_table
from .lexer import call_offsets, tokenize
from .model import Lookup
from .parser import parse
from .runtime import ORDER_SYMBOLS, OrderingError, Scope, order, parent_of

__all__ = ["Expression", "compile", "compile_ast", "compile_expression", "evaluation_error", "search"]

Node = dict[str, Any]


class Expression:
    """A compiled JMESPath expression: call it with a value (and a scope).

    ``text`` is the source, ``ast`` its syntax tree (``parser.parse``), ``uses_context``
    whether it reads ``$`` or calls ``root()``, ``parent()`` or ``index()`` (then a scope is
    needed: without one, the value is taken as the record), ``interpreted``
    whether it runs on jmespath's interpreter rather than generated code.
    Immutable, thread-safe and picklable.
    """

    __slots__ = ("text", "ast", "functions", "uses_context", "interpreted", "variables", "lookups", "_evaluate",
                 "_emitted")

    def __init__(self, text: str, ast: Node, functions: FunctionTable, uses_context: bool, *,
                 evaluate: Callable[..., Any] | None = None,
                 emitted: tuple[Emitter, str] | None = None, variables: Sequence[str] = (),
                 lookups: Mapping[str, Lookup] | None = None) -> None:
        self.text = text
        self.ast = ast
        self.functions = functions
        self.uses_context = uses_context
        self.interpreted = evaluate is not None
        self.variables = tuple(variables)
        self.lookups = lookups
        self._evaluate = evaluate
        self._emitted = emitted

    @property
    def evaluate(self) -> Callable[..., Any]:
        """The function ``(value, scope, *variables) -> result``; built on first use, since a mapping
        inlines its rules' expressions and never calls most of them on their own."""
        if self._evaluate is None:
            assert self._emitted is not None
            emitter, result = self._emitted
            parameters = ["data", "scope", *(emitter.variables[name] for name in self.variables)]
            self._evaluate = emitter.define(emitter.fresh("expression"), parameters, returns=result,
                                            what=f"expression {self.text}")
            self._emitted = None
        return self._evaluate

    def __call__(self, value: Any, scope: Scope | None = None) -> Any:
        if scope is None and self.uses_context:
            scope = Scope.top(value)
        return self.evaluate(value, scope)

    def search(self, value: Any) -> Any:
        """Evaluate against ``value`` taken as a whole record (like ``jmespath.search``).

        Raises ``EvaluationError`` (a ``MapperError``), from jmespath's or the function's own
        error, for a value the expression cannot use. Calling the expression raises those errors
        as they are: that is the engine's path, which turns them into a record's problems.
        """
        try:
            return self(value)
        except JMESPathError as error:
            raise evaluation_error(self.text, error) from error

    def __reduce__(self) -> tuple[Any, ...]:
        return (_recompile, (self.text, self.functions, self.variables, self.lookups))

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(text: str, functions: FunctionTable, *, variables: Sequence[str] = (),
                       lookups: Mapping[str, Lookup] | None = None) -> Expression:
    """Compile ``text`` against the function table ``functions``.

    ``variables`` are the ``$names`` bound around the expression (a mapping's
    ``let:`` blocks): its function then takes their values after ``data`` and
    ``scope``, in that order. ``lookups`` are the tables ``lookup()`` reads.

    Raises ``ExpressionError`` for a syntax error, a wrong number of
    arguments, a slice step of zero or an undefined variable,
    ``UnknownFunctionError`` (an ``ExpressionError`` and an
    ``UnknownNameError``) for an unknown function, and ``UnknownLookupError``
    for a lookup table that ``lookups`` lacks.
    """
    return compile_ast(text, parse(text), functions, variables=variables, lookups=lookups)


def compile_ast(text: str, ast: Node, functions: FunctionTable, *, variables: Sequence[str] = (),
                lookups: Mapping[str, Lookup] | None = None) -> Expression:
    """Compile the syntax tree ``ast``, parsed from ``text``: the step of ``compile_expression`` after
    parsing, with the same errors."""
    emitter = Emitter(functions, lookups=lookups)
    emitter.variables = {name: emitter.fresh(f"var_{name}") for name in variables}
    try:
        result = emitter.expression(ast, text, "data")
    except Unsupported:
        if variables:
            raise ExpressionError(f"this expression cannot read the variables of a `let:` block "
                                  f"(${', $'.join(variables)})", text) from None
        # jmespath's interpreter finds unknown functions only per record: check them now.
        uses_context = _check_functions(ast, text, functions)
        return Expression(text, ast, functions, uses_context, evaluate=_interpreter_fallback(ast, functions))
    if emitter.too_deep(spare_levels=_BUILDER_LEVELS, spare_blocks=_BUILDER_BLOCKS):
        raise ExpressionError("the expression nests projections, filters, conditions or brackets too deeply to "
                              "compile; split it with `let` or a `let:` block", text, 0)
    return Expression(text, ast, functions, emitter.uses_context, emitted=(emitter, result), variables=variables,
                      lookups=lookups)


#: What a mapping's builder adds around a rule's expression: a try block, an if for `when`, a loop for
#: the levels of an each.
_BUILDER_LEVELS, _BUILDER_BLOCKS = 4, 3


def _recompile(text: str, functions: FunctionTable, variables: Sequence[str],
               lookups: Mapping[str, Lookup] | None) -> Expression:
    return compile_expression(text, functions, variables=variables, lookups=lookups)


# -- the fallback ----------------------------------------------------------------------------------


class _ContextInterpreter(TreeInterpreter):
    """jmespath's interpreter, knowing the scope for the context functions."""

    def __init__(self, functions: FunctionTable, scope: Scope | None) -> None:
        super().__init__(Options(custom_functions=functions))
        self.scope = scope

    def visit_function_expression(self, node: Any, value: Any) -> Any:
        name = node["value"]
        if name not in CONTEXT_FUNCTIONS:
            return super().visit_function_expression(node, value)
        scope = self.scope
        if name == "root":
            return None if scope is None else scope.root
        if name == "index":
            return None if scope is None else scope.position()
        levels = self.visit(node["children"][0], value) if node["children"] else 1
        return parent_of(scope, levels)

    def visit_comparator(self, node: Any, value: Any) -> Any:
        # As generated code: a number ordered with a string raises OrderingError, which rejects the record.
        if node["value"] not in ORDER_SYMBOLS:
            return super().visit_comparator(node, value)
        left, right = (self.visit(child, value) for child in node["children"])
        return order(left, right, node["value"])


def _interpreter_fallback(ast: Node, functions: FunctionTable) -> Callable[[Any, Scope | None], Any]:
    return lambda data, scope: _ContextInterpreter(functions, scope).visit(cast(Any, ast), data)


def _function_calls(node: Any) -> list[Node]:
    found = [node] if isinstance(node, dict) and node.get("type") == "function_expression" else []
    for child in node.get("children", ()) if isinstance(node, dict) else ():
        found.extend(_function_calls(child))
    return found


def _check_functions(ast: Node, text: str, functions: FunctionTable) -> bool:
    """Check the names and arities of every call (as the generator does); whether any is a context function."""
    emitter = Emitter(functions)
    emitter.text = text
    for call in _function_calls(ast):
        emitter.check_call(call)
    return any(call["value"] in CONTEXT_FUNCTIONS for call in _function_calls(ast))


# -- the front door for one expression -------------------------------------------------------------

#: How many compiled expressions (and function tables) ``compile`` keeps, like jmespath's parser cache.
_CACHE_SIZE = 256
_TABLE_CACHE_SIZE = 16


def compile(text: str, *, functions: Sequence[Callable[..., Any] | FunctionSpec] = ()) -> Expression:
    """Compile one expression on its own, with mapper's functions and ``functions`` (your own, as
    ``mapper.load`` takes them); its ``search(value)`` evaluates it.

    Raises ``ExpressionError`` (``UnknownFunctionError`` for an unknown function) with the column,
    and ``MappingError`` for a function that cannot be declared. The last expressions compiled
    are kept, so compiling the same text again (``search`` in a loop) costs a dictionary lookup;
    with functions that cannot be hashed, nothing is kept.
    """
    chosen = tuple(functions)
    if not _hashable(chosen):
        return compile_expression(text, build_function_table(chosen))
    return _compiled(text, chosen)


def search(text: str, value: Any, *, functions: Sequence[Callable[..., Any] | FunctionSpec] = ()) -> Any:
    """Evaluate the expression ``text`` against ``value``, like ``jmespath.search``.

    Raises what ``compile`` raises, and ``EvaluationError`` for a value the expression cannot use.
    """
    return compile(text, functions=functions).search(value)


@lru_cache(maxsize=_CACHE_SIZE)
def _compiled(text: str, functions: tuple[Callable[..., Any] | FunctionSpec, ...]) -> Expression:
    return compile_expression(text, _table(functions))


@lru_cache(maxsize=_TABLE_CACHE_SIZE)
def _table(functions: tuple[Callable[..., Any] | FunctionSpec, ...]) -> FunctionTable:
    return build_function_table(functions)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def evaluation_error(text: str, error: JMESPathError) -> EvaluationError:
    """``error``, raised while evaluating ``text``, as an ``EvaluationError``: its message, the
    function at fault, and the column of that function's call or of the ordering operator when
    the expression has only one."""
    name = getattr(error, "function_name", None)
    function_name = name if isinstance(name, str) else None
    if isinstance(error, OrderingError):
        operator = next(name for name, symbol in ORDER_SYMBOLS.items() if symbol == error.operator)
        offset = _only(_operator_offsets(text, operator))
    elif function_name is not None:
        offset = _only(call_offsets(text, function_name))
    else:
        offset = None
    return EvaluationError(str(error), text, function_name=function_name, offset=offset)


def _operator_offsets(text: str, kind: str) -> list[int]:
    try:
        return [token.start for token in tokenize(text) if token.kind == kind]
    except ExpressionError:
        return []


def _only(offsets: list[int]) -> int | None:
    """The one column where the fault can be; None when there are several (rather than perhaps the wrong one)."""
    return offsets[0] if len(offsets) == 1 else None
