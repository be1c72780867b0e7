"""Python source from JMESPath syntax trees: the code generator behind compiled expressions.

An ``Emitter`` writes the statements of one Python function. Each JMESPath
node becomes a few statements that compute a local variable from the variable
holding its input value, so ``Account.Tier__c == 'Strategic'`` runs as three
lines of dict lookups and a comparison, with no call per node. The compiler of
whole mappings (``compiler.py``) uses the same emitter and so inlines every
rule's expression into one function per target object.

The statements follow jmespath 1.1.0's ``TreeInterpreter`` exactly (the
compliance suite and a differential property test hold them to it). Locals are
named after what they hold (``Tier__c``, ``lower``); values that need more than
an expression (constants, function callers, slices) are globals of the
function's ``pysource.Module`` under names that say their role. Generated code
calls ``runtime.py`` for the rare, slow cases, never this module.

Beyond jmespath 1.1.0, the generator compiles JMESPath Community's additions
(the nodes of ``parser.py``): ``$`` (the record, as ``root()``), ``let``
with ``$name`` variables (Python locals of the generated function), the
ternary ``?:``, arithmetic (``runtime.arithmetic``, with inline int fast
paths) and slices of strings. None of them falls back to the interpreter.

To support a new kind of node, add a method ``_<node type>(node, source)``
that writes its statements and returns the name of the variable holding its
value (``Unsupported`` is raised for a type without one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from difflib import get_close_matches
from keyword import iskeyword
from operator import itemgetter
from typing import Any

from .errors import ExpressionError, UnknownFunctionError, UnknownLookupError
from .functions import FunctionSpec, FunctionTable, build_function_table, unknown_function, wrong_arity
from .lexer import call_offsets
from .mapping_file import unknown_lookup
from .model import Lookup
from .pysource import FunctionWriter, Module, Recipe, identifier
from .runtime import ARITHMETIC_SYMBOLS, ORDER_SYMBOLS, RUNTIME, lookup_translator

__all__ = ["Emitter", "Unsupported", "ends_in_slice", "new_module", "undefined_variable"]

Node = dict[str, Any]


#: Parameters and locals of generated functions that no generated name may take.
PARAMETERS = ("data", "scope", "path", "failures", "outer", "index", "error")


def new_module() -> Module:
    """A module for generated functions, starting from the runtime's globals."""
    return Module(RUNTIME, initial_from="mapper.runtime", reserved=PARAMETERS)


class Unsupported(Exception):
    """A syntax node the generator does not know: the caller falls back to jmespath's interpreter."""


