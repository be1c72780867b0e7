"""Walk a JMESPath syntax tree through the source schema: what can it yield?

``ExpressionTyper.infer(ast, current)`` follows jmespath 1.1.0's semantics
node by node: a field of a non-object is null; an index or slice of a
non-array is null; projections drop null results; filters keep items (those
their condition allows, see ``narrowing``); ``flatten`` merges one level;
``||`` and ``&&`` yield one of their operands by truthiness (the right one
typed where the left is falsy, or truthy); functions return their declared
types, refined as their ``FunctionSpec.refines`` says (``sort_by`` has the
shape of its array, ``not_null`` of its first present argument, ``root()``
of the record, ``lookup()`` the table's values...).
The walk knows no function by name: every fact it uses is on the spec.
The community's additions: ``$`` is the record; ``let`` types its bindings
in order into an environment the body (projections, filters and ``&expr``
bodies included) reads, on top of the variables of the ``Scope`` (the
mapping's ``let:`` blocks and ``each`` levels); ``?:`` is either branch,
each typed where its condition holds or not; arithmetic is a number
(an integer for ``+ - * // %`` on integers).

On the way it reports what cannot work whatever the record: a field the
source schema does not have, a step on the wrong kind of value, a call with
the wrong number of arguments or an argument of a kind the function never
takes, a regular expression literal that does not compile, arithmetic on a
value that is never a number. Each report carries the offset of the culprit
in the expression text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from ...codegen import ends_in_slice, undefined_variable
from ...errors import ExpressionError
from ...functions import FunctionSpec, Refines, unknown_function, wrong_arity
from ...functions.describe import show
from ...lexer import tokenize
from ...model import LetBinding, Lookup
from ...runtime import ARITHMETIC_SYMBOLS
from .narrowing import Known, Memo, NodeKey, assume, node_key
from .shapes import (
    ANY,
    BOOLEAN,
    INTEGER,
    NOTHING,
    NULL,
    NUMBER,
    STRING,
    ObjectShape,
    Shape,
    array_of,
    can_be_falsy,
    falsy_part,
    find_properties,
    is_open,
    is_required,
    looked_up,
    matches_pattern_property,
    of_schema,
    of_value,
    property_names,
    truthy_part,
    union,
)

Node = dict[str, Any]
#: report(code, message, offset in the expression or None)
Report = Callable[[str, str, "int | None"], None]

_NO_FACTS: Mapping[NodeKey, Shape] = {}

_SCALAR_PARAM = {"string", "number", "boolean", "null", "object", "array", "expref"}


@dataclass(frozen=True)
class Scope:
    """Where an expression runs: the enclosing values (the record first), whether inside ``each``, and
    the ``$name`` variables of the enclosing ``let:`` blocks and ``each`` levels."""

    stack: tuple[Shape, ...]
    in_each: bool = False
    #: Source paths a ``when`` has found truthy where the rule runs: not null there.
    truthy: frozenset[str] = frozenset()
    variables: Mapping[str, Shape] = field(default_factory=dict)
    #: The ``let:`` binding behind each variable that has one (a read of it is noted in ``Observations``).
    bindings: Mapping[str, LetBinding] = field(default_factory=dict)
    #: What expressions give (``narrowing``) when run on the current value ``facts_about``.
    facts: Mapping[NodeKey, Shape] = field(default_factory=dict)
    facts_about: Shape | None = None
    #: ``variables`` are all those bound around the expression (a mapping's rules): another is undefined.
    complete: bool = False

    def enter(self, shape: Shape, *, item: bool = False) -> Scope:
        return replace(self, stack=self.stack + (shape,), in_each=self.in_each or item)

    def knowing(self, paths: frozenset[str]) -> Scope:
        return replace(self, truthy=self.truthy | paths)

    def bind(self, name: str, shape: Shape, binding: LetBinding | None = None) -> Scope:
        """The scope with ``$name`` bound to ``shape`` (shadowing any outer ``$name``)."""
        bindings = {key: value for key, value in self.bindings.items() if key != name}
        if binding is not None:
            bindings[name] = binding
        return replace(self, variables={**self.variables, name: shape}, bindings=bindings)

    def known(self, current: Shape) -> Known:
        """What the scope knows where ``current`` is the current value (for ``narrowing.assume``)."""
        return Known(current, self.variables, self.facts if current is self.facts_about else {})

    def knowing_all(self, known: Known) -> Scope:
        """The scope with the variables and facts of ``known``."""
        return replace(self, variables=known.variables, facts=known.facts, facts_about=known.current)


@dataclass
class Observations:
    """What the expressions do with source paths (``Emails[].Address``).

    ``read``: every property path read (for the unread-fields warning).
    ``constants``: values a path is compared with, looked up by, or must be
    one of in the target. ``calls``: functions a path is passed to, with the
    argument position and the literal arguments (None where not literal).
    ``formats``: target formats a path's value ends up under. The last three
    guide ``mapper fuzz`` towards records that exercise the mapping.
    ``bindings``: the ``let:`` bindings some expression reads.
    """

    read: set[str] = field(default_factory=set)
    constants: dict[str, set[Any]] = field(default_factory=dict)
    calls: dict[str, list[tuple[str, int, tuple[Any, ...]]]] = field(default_factory=dict)
    formats: dict[str, set[str]] = field(default_factory=dict)
    bindings: set[LetBinding] = field(default_factory=set)

    def add(self, path: str) -> None:
        self.read.add(path)

    def constant(self, path: str | None, values: Iterable[Any]) -> None:
        if path is not None:
            self.constants.setdefault(path, set()).update(
                value for value in values if isinstance(value, (str, int, float)) and not isinstance(value, bool))


class _Tokens:
    """Offsets of names in the expression text, handed out in reading order."""

    def __init__(self, text: str) -> None:
        self.offsets: dict[str, list[int]] = {}
        self.brackets: dict[str, list[int]] = {"filter": [], "flatten": [], "index": []}
        self.strings: dict[str, list[int]] = {}
        try:
            tokens = tokenize(text)
        except ExpressionError:
            return
        for token, following in zip(tokens, tokens[1:]):
            if token.kind in ("unquoted_identifier", "quoted_identifier"):
                self.offsets.setdefault(str(token.value), []).append(token.start)
            elif token.kind in ("filter", "flatten"):
                self.brackets[token.kind].append(token.start)
            elif token.kind == "lbracket" and following.kind in ("number", "colon"):
                self.brackets["index"].append(token.start)
            elif token.kind == "literal" and isinstance(token.value, str):
                self.strings.setdefault(token.value, []).append(token.start)

    def take(self, name: str) -> int | None:
        """The offset of the next use of ``name`` (a field or a function)."""
        found = self.offsets.get(name)
        return found.pop(0) if found else None

    def take_bracket(self, kind: str) -> int | None:
        """The offset of the next ``[?`` (filter), ``[]`` (flatten) or ``[n`` / ``[n:m`` (index)."""
        found = self.brackets[kind]
        return found.pop(0) if found else None

    def take_string(self, value: str) -> int | None:
        """The offset of the next string literal (``'...'`` or a JSON string in backticks) of ``value``."""
        found = self.strings.get(value)
        return found.pop(0) if found else None


class ExpressionTyper:
    """Infers shapes of the expressions of one mapping; reports through ``report``."""

    def __init__(self, functions: Mapping[str, FunctionSpec], observations: Observations,
                 lookups: Mapping[str, Lookup] | None = None) -> None:
        self.functions = functions
        self.observations = observations
        self.lookups: Mapping[str, Lookup] = lookups or {}

    def infer_text(self, text: str, ast: Node, current: Shape, scope: Scope, report: Report) -> Shape:
        return _Walk(self, _Tokens(text), scope, report).infer(ast, current)

    def assume(self, ast: Node, current: Shape, scope: Scope, holds: bool = True) -> tuple[Shape, Scope]:
        """The current value and the scope where condition ``ast`` is truthy (or falsy, without ``holds``):
        the values it tests narrowed (see ``narrowing``), and with ``holds`` its ``truthy_paths``."""
        known = assume(ast, scope.known(current), holds, self.silent(scope))
        if holds:
            scope = scope.knowing(self.truthy_paths(ast, current))
        return known.current, scope.knowing_all(known)

    def silent(self, scope: Scope) -> Callable[[Node, Shape], Shape]:
        """Types expressions in ``scope`` without reporting anything."""
        return _Walk(self, _Tokens(""), scope, lambda code, message, offset: None).infer

    def truthy_paths(self, ast: Node, current: Shape) -> frozenset[str]:
        """Source paths that are truthy (so not null) wherever condition ``ast`` holds.

        Understood: plain field paths (``a.b``), ``&&`` of conditions, and ``path ==
        literal`` with a literal that is not null.
        """
        kind = ast["type"]
        if kind == "and_expression":
            return self.truthy_paths(ast["children"][0], current) | self.truthy_paths(ast["children"][1], current)
        if kind == "comparator" and ast["value"] == "eq":
            left, right = ast["children"]
            for path_node, other in ((left, right), (right, left)):
                if other["type"] == "literal" and other["value"] is not None:
                    return self.truthy_paths(path_node, current)
            return frozenset()
        chain = _field_chain(ast)
        if chain is None or current.path is None:
            return frozenset()
        prefix = f"{current.path}." if current.path else ""
        return frozenset({prefix + ".".join(chain[:end]) for end in range(1, len(chain) + 1)})


class _Walk:
    def __init__(self, typer: ExpressionTyper, tokens: _Tokens, scope: Scope, report: Report) -> None:
        self.typer = typer
        self.tokens = tokens
        self.scope = scope
        self.report = report
        self.piped: Shape | None = None  # the value a pipe passes on, while its right side runs
        self.projecting = 0  # inside the right side of a projection
        self.variables: dict[str, Shape] = dict(scope.variables)  # the ``$name`` bindings in scope
        self.local: frozenset[str] = frozenset()  # the names an expression's own ``let`` binds
        self.facts, self.facts_about = scope.facts, scope.facts_about  # see ``narrowing``
        # One Known per (current, variables, facts, scope), so that narrowing's memo finds it again.
        self._knowns: dict[tuple[int, int, int, int], tuple[Any, ...]] = {}
        self._memo: Memo = {}

    def infer(self, node: Node, current: Shape) -> Shape:
        method: Callable[[Node, Shape], Shape] = getattr(self, f"_{node['type']}")
        shape = method(node, current)  # typed even when a fact knows better: its reports and offsets
        if self.facts and current is self.facts_about:
            return self.facts.get(node_key(node), shape)
        return shape

    # -- paths ----------------------------------------------------------------------------------

    def _field(self, node: Node, current: Shape) -> Shape:
        name: str = node["value"]
        offset = self.tokens.take(name)
        return self.field(current, name, offset)

    def field(self, current: Shape, name: str, offset: int | None) -> Shape:
        results: list[Shape] = []
        if current.kinds - {"object"} or current.unknown:
            results.append(NULL)  # a field of anything but an object is null
        unknown_in: list[ObjectShape] = []
        for object_ in current.objects:
            if object_.fields is not None:
                found = dict(object_.fields).get(name)
                results.append(found if found is not None else NULL)
                continue
            assert object_.node is not None
            path = f"{object_.path}.{name}" if object_.path else name
            overridden = dict(object_.overrides).get(name)
            if overridden is not None:
                results.append(overridden)
                continue
            property_nodes = find_properties(object_.node, name, object_.branches)
            if not property_nodes:
                if is_open(object_.node) or matches_pattern_property(object_.node, name):
                    results.append(ANY)
                else:
                    unknown_in.append(object_)
                    results.append(NULL)
                continue
            self.typer.observations.add(path)
            optional = not is_required(object_.node, name) and path not in self.scope.truthy
            shapes = [of_schema(property_node, path, optional=optional) for property_node in property_nodes]
            shape = union(shapes)
            results.append(shape.without_null() if path in self.scope.truthy else shape)
        if current.unknown and not current.objects:
            results.append(ANY)
        if unknown_in and len(unknown_in) == len(current.objects) and not current.unknown:
            self._report_unknown_field(name, unknown_in, offset)
            return ANY  # reported once; do not cascade
        if not current.unknown and not current.objects and current.definite_kinds():
            self._report_wrong_step(current, f"field {name!r}", "an object", offset)
            return ANY
        return union(results)

    def _report_unknown_field(self, name: str, objects: list[ObjectShape], offset: int | None) -> None:
        candidates: list[str] = []
        for object_ in objects:
            assert object_.node is not None
            candidates.extend(property_names(object_.node))
        where = " or ".join(sorted({object_.path or "" for object_ in objects}))
        place = f"at {where}" if where else "record"
        lowered = {candidate.lower(): candidate for candidate in candidates}
        close = ([lowered[name.lower()]] if name.lower() in lowered
                 else difflib.get_close_matches(name, candidates, n=1, cutoff=0.6))
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        self.report("M301", f"the source schema has no field {name!r} in the source {place}{hint}", offset)

    def _report_wrong_step(self, current: Shape, step: str, needs: str, offset: int | None,
                           hint: str = "") -> None:
        where = f"{current.path} is" if current.path else "the value here is"
        if current is self.piped:
            where = "the value `|` passes on is"
            hint = hint or (" (everything right of `|` reads the result of its left side; "
                            "group with parentheses, e.g. `(a | [0].b) || c`)")
        elif needs == "an object" and current.kinds - {"null"} == {"array"}:
            hint = hint or " (project it with [] or pick an item with [0])"
        self.report("M302", f"{step} always gives null: {where} {current.without_null().describe()}, "
                            f"not {needs}{hint}", offset)

    def _subexpression(self, node: Node, current: Shape) -> Shape:
        for child in node["children"]:
            current = self.infer(child, current)
        return current

    _index_expression = _subexpression

    def _pipe(self, node: Node, current: Shape) -> Shape:
        left = self.infer(node["children"][0], current)
        outer, self.piped = self.piped, left
        projecting, self.projecting = self.projecting, 0  # a pipe ends projections
        try:
            return self.infer(node["children"][1], left)
        finally:
            self.piped, self.projecting = outer, projecting

    def _current(self, node: Node, current: Shape) -> Shape:
        return current

    _identity = _current

    def _index(self, node: Node, current: Shape) -> Shape:
        offset = self.tokens.take_bracket("index")
        if not current.can_be("array"):
            if current.definite_kinds():
                self._report_wrong_step(current, f"index [{node['value']}]", "an array", offset)
                return ANY
            return NULL
        item = current.items if current.items is not None else ANY
        return item.with_absence()  # past the end: null

    def _slice(self, node: Node, current: Shape) -> Shape:
        # JEP-15: a slice of an array is an array, of a string a string (its characters); else null.
        offset = self.tokens.take_bracket("index")
        if not current.can_be("array") and not current.can_be("string"):
            if current.definite_kinds():
                self._report_wrong_step(current, "a slice", "an array or a string", offset)
                return ANY
            return NULL
        parts = [array_of(current.items)] if current.can_be("array") else []
        if current.can_be("string"):
            parts.append(STRING)
        result = union(parts)
        return result.with_absence() if current.kinds - {"array", "string"} or current.unknown else result

    def _items_of(self, base: Shape, what: str, offset: int | None = None, hint: str = "") -> Shape | None:
        """The items a projection runs over; None when it can never run."""
        if not base.can_be("array"):
            if base.definite_kinds():
                self._report_wrong_step(base, what, "an array", offset, hint)
            return None
        return base.items if base.items is not None else ANY

    def _projected(self, base: Shape, results: Shape) -> Shape:
        projected = array_of(results.without_null() if not results.only_null else None)
        if base.unknown or base.kinds - {"array"}:
            return projected.with_absence()
        return projected

    def _projection(self, node: Node, current: Shape) -> Shape:
        left, right = node["children"]
        base = self.infer(left, current)
        if ends_in_slice(left) and base.can_be("string"):
            # A sliced string is one value, not items (as generated code does): the right side reads it whole.
            whole = self.infer(right, STRING)
            if not base.can_be("array"):
                return whole.with_absence() if base.nullable else whole
            items = self._items_of(base, "a projection")
            projected = self._projected(base, self._project(right, items)) if items is not None else NULL
            return union([whole, projected])
        items = self._items_of(base, "a projection")
        if items is None:
            return ANY if base.definite_kinds() else NULL
        return self._projected(base, self._project(right, items))

    def _project(self, node: Node, items: Shape) -> Shape:
        self.projecting += 1
        try:
            return self.infer(node, items)
        finally:
            self.projecting -= 1

    def _filter_projection(self, node: Node, current: Shape) -> Shape:
        left, right, condition = node["children"]
        base = self.infer(left, current)
        hint = ""
        if left["type"] == "identity" and self.projecting:
            hint = (" (a filter right after a projection runs on each of its items; "
                    "end the projection with `|` first: `... | [?...]`)")
        items = self._items_of(base, "a filter", self.tokens.take_bracket("filter"), hint)
        if items is None:
            return ANY if base.definite_kinds() else NULL
        self.infer(condition, items)
        kept = assume(condition, Known(items, self.variables), True, self._silent()).current
        return self._projected(base, self._project(right, kept))

    def _value_projection(self, node: Node, current: Shape) -> Shape:
        base = self.infer(node["children"][0], current)
        if not base.can_be("object"):
            return NULL
        values: list[Shape] = []
        for object_ in base.objects:
            if object_.fields is not None:
                values.extend(shape for _, shape in object_.fields)
            else:
                values.append(ANY)
        item = union(values) if values and not base.unknown else ANY
        return self._projected(base, self._project(node["children"][1], item))

    def _flatten(self, node: Node, current: Shape) -> Shape:
        base = self.infer(node["children"][0], current)
        items = self._items_of(base, "flattening ([])", self.tokens.take_bracket("flatten"))
        if items is None:
            return ANY if base.definite_kinds() else NULL
        merged: list[Shape] = []
        if items.unknown:
            merged.append(ANY)
        else:
            if "array" in items.kinds:
                merged.append(items.items if items.items is not None else ANY)
            rest = items.kinds - {"array"}
            if rest:
                merged.append(_restrict(items, rest))
        flat = array_of(union(merged) if merged else None)
        return flat.with_absence() if base.unknown or base.kinds - {"array"} else flat

    # -- values ---------------------------------------------------------------------------------

    def _literal(self, node: Node, current: Shape) -> Shape:
        return of_value(node["value"])

    def _multi_select_list(self, node: Node, current: Shape) -> Shape:
        shapes = [self.infer(child, current) for child in node["children"]]
        result = array_of(union(shapes))
        return result.with_absence() if current.nullable else result

    def _multi_select_dict(self, node: Node, current: Shape) -> Shape:
        fields = tuple((child["value"], self.infer(child["children"][0], current)) for child in node["children"])
        result = Shape(frozenset({"object"}), objects=(ObjectShape(fields=fields),))
        return result.with_absence() if current.nullable else result

    def _or_expression(self, node: Node, current: Shape) -> Shape:
        left, right = node["children"]
        truthy, falsy = self._truthiness(left, current)
        if not falsy:
            return truthy
        with self._assuming(left, False, current) as narrowed:
            return union([truthy, self.infer(right, narrowed)])

    def _and_expression(self, node: Node, current: Shape) -> Shape:
        left = self.infer(node["children"][0], current)
        with self._assuming(node["children"][0], True, current) as narrowed:
            right = self.infer(node["children"][1], narrowed)
        return union([falsy_part(left), right]) if can_be_falsy(left) else right

    def _truthiness(self, node: Node, current: Shape) -> tuple[Shape, bool]:
        """What ``node`` gives where it is truthy, and whether it can be falsy (typing it once).

        ``a && b`` is truthy only as ``b`` (where ``a`` holds), so the ``false`` of a comparison ``a``
        never comes out of ``a && b || c``: ``c`` does.
        """
        kind = node["type"]
        if kind in ("and_expression", "or_expression"):
            left, right = node["children"]
            if kind == "and_expression":
                first = self.infer(left, current)
                with self._assuming(left, True, current) as narrowed:
                    truthy, falsy = self._truthiness(right, narrowed)
                return truthy, falsy or can_be_falsy(first)
            truthy, falsy = self._truthiness(left, current)
            if not falsy:
                return truthy, False
            with self._assuming(left, False, current) as narrowed:
                other, other_falsy = self._truthiness(right, narrowed)
            return union([truthy, other]), other_falsy
        shape = self.infer(node, current)
        return truthy_part(shape), can_be_falsy(shape)

    def _known(self, current: Shape) -> Known:
        """What this walk knows where ``current`` is the current value: the same object for the same
        state, for ``narrowing``'s memo."""
        facts = self.facts if current is self.facts_about else _NO_FACTS
        key = (id(current), id(self.variables), id(facts), id(self.scope))
        found = self._knowns.get(key)
        if found is None:
            # The state is kept beside the Known, so that no id in the key is reused while the walk runs.
            found = (Known(current, self.variables, facts), current, self.variables, facts, self.scope)
            self._knowns[key] = found
        known: Known = found[0]
        return known

    def _silent(self) -> Callable[[Node, Shape], Shape]:
        """Types expressions as this walk would, seeing its variables, without reporting anything."""
        return self.typer.silent(replace(self.scope, variables=self.variables, facts=self.facts,
                                         facts_about=self.facts_about))

    @contextmanager
    def _assuming(self, condition: Node, holds: bool, current: Shape) -> Iterator[Shape]:
        """While the body runs, the variables (and the source paths) are as where ``condition`` is truthy
        (or falsy, without ``holds``); gives the current value so narrowed."""
        saved = self.scope, self.variables, self.facts, self.facts_about
        known = assume(condition, self._known(current), holds, self._silent(), self._memo)
        if holds:
            self.scope = self.scope.knowing(self.typer.truthy_paths(condition, current))
        self.variables, self.facts, self.facts_about = dict(known.variables), known.facts, known.current
        try:
            yield known.current
        finally:
            self.scope, self.variables, self.facts, self.facts_about = saved

    def _not_expression(self, node: Node, current: Shape) -> Shape:
        self.infer(node["children"][0], current)
        return BOOLEAN

    def _comparator(self, node: Node, current: Shape) -> Shape:
        left = self.infer(node["children"][0], current)
        right = self.infer(node["children"][1], current)
        for shape, other in ((left, node["children"][1]), (right, node["children"][0])):
            if other["type"] == "literal":
                self.typer.observations.constant(shape.path, [other["value"]])
        if node["value"] in ("eq", "ne"):
            return BOOLEAN
        numbers = frozenset({"integer", "number"})
        if not left.unknown and not right.unknown and left.kinds <= numbers and right.kinds <= numbers:
            return BOOLEAN
        return BOOLEAN.with_absence()  # ordering anything but numbers gives null

    def _expref(self, node: Node, current: Shape) -> Shape:
        return self._expref_result(node, current)

    # -- the community's additions ----------------------------------------------------------------

    def _root(self, node: Node, current: Shape) -> Shape:
        return self.scope.stack[0]

    def _let(self, node: Node, current: Shape) -> Shape:
        *bindings, body = node["children"]
        enclosing, local = self.variables, self.local
        self.variables = dict(enclosing)  # inner bindings shadow outer ones until the body ends
        try:
            for binding in bindings:
                # Each binding sees the ones before it; the body sees them all.
                self.variables[binding["value"]] = self.infer(binding["children"][0], current)
                self.local = self.local | {binding["value"]}
            return self.infer(body, current)
        finally:
            self.variables, self.local = enclosing, local

    def _variable_ref(self, node: Node, current: Shape) -> Shape:
        name: str = node["value"]
        binding = self.scope.bindings.get(name)
        if binding is not None and name not in self.local:
            self.typer.observations.bindings.add(binding)
        if name not in self.variables and self.scope.complete:
            # The loader's wording (it reads only the names of what is visible).
            self.report("M102", undefined_variable(name, dict.fromkeys(self.variables, "")), node.get("offset"))
        return self.variables.get(name, ANY)

    def _ternary(self, node: Node, current: Shape) -> Shape:
        condition, chosen, otherwise = node["children"]
        self.infer(condition, current)
        results = []
        for holds, branch in ((True, chosen), (False, otherwise)):
            with self._assuming(condition, holds, current) as narrowed:
                results.append(self.infer(branch, narrowed))
        return union(results)

    def _arithmetic(self, node: Node, current: Shape) -> Shape:
        symbol = ARITHMETIC_SYMBOLS[node["value"]]
        operands = [self.infer(child, current) for child in node["children"]]
        for side, operand in zip(("left", "right"), operands):
            if _never_a_number(operand):
                self._report_not_a_number(f"`{symbol}` needs two numbers, but its {side} operand", operand,
                                          node.get("offset"))
                return ANY  # reported once; do not cascade
        # Null or anything else makes the operator raise: the result, when there is one, is a number.
        integers = node["value"] != "divide" and all(_only_integers(operand) for operand in operands)
        return INTEGER if integers else NUMBER

    def _arithmetic_unary(self, node: Node, current: Shape) -> Shape:
        operand = self.infer(node["children"][0], current)
        if _never_a_number(operand):
            symbol = ARITHMETIC_SYMBOLS[node["value"]]
            self._report_not_a_number(f"unary `{symbol}` needs a number, but its operand", operand,
                                      node.get("offset"))
            return ANY
        return INTEGER if _only_integers(operand) else NUMBER

    def _report_not_a_number(self, needs: str, operand: Shape, offset: int | None) -> None:
        where = f" ({operand.path})" if operand.path else ""
        self.report("M305", f"{needs} is always {operand.without_null().describe()}{where}", offset)

    # -- functions ------------------------------------------------------------------------------

    def _function_expression(self, node: Node, current: Shape) -> Shape:
        name: str = node["value"]
        offset = self.tokens.take(name)
        children: list[Node] = node["children"]
        spec = self.typer.functions.get(name)
        if spec is None:
            return self._uncallable("M104", unknown_function(name, self.typer.functions), children, offset)
        problem = wrong_arity(spec, len(children))
        if problem is not None:
            return self._uncallable("M105", problem, children, offset)
        arguments = self._arguments(spec, children, current)
        params = spec.params_for(len(arguments))
        for position, (argument, param) in enumerate(zip(arguments, params), 1):
            self._check_argument(name, position, argument, param.types, offset)
            if param.expects is not None and param.expects.kind == "regex_match":
                self._check_pattern(name, param.expects.argument, children)
        self._observe_call(spec, children, arguments)
        result = self._returns(spec, arguments, children, offset)
        if spec.passes_text:
            paths = {argument.path for argument in arguments if not argument.only_null}
            if len(paths) == 1 and None not in paths:
                result = replace(result, path=paths.pop())
        return result

    def _check_pattern(self, name: str, position: int | None, children: list[Node]) -> None:
        """Compile a literal regular expression argument as the function does: one that does not compile
        makes every call fail, so every record reaching it is rejected."""
        if position is None or position >= len(children):
            return
        pattern = children[position]
        if pattern["type"] != "literal" or not isinstance(pattern["value"], str):
            return
        try:
            re.compile(pattern["value"])
        except re.error as error:
            self.report("M110", f"{name}() argument {position + 1}: invalid regular expression "
                                f"{show(pattern['value'])}: {error}; every call would fail",
                        self.tokens.take_string(pattern["value"]))

    def _uncallable(self, code: str, problem: str, children: list[Node], offset: int | None) -> Shape:
        """Report a call that cannot run (in the loader's words); its arguments are still checked."""
        self.report(code, problem, offset)
        for child in children:
            self.infer(child, ANY)
        return ANY

    def _observe_call(self, spec: FunctionSpec, children: list[Node], arguments: list[Shape]) -> None:
        observations = self.typer.observations
        literals = tuple(child["value"] if child["type"] == "literal" else None for child in children)
        for position, argument in enumerate(arguments):
            if argument.path is not None:
                observations.calls.setdefault(argument.path, []).append((spec.name, position, literals))
        if spec.member is not None:
            needle, haystack = spec.member
            values = literals[haystack] if max(spec.member) < len(children) else None
            if isinstance(values, list):
                observations.constant(arguments[needle].path, values)

    def _arguments(self, spec: FunctionSpec, children: list[Node], current: Shape) -> list[Shape]:
        # An expression reference runs against the items of the function's array argument,
        # which is typed first (map takes the reference first).
        array_position = spec.expref_items
        order = list(range(len(children)))
        if array_position is not None and array_position < len(children):
            order.remove(array_position)
            order.insert(0, array_position)
        shapes: dict[int, Shape] = {}
        for position in order:
            child = children[position]
            if child["type"] == "expref":
                base = shapes.get(array_position) if array_position is not None else None
                items = base.items if base is not None and base.items is not None else ANY
                shapes[position] = self._expref_result(child, items)
            else:
                shapes[position] = self.infer(child, current)
        return [shapes[position] for position in range(len(children))]

    def _expref_result(self, node: Node, items: Shape) -> Shape:
        # An expression reference is no JSON value: unknown, carrying what the reference yields
        # per item in ``items`` (for map()).
        result = self.infer(node["children"][0], items)
        return Shape(frozenset(), unknown=True, items=result)

    def _check_argument(self, name: str, position: int, argument: Shape, accepted: Sequence[str],
                        offset: int | None) -> None:
        if "any" in accepted or argument.unknown or "expref" in accepted:
            return
        kinds = argument.definite_kinds()
        if not kinds:
            return  # only null: reported, if at all, as a rule that yields null
        if any(_accepts(kind, argument, accepted) for kind in kinds):
            return
        wanted = " or ".join(_PARAM_WORDS.get(kind, kind) for kind in accepted if kind != "null")
        where = f" ({argument.path})" if argument.path else ""
        self.report("M106", f"{name}() argument {position} must be {wanted}, but it is always "
                            f"{argument.without_null().describe()}{where}", offset)

    def _returns(self, spec: FunctionSpec, arguments: list[Shape], children: list[Node],
                 offset: int | None) -> Shape:
        refined = self._refined(spec, arguments, children, offset)
        if refined is not None:
            return refined
        shape = _declared(spec.returns)
        if shape.nullable:
            # Library functions give null for a null subject: a declared null goes through.
            declared = next((argument.null_from for argument in arguments if argument.null_from), None)
            if declared is not None:
                return Shape(shape.kinds, unknown=shape.unknown, items=shape.items, null_from=declared)
        return shape

    def _refined(self, spec: FunctionSpec, arguments: list[Shape], children: list[Node],
                 offset: int | None) -> Shape | None:
        """The result as ``spec.refines`` says it follows from the arguments; None without a refinement."""
        refines = spec.refines
        if refines is None:
            return None
        kind = refines.kind
        argument = arguments[refines.argument] if refines.argument < len(arguments) else ANY
        if kind == "first_present":
            present = [argument.without_null() for argument in arguments if not argument.only_null]
            absent = all(argument.nullable or argument.can_be("string") for argument in arguments)
            result = union(present) if present else NULL
            return result.with_absence() if absent else result
        if kind == "argument":
            return argument.without_null() if not argument.unknown else ANY
        if kind == "item":
            items = argument.items if argument.items is not None else ANY
            return items.with_absence()
        if kind == "as_array":
            if argument.unknown:
                return array_of(None)
            wrapped = argument.kinds - {"array"}
            parts = [_restrict(argument, frozenset({"array"}))] if "array" in argument.kinds else []
            if wrapped:
                parts.append(array_of(_restrict(argument, wrapped)))
            return union(parts)
        if kind == "mapped":
            return array_of(argument.items)
        if kind == "array_of":
            result = array_of(_declared((refines.items,)))
            return result.with_absence() if "null" in spec.returns else result
        if kind == "integer":
            return INTEGER
        if kind == "never":
            return NOTHING
        if kind == "lookup":
            return self._looked_up(refines.argument, arguments, children, offset)
        return self._context(refines, children)

    def _looked_up(self, position: int, arguments: list[Shape], children: list[Node], offset: int | None) -> Shape:
        """``lookup('table', value)``: what the table gives for ``value``, as for a rule's ``lookup:``."""
        name = children[position]
        table = self.typer.lookups.get(name["value"]) if name["type"] == "literal" else None
        if table is None or position + 1 >= len(arguments):
            return ANY  # an unknown table is the loader's error (M103)
        value = arguments[position + 1]
        if is_container(value):
            self.report("M107", lookup_of_container(table.name, value), offset)
            return ANY
        self.typer.observations.constant(value.path, table.values)
        return looked_up(table, value)

    def _context(self, refines: Refines, children: list[Node]) -> Shape:
        stack = self.scope.stack
        if refines.kind == "record":
            return stack[0]
        if refines.kind == "position":
            return INTEGER if self.scope.in_each else NULL
        levels: int | None = 1  # "enclosing"
        if refines.argument < len(children):
            literal = children[refines.argument]
            levels = literal["value"] if literal["type"] == "literal" and isinstance(literal["value"], int) else None
        if levels is None:
            return union(list(stack) + [NULL])
        if 0 <= levels < len(stack):
            return stack[-1 - levels]
        return NULL


def is_container(shape: Shape) -> bool:
    """Known to be an array or an object whenever it is not null: nothing a lookup table translates."""
    kinds = shape.definite_kinds()
    return bool(kinds) and kinds <= {"array", "object"}


def lookup_of_container(table: str, value: Shape) -> str:
    """The one wording of ``M107``, for a rule's ``lookup:`` and for ``lookup()``."""
    return (f"lookup {table!r} translates single values, but the value is always "
            f"{value.without_null().describe()}")


def _never_a_number(shape: Shape) -> bool:
    """Known, and of some kind other than null, but never a number (null is absence, not reported)."""
    kinds = shape.definite_kinds()
    return bool(kinds) and not kinds & {"integer", "number"}


def _only_integers(shape: Shape) -> bool:
    return shape.definite_kinds() == {"integer"}


def _field_chain(node: Node) -> list[str] | None:
    if node["type"] == "field":
        return [node["value"]]
    if node["type"] == "subexpression":
        names: list[str] = []
        for child in node["children"]:
            chain = _field_chain(child)
            if chain is None:
                return None
            names.extend(chain)
        return names
    return None


_PARAM_WORDS = {"string": "a string", "number": "a number", "boolean": "a boolean", "array": "an array",
                "object": "an object", "array-string": "an array of strings",
                "array-number": "an array of numbers", "array-boolean": "an array of booleans",
                "array-object": "an array of objects", "array-array": "an array of arrays",
                "array-null": "an array of nulls"}


def _accepts(kind: str, argument: Shape, accepted: Sequence[str]) -> bool:
    jmespath_kind = "number" if kind == "integer" else kind
    if jmespath_kind in accepted:
        return True
    if kind != "array":
        return False
    for param in accepted:
        if param.startswith("array-"):
            items = argument.items
            if items is None or items.unknown or not items.definite_kinds():
                return True
            wanted = param[len("array-"):]
            if any(("number" if item == "integer" else item) == wanted for item in items.definite_kinds()):
                return True
    return False


def _declared(returns: Sequence[str]) -> Shape:
    if "any" in returns:
        return ANY
    kinds = {kind for kind in returns if kind != "expref"}
    if not kinds:
        return ANY
    return Shape(frozenset(kinds))


def _restrict(shape: Shape, kinds: frozenset[str]) -> Shape:
    return Shape(kinds, objects=shape.objects if "object" in kinds else (),
                 items=shape.items if "array" in kinds else None,
                 values=shape.values, formats=shape.formats,
                 null_from=shape.null_from if "null" in kinds else None, path=shape.path)