class Emitter(FunctionWriter):
    """Writes the body of one generated function from JMESPath syntax trees.

    ``text`` is the expression being compiled (for error offsets); ``module``
    holds the globals the generated code refers to (a fresh one by default);
    the context functions read the variable named by ``scope``. In the builder
    of an ``each`` item, ``item`` names the enclosing scope and the index,
    which answer ``index()``, ``parent()`` and ``root()``; the item's own
    Scope is made only when something asks for ``scope_variable()``.

    ``variables`` maps the ``$name`` variables in scope (name without ``$``)
    to the Python locals holding them: ``let`` adds to it for its body, and a
    caller that binds variables for a whole rule scope (a ``let:`` block)
    passes the locals it has assigned. ``lookups`` are the tables
    ``lookup(name, value)`` reads (a mapping file's).
    """

    def __init__(self, functions: FunctionTable, module: Module | None = None,
                 variables: Mapping[str, str] | None = None, *, lookups: Mapping[str, Lookup] | None = None) -> None:
        super().__init__(module if module is not None else new_module())
        self.functions = functions
        self.lookups: Mapping[str, Lookup] = lookups or {}
        self.text = ""
        self.scope = "scope"
        self.item: tuple[str, str] | None = None
        self.scope_used = False
        self.uses_context = False
        self.variables: dict[str, str] = dict(variables or {})
        # In a function of its own (an expref), the enclosing function's variables arrive as parameters:
        # ``borrowed`` are their locals, ``captured`` those read so far, in order.
        self.borrowed: frozenset[str] = frozenset()
        self.captured: list[str] = []
        #: When not None, the fields of ``data`` read anywhere in the function, by name: the locals a
        #: prologue fills once (``reads()``), so that rules reading the same field share one read.
        #: Only for functions whose ``data`` never changes (a builder's parameter).
        self.hoisted: dict[str, str] | None = None
        #: The locals holding a scalar literal (assigned once, never changed), with its value: a test of
        #: their type is decided here.
        self.constants: dict[str, Any] = {}

    def owns(self, name: str) -> bool:
        """Whether ``name`` is a local that an expression of this function assigned for itself (not
        ``data``, a parameter, a ``$name`` variable, a hoisted read or a global): its writer may go on
        assigning to it."""
        return (name.isidentifier() and not iskeyword(name) and name not in PARAMETERS
                and name not in self.module.namespace and name not in self.variables.values()
                and name not in (self.hoisted or {}).values() and name not in self.borrowed)

    def type_test(self, value: str, kinds: frozenset[type], key: Any, prefix: str, *, negate: bool = False) -> str:
        """A test that the type of ``value`` is one of ``kinds`` (``negate``: none of them): one or two
        ``is`` tests when the types are builtins (a third of the cost of a set lookup), else a lookup in
        the set, bound once per ``key``."""
        if len(kinds) <= 2 and kinds <= _BUILTIN_TYPES:
            same, joined = ("is not", " and ") if negate else ("is", " or ")
            tests = [f"{value} {same} None" if kind is _NONE else f"type({value}) {same} {kind.__name__}"
                     for kind in sorted(kinds, key=_type_order)]
            return tests[0] if len(tests) == 1 else f"({joined.join(tests)})"
        return f"type({value}) {'not in' if negate else 'in'} {self.bind_shared(key, kinds, prefix)}"

    def scope_variable(self) -> str:
        """The variable holding the Scope of this function's data (see ``item``)."""
        self.scope_used = True
        return self.scope

    def function_table(self) -> str:
        """The global holding the function table (exported source rebuilds it from its user functions)."""
        user = self.functions.user_functions
        recipe = Recipe(f"build_function_table([{', '.join(getattr(f, '__name__', '?') for f in user)}])",
                        (build_function_table, *user))
        return self.bind_shared("functions", self.functions, "functions", recipe)

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
            return self.assign(f"deepcopy({self.bind(value, 'literal')})", "literal")
        if value is None or isinstance(value, (bool, int, str)):
            local = self.assign(repr(value), "literal")
            self.constants[local] = value
            return local
        return self.bind(value, "literal")

    def _field(self, node: Node, source: str) -> str:
        # Only objects have .get among JSON values: anything else reads as null. (A try block
        # costs nothing until it catches; checking the type first costs a third of a lookup.)
        # A field read again in the same expression, in a block still open, is read once:
        # `to_minor_units(charge.amount, charge.currency)` reads `charge` once.
        read = ("field", source, node["value"])
        held = self.held(read)
        if held is not None:
            return held
        if source == "data" and self.hoisted is not None:
            return self._hoisted_field(node["value"])
        target = self.fresh(identifier(node["value"]))
        with self.block("try:"):
            self.line(f"{target} = {source}.get({node['value']!r})")
        with self.block("except AttributeError:"):
            self.line(f"{target} = None")
        self.remember(read, target)
        return target

    def _hoisted_field(self, name: str) -> str:
        """The local that the prologue (``reads``) fills with field ``name`` of ``data``, read once for
        every rule of the function."""
        local = self.hoisted.get(name) if self.hoisted is not None else None
        if local is None:
            local = self.fresh(identifier(name))
            self.hoisted[name] = local  # type: ignore[index]
        return local

    def reads(self) -> list[str]:
        """The prologue reading the ``hoisted`` fields of ``data``: all null when it is not an object (only
        objects have .get among JSON values, so the first read raises for anything else)."""
        if not self.hoisted:
            return []
        locals_ = list(self.hoisted.values())
        reads = [f"    {local} = data.get({name!r})" for name, local in self.hoisted.items()]
        return ["try:", *reads, "except AttributeError:", f"    {' = '.join(locals_)} = None"]

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
                           f"else index_of({source}, {position})", "element")

    def _slice(self, node: Node, source: str) -> str:
        start, stop, step = node["children"]
        if step == 0:
            raise ExpressionError("a slice step cannot be 0", self.text, _find(self.text, r"(?<=:)\s*0\s*\]"))
        bounds = self.bind(slice(start, stop, step), "bounds")
        # Strings slice too (JEP-15): by characters, as Python does.
        return self.assign(f"{source}[{bounds}] if isinstance({source}, (list, str)) else None", "sliced")

    def _projection(self, node: Node, source: str) -> str:
        left, right = node["children"]
        base = self.node(left, source)
        if ends_in_slice(left):
            # A sliced string is one value, not items to project: the right side applies to it whole.
            return self._either(f"type({base}) is str", lambda: self.node(right, base),
                                lambda: self._array_projection(base, right), "projected")
        return self._array_projection(base, right)

    def _array_projection(self, base: str, right: Node) -> str:
        if right["type"] == "identity":
            item = self.fresh("item")
            return self.assign(f"[{item} for {item} in {base} if {item} is not None] if isinstance({base}, list) "
                               "else None", "projected")
        return self._collect(f"isinstance({base}, list)", base, right, None)

    def _value_projection(self, node: Node, source: str) -> str:
        left, right = node["children"]
        values = self.assign(f"values_of({self.node(left, source)})", "values")
        return self._collect(f"{values} is not None", values, right, None)

    def _filter_projection(self, node: Node, source: str) -> str:
        left, right, condition = node["children"]
        base = self.node(left, source)
        return self._collect(f"isinstance({base}, list)", base, right, condition)

    def _collect(self, test: str, items: str, body: Node, condition: Node | None, *, flatten: bool = False) -> str:
        """The loop of every projection: keep the non-null results of ``body`` per item (``flatten``: an
        array's items instead of the array, as ``[]`` after the projection would)."""
        result = self.assign("None", "projected")
        with self.block(f"if {test}:"):
            self.line(f"{result} = []")
            item = self.fresh("item")
            with self.block(f"for {item} in {items}:"):
                if condition is not None:
                    with self.block(f"if {self.truth(condition, item)}:"):
                        self._append_non_null(result, body, item, flatten)
                else:
                    self._append_non_null(result, body, item, flatten)
        return result

    def _append_non_null(self, result: str, body: Node, item: str, flatten: bool) -> None:
        value = self.node(body, item)
        if flatten:
            with self.block(f"if isinstance({value}, list):"):
                self.line(f"{result}.extend({value})")
            with self.block(f"elif {value} is not None:"):
                self.line(f"{result}.append({value})")
            return
        with self.block(f"if {value} is not None:"):
            self.line(f"{result}.append({value})")

    def _flatten(self, node: Node, source: str) -> str:
        child = node["children"][0]
        if child["type"] == "projection" and not ends_in_slice(child["children"][0]):
            # `a[*].b[]`: the projection's loop flattens as it collects, with no list made to be flattened.
            left, right = child["children"]
            base = self.node(left, source)
            return self._collect(f"isinstance({base}, list)", base, right, None, flatten=True)
        return self.assign(f"flatten({self.node(child, source)})", "flattened")

    def _multi_select_list(self, node: Node, source: str) -> str:
        result = self.assign("None", "selected")
        with self.block(f"if {source} is not None:"):
            parts = [self.node(child, source) for child in node["children"]]
            self.line(f"{result} = [{', '.join(parts)}]")
        return result

    def _multi_select_dict(self, node: Node, source: str) -> str:
        result = self.assign("None", "selected")
        with self.block(f"if {source} is not None:"):
            parts = [f"{pair['value']!r}: {self.node(pair['children'][0], source)}" for pair in node["children"]]
            self.line(f"{result} = {{{', '.join(parts)}}}")
        return result

    def _or_expression(self, node: Node, source: str) -> str:
        return self._short_circuit(node, source, "not ", "either")

    def _and_expression(self, node: Node, source: str) -> str:
        return self._short_circuit(node, source, "", "both")

    def _short_circuit(self, node: Node, source: str, negate: str, prefix: str) -> str:
        left, right = node["children"]
        result = self.assign(self.node(left, source), prefix)
        test = result if left["type"] in _BOOLEAN_NODES else _is_true(result)
        with self.block(f"if {negate}{test}:"):
            self.line(f"{result} = {self.node(right, source)}")
        return result

    def truth(self, node: Node, source: str) -> str:
        """A Python test of whether ``node``'s value is true as JMESPath means it: the value itself for the
        nodes that only give a boolean (comparisons, ``!``), else ``is_true()``."""
        value = self.node(node, source)
        return value if node["type"] in _BOOLEAN_NODES else _is_true(value)

    def _not_expression(self, node: Node, source: str) -> str:
        value = self.node(node["children"][0], source)
        # 0 is true in JMESPath, so !0 is false.
        return self.assign(f"False if type({value}) in NUMBERS and {value} == 0 else not {value}", "negated")

    def _comparator(self, node: Node, source: str) -> str:
        operator = node["value"]
        if operator in ("eq", "ne"):
            known = _literal_side(node["children"])
            if known is not None:
                # Against a scalar literal, the test needs no call: `unit == 'degC'`, `value == `null``.
                other, literal = known
                test = _equals_literal(self.node(other, source), literal)
                return self.assign(test if operator == "eq" else f"not ({test})", operator)
        left, right = (self.node(child, source) for child in node["children"])
        if operator in ("eq", "ne"):
            # Python's 0 == False and 1 == True do not hold in JMESPath: equals()
            # handles the numbers; strings compare as they are.
            equal = (f"({left} == {right}) if type({left}) is str or type({right}) is str "
                     f"else equals({left}, {right})")
            return self.assign(equal if operator == "eq" else f"not (({equal}))", operator)
        # Two numbers or two strings compare as they are; order() does the rest (a number and a string
        # raise OrderingError there, not Python's TypeError).
        return self.assign(f"({left} {ORDER_SYMBOLS[operator]} {right}) if type({left}) in NUMBERS and type({right}) "
                           f"in NUMBERS or type({left}) is str and type({right}) is str "
                           f"else order({left}, {right}, {operator!r})", operator)

    # JMESPath Community's additions ------------------------------------------------------------------

    def _root(self, node: Node, source: str) -> str:
        return self._record("record")

    def _let(self, node: Node, source: str) -> str:
        *bindings, body = node["children"]
        enclosing = self.variables
        self.variables = dict(enclosing)
        try:
            for binding in bindings:
                # Each binding sees the ones before it; the body sees them all.
                value = self.node(binding["children"][0], source)
                self.variables[binding["value"]] = self.assign(value, f"var_{binding['value']}")
            return self.node(body, source)
        finally:
            self.variables = enclosing

    def _variable_ref(self, node: Node, source: str) -> str:
        name: str = node["value"]
        local = self.variables.get(name)
        if local is None:
            raise ExpressionError(undefined_variable(name, self.variables), self.text, node.get("offset"))
        if local in self.borrowed and local not in self.captured:
            self.captured.append(local)
        return local

    def _ternary(self, node: Node, source: str) -> str:
        condition, chosen, otherwise = node["children"]
        # Only the chosen branch is evaluated.
        return self._either(self.truth(condition, source), lambda: self.node(chosen, source),
                            lambda: self.node(otherwise, source), "chosen")

    def _either(self, test: str, chosen: Callable[[], str], otherwise: Callable[[], str], prefix: str) -> str:
        """A local set by ``chosen()`` when ``test`` holds, else by ``otherwise()``: each writes its
        statements inside its branch and returns the name of its value."""
        result = self.fresh(prefix)
        with self.block(f"if {test}:"):
            self.line(f"{result} = {chosen()}")
        with self.block("else:"):
            self.line(f"{result} = {otherwise()}")
        return result

    def _arithmetic(self, node: Node, source: str) -> str:
        left, right = (self.node(child, source) for child in node["children"])
        operator: str = node["value"]
        call = f"arithmetic({operator!r}, {left}, {right})"
        symbol = ARITHMETIC_SYMBOLS[operator]
        if operator in _EXACT_ON_INTS:
            # Integers are exact in Python (a zero divisor goes to arithmetic() for its error).
            nonzero = f" and {right}" if operator in ("modulo", "integer_divide") else ""
            call = f"{left} {symbol} {right} if type({left}) is int and type({right}) is int{nonzero} else {call}"
        return self.assign(call, operator)

    def _arithmetic_unary(self, node: Node, source: str) -> str:
        value = self.node(node["children"][0], source)
        operator: str = node["value"]
        inline = f"-{value}" if operator == "minus" else value
        return self.assign(f"{inline} if type({value}) in NUMBERS else unary_arithmetic({operator!r}, {value})",
                           "negated" if operator == "minus" else "number")

    def _record(self, prefix: str) -> str:
        """The record being mapped (``$``, ``root()``): the scope's root; null without a scope."""
        self.uses_context = True
        holder = self.item[0] if self.item is not None else self.scope_variable()
        return self.assign(f"None if {holder} is None else {holder}.root", prefix)

    # Functions and expression references ------------------------------------------------------------

    def _expref(self, node: Node, source: str) -> str:
        body = node["children"][0]
        function, scope = self._function_of(body, "expref")
        return self.assign(f"Expref({self.bind(body, 'expref_node')}, {function}, {scope})", "expref")

    def _function_of(self, body: Node, prefix: str) -> tuple[str, str]:
        """A generated function ``(data, scope) -> value`` for the expression ``body``, and what to pass it
        as ``scope`` (None unless it uses context functions).

        The function is a global; the variables it reads are its first parameters, bound with
        ``partial`` where it is used (so a function reading none costs nothing more).
        """
        inner = Emitter(self.functions, self.module, self.variables, lookups=self.lookups)
        inner.text = self.text
        inner.borrowed = frozenset(self.variables.values())
        result = inner.node(body, "data")
        name = self.fresh(prefix)
        inner.define(name, [*inner.captured, "data", "scope"], returns=result, what=f"{name} of {self.text}")
        self.uses_context = self.uses_context or inner.uses_context
        for local in inner.captured:
            if local in self.borrowed and local not in self.captured:
                self.captured.append(local)
        function = f"partial({name}, {', '.join(inner.captured)})" if inner.captured else name
        return function, self.scope_variable() if inner.uses_context else "None"

    def check_call(self, node: Node) -> FunctionSpec:
        """The spec of the function ``node`` calls; raise if unknown or given the wrong number of arguments
        (in ``mapper check``'s words, at the function's name)."""
        name: str = node["value"]
        spec = self.functions.specs.get(name)
        if spec is None:
            raise UnknownFunctionError(unknown_function(name, self.functions.specs), self.text,
                                       _call_offset(self.text, name))
        problem = wrong_arity(spec, len(node["children"]))
        if problem is not None:
            raise ExpressionError(problem, self.text, _call_offset(self.text, name))
        return spec

    def _function_expression(self, node: Node, source: str) -> str:
        name: str = node["value"]
        spec = self.check_call(node)
        if spec.sorts_by_key and node["children"][1]["type"] == "expref":
            return self._sort_by(spec, node, source)
        if spec.refines is not None and spec.refines.kind == "lookup":
            return self._lookup_call(node, source)
        arguments = [self.node(child, source) for child in node["children"]]
        if name == "sum":
            return self._sum(arguments[0])
        if name == "join":
            return self._join(*arguments)
        if spec.context:
            return self._context_call(spec, arguments)
        count = len(arguments)
        table = self.function_table()
        call = f"{self._checked_caller(name, count)}({', '.join(arguments)})"
        direct = self.functions.direct_call(name, count)
        if direct is not None:
            # The function itself when every argument has a type it takes, the checked call otherwise.
            function, types = direct
            tests = [self.type_test(argument, accepted, ("accepts", name, at), f"accepts_{name}")
                     for at, (argument, accepted) in enumerate(zip(arguments, types))
                     if accepted is not None and type(self.constants.get(argument, _UNKNOWN)) not in accepted]
            func = self.bind_shared(("func", name, count), function, f"func_{name}",
                                    Recipe(f"{table}.direct_call({name!r}, {count})[0]"))
            direct_call = f"{func}({', '.join(arguments)})"
            call = f"{direct_call} if {' and '.join(tests)} else {call}" if tests else direct_call
        if spec.int_operator is not None:
            # Integers are exact in Python: only other numbers need the function (the library's decimals).
            first, second = arguments
            ints = " and ".join(f"type({argument}) is int" for argument in arguments
                                if type(self.constants.get(argument, _UNKNOWN)) is not int)
            call = f"{first} {spec.int_operator} {second} if {ints} else {call}" if ints else \
                f"{first} {spec.int_operator} {second}"
        return self.assign(call, name)

    def _sum(self, array: str) -> str:
        """``sum(array)``: Python's own sum (what jmespath's gives) when ``array`` is a list of numbers only,
        its types checked in one loop without a call; anything else goes through the checked call for its
        error. (A sum is never null, so null says the loop found something else.)"""
        caller = self._checked_caller("sum", 1)
        result = self.assign("None", "sum")
        with self.block(f"if type({array}) is list:"):
            number = self.fresh("number")
            with self.block(f"for {number} in {array}:"):
                self.line(f"if type({number}) is not int and type({number}) is not float: break")
            with self.block("else:"):
                self.line(f"{result} = sum({array})")
        self.line(f"if {result} is None: {result} = {caller}({array})")
        return result

    def _join(self, separator: str, array: str) -> str:
        """``join(separator, array)``: ``str.join`` (what jmespath's gives) when the separator is a string
        and the array a list, its items checked in C (a TypeError for any but strings); anything else
        goes through the checked call for its error. (A join is never null.)"""
        caller = self._checked_caller("join", 2)
        result = self.assign("None", "joined")
        text = "" if type(self.constants.get(separator)) is str else f"type({separator}) is str and "
        with self.block(f"if {text}type({array}) is list:"):
            with self.block("try:"):
                self.line(f"{result} = {separator}.join({array})")
            with self.block("except TypeError:"):
                self.line("pass")
        self.line(f"if {result} is None: {result} = {caller}({separator}, {array})")
        return result

    def _checked_caller(self, name: str, count: int) -> str:
        """The global holding the checked call of ``name`` with ``count`` arguments."""
        return self.bind_shared(("call", name, count), self.functions.positional_caller(name, count),
                                f"call_{name}", Recipe(f"{self.function_table()}.positional_caller({name!r}, {count})"))

    def _context_call(self, spec: FunctionSpec, arguments: list[str]) -> str:
        """``root()``, ``index()`` or ``parent(levels)``, read from the scope (or from ``item``).

        Each is known by what it gives (its ``refines`` fact): the record, the
        position in the innermost ``each``, or an enclosing value.
        """
        self.uses_context = True
        gives = spec.refines.kind if spec.refines is not None else None
        if gives not in _CONTEXT_KINDS:
            raise AssertionError(f"context function {spec.name}() gives none of {', '.join(_CONTEXT_KINDS)}")
        name = spec.name
        if gives == "record":
            return self._record(name)
        if self.item is not None and (gives != "enclosing" or not arguments):
            outer, index = self.item
            if gives == "position":
                return index
            return self.assign(f"None if {outer} is None else {outer}.value", name)
        scope = self.scope_variable()
        if gives == "position":
            return self.assign(f"None if {scope} is None else {scope}.index if {scope}.index is not None "
                               f"else {scope}.position()", name)
        if not arguments:
            return self.assign(f"None if {scope} is None or {scope}.outer is None else {scope}.outer.value", name)
        return self.assign(f"parent_of({scope}, {arguments[0]})", name)

    def _lookup_call(self, node: Node, source: str) -> str:
        """``lookup('table', value)``: the value translated through a lookup table the literal names,
        exactly as a rule's ``lookup:`` (null stays null)."""
        table_node, value_node = node["children"]
        name = table_node.get("value") if table_node["type"] == "literal" else None
        offset = _call_offset(self.text, node["value"])
        if not isinstance(name, str):
            raise ExpressionError("lookup() names its table with a string literal, e.g. lookup('country', code)",
                                  self.text, offset)
        table = self.lookups.get(name)
        if table is None:
            raise UnknownLookupError(unknown_lookup(name, sorted(self.lookups)), self.text, offset)
        value = self.node(value_node, source)
        return self.assign(f"None if {value} is None else {self.translate(table, value)}", f"lookup_{name}")

    def translate(self, lookup: Lookup, value: str) -> str:
        """The Python expression translating the non-null ``value`` through ``lookup`` (a miss gives its
        default, or raises ``LookupMiss``)."""
        table = self.bind_shared(("table", lookup.name), dict(lookup.values), f"table_{lookup.name}")
        arguments = (lookup.name, lookup.values, lookup.has_default, lookup.default)
        translator = self.bind_shared(("lookup", lookup.name), lookup_translator(*arguments), f"lookup_{lookup.name}",
                                      Recipe.call(lookup_translator, *arguments))
        # Text found in the table is the common case; the rest (numbers, misses) goes through the translator.
        return f"{table}[{value}] if type({value}) is str and {value} in {table} else {translator}({value})"

    def _sort_by(self, spec: FunctionSpec, node: Node, source: str) -> str:
        """``sort_by(array, &key)`` (a spec that ``sorts_by_key``) sorted here, without jmespath's
        per-call key-function machinery; anything but an array goes through the checked call for its error."""
        array = self.node(node["children"][0], source)
        body = node["children"][1]["children"][0]
        key, scope = self._function_of(body, "sort_key")
        caller = self.bind_shared(("call", spec.name), self.functions.caller(spec.name), f"call_{spec.name}",
                                  Recipe(f"{self.function_table()}.caller({spec.name!r})"))
        # A bare field as the key (&sequence) is read in C; sort_by_field falls back to the key function.
        sort = f"sort_by({spec.name!r}, {array}, {key}, {scope})"
        if body["type"] == "field":
            field = body["value"]
            read = self.bind_shared(("read", field), itemgetter(field), f"read_{identifier(field)}",
                                    Recipe.call(itemgetter, field))
            sort = f"sort_by_field({spec.name!r}, {array}, {read}, {key}, {scope})"
        return self.assign(f"{sort} if type({array}) is list else "
                           f"{caller}([{array}, Expref({self.bind(body, 'expref_node')}, {key}, {scope})])",
                           "in_order")


#: The Python types a type test names as builtins (``type(v) is str``) instead of a bound set.
_NONE = type(None)
_BUILTIN_TYPES = frozenset({str, bool, int, float, list, dict, _NONE})

#: Not the value of any literal.
_UNKNOWN = object()


def _type_order(kind: type) -> tuple[bool, bool, str]:
    """int first (integers are the more common numbers), null last, else by name: the same source every load."""
    return kind is not int, kind is _NONE, kind.__name__


#: The arithmetic operators whose result on two ints is Python's own operator on them.
_EXACT_ON_INTS = frozenset({"plus", "minus", "multiply", "modulo", "integer_divide"})

#: What each context function gives (``FunctionSpec.refines.kind``): the record, an enclosing value, a position.
_CONTEXT_KINDS = ("record", "enclosing", "position", "lookup")


# -- error details ---------------------------------------------------------------------------------------


def undefined_variable(name: str, visible: Mapping[str, str]) -> str:
    """The one wording of a reference to ``$name`` that no enclosing ``let`` binds:
    ``undefined variable $nme (did you mean $name?)``."""
    close = get_close_matches(name, sorted(visible), n=1, cutoff=0.6)
    return f"undefined variable ${name} (did you mean ${close[0]}?)" if close else f"undefined variable ${name}"


def _literal_side(children: list[Node]) -> tuple[Node, Any] | None:
    """The other side and the value of a comparison's scalar literal side (null, a boolean, a number, a
    string), if it has one."""
    for literal, other in ((children[1], children[0]), (children[0], children[1])):
        if literal["type"] == "literal" and (literal["value"] is None or type(literal["value"]) in _SCALARS):
            return other, literal["value"]
    return None


def _equals_literal(value: str, literal: Any) -> str:
    """Python for JMESPath's ``value == literal``: null and the booleans are themselves only (1 is not
    true), a number equals numbers only, a string strings only (Python's own ``==`` there)."""
    if literal is None or isinstance(literal, bool):
        return f"{value} is {literal!r}"
    if isinstance(literal, str):
        return f"{value} == {literal!r}"
    return f"(type({value}) in NUMBERS and {value} == {literal!r})"


#: The nodes whose value is always true or false (a comparison's, a negation's).
_BOOLEAN_NODES = frozenset({"comparator", "not_expression"})

#: The types of the scalar literals a comparison tests without a call.
_SCALARS = frozenset({bool, int, float, str})


def ends_in_slice(node: Node) -> bool:
    """Whether ``node`` ends in a slice (``[1:3]``, ``name[::-1]``), the only left side that can give a string
    to a projection."""
    last: Node = node["children"][-1] if node["type"] == "index_expression" else node
    return bool(last["type"] == "slice")


def _is_true(value: str) -> str:
    """A test of JMESPath truth of the local ``value``: booleans and null without a call (most values a
    condition tests), ``is_true()`` for the rest."""
    return f"({value} is True or ({value} is not False and {value} is not None and is_true({value})))"


def _call_offset(text: str, name: str) -> int | None:
    """The column of the first call of ``name`` in ``text``."""
    offsets = call_offsets(text, name)
    return offsets[0] if offsets else None


def _find(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text)
    return None if match is None else match.start() + len(match.group()) - len(match.group().lstrip())
