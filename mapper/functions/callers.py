"""The checked call of one function, compiled once per spec: arity, argument types, then the call.

Calls are on the per-record hot path, so each caller is written out as Python
source for its signature (as dataclasses and attrs write their methods), with
``pysource``'s writer: a call costs a length test, one ``type(arg) in
frozenset`` per checked argument and the call itself, with no loop over a
signature and nothing rebuilt per call. Each caller is the one function of its
own ``pysource.Module``, whose globals hold what it calls (as fast as closure
cells, measured), and its source is in ``linecache``, so a traceback through
a caller shows its lines. For a spec with ``wrap_errors`` the call sits in a
``try`` (free until it catches) that re-raises any exception but jmespath's as
``FunctionError``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jmespath.functions
from jmespath.exceptions import JMESPathError
from jmespath.visitor import _Expression

from ..jsontypes import jmespath_type
from ..pysource import FunctionWriter, Module
from .errors import ArgumentTypeError, FunctionError
from .specs import PYTHON_TYPES, FunctionSpec, ParamSpec

Caller = Callable[[Sequence[Any]], Any]


@dataclass(frozen=True)
class ArgCheck:
    """How one parameter's arguments are checked, computed once per spec."""

    function_name: str
    declared: tuple[str, ...]
    fast: frozenset[type]
    names: frozenset[str]
    item_groups: tuple[tuple[frozenset[type], frozenset[str]], ...] = field(default=())

    @classmethod
    def of(cls, function_name: str, param: ParamSpec) -> ArgCheck:
        fast: set[type] = set()
        names: set[str] = set()
        groups: list[tuple[frozenset[type], frozenset[str]]] = []
        for kind in param.types:
            base, _, item = kind.partition("-")
            fast.update(PYTHON_TYPES[base])
            names.update(jmespath.functions.REVERSE_TYPES_MAP[base])
            if item:
                groups.append((frozenset(PYTHON_TYPES[item]),
                               frozenset(jmespath.functions.REVERSE_TYPES_MAP[item])))
        return cls(function_name, param.types, frozenset(fast), frozenset(names), tuple(groups))

    def reject(self, value: Any, position: int) -> None:
        """The slow path of the check, for a value whose type is not in ``fast``."""
        if type(value).__name__ in self.names:  # jmespath compares type names
            return
        if "expref" in self.declared and isinstance(value, _Expression):
            return
        raise ArgumentTypeError(self.function_name, value, jmespath_type(value), self.declared, position)

    def check_items(self, value: Any, position: int) -> None:
        """jmespath's check of array items ("array-number"...), on arrays only."""
        if not isinstance(value, list) or not value:
            return
        if len(self.item_groups) == 1:
            fast, names = self.item_groups[0]
        else:
            # Several item types (max takes numbers or strings): the first item
            # decides which, and every item must have it (as in jmespath).
            first = type(value[0])
            for fast, names in self.item_groups:
                if first in fast or first.__name__ in names:
                    break
            else:
                self._reject_item(value[0], position)
        for item in value:
            kind = type(item)
            if kind not in fast and kind.__name__ not in names:
                self._reject_item(item, position)

    def _reject_item(self, item: Any, position: int) -> None:
        raise ArgumentTypeError(self.function_name, item, jmespath_type(item), self.declared, position, True)


def positional_checks(spec: FunctionSpec, count: int) -> list[ArgCheck | None]:
    """The check of each of ``count`` positional arguments (None: any value)."""
    return [ArgCheck.of(spec.name, param) if param.checks else None for param in spec.params_for(count)]


def compile_caller(spec: FunctionSpec) -> Caller:
    """Build ``call_<name>(args)`` for one function: check arity and types, then call."""
    params = spec.params
    fixed = [param for param in params if not param.variadic]
    variadic = params[-1] if params and params[-1].variadic else None
    low, high = spec.min_args, spec.max_args
    writer = Module().writer()
    func, arity = writer.bind(spec.func, "func"), writer.bind(spec.check_arity, "arity")
    # Fixed arity: unpack into locals. Otherwise index `args`, guarding optional ones.
    exact = variadic is None and low == high
    names = [writer.fresh(f"a{index}") for index in range(len(fixed))]
    if exact:
        writer.line(f"if len(args) != {low}: {arity}(len(args))")
        if names:
            writer.line(f"{', '.join(names)}{',' if len(names) == 1 else ''} = args")
    else:
        count = writer.assign("len(args)", "n")
        too_many = "" if high is None else f" or {count} > {high}"
        writer.line(f"if {count} < {low}{too_many}: {arity}({count})")
    for index, param in enumerate(fixed):
        if not param.checks:
            continue
        argument = names[index] if exact else f"args[{index}]"
        if param.optional:
            with writer.block(f"if {count} > {index}:"):
                _check(writer, spec, param, argument, index + 1)
        else:
            _check(writer, spec, param, argument, index + 1)
    if variadic is not None and variadic.checks:
        at, argument = writer.fresh("i"), writer.fresh("a")
        with writer.block(f"for {at} in range({len(fixed)}, {count}):"):
            writer.line(f"{argument} = args[{at}]")
            _check(writer, spec, variadic, argument, f"{at} + 1")
    _call(writer, spec, f"{func}({', '.join(names)})" if exact else f"{func}(*args)")
    return writer.define(f"call_{spec.name}", ["args"], what=f"checked call of {spec.name}()")


def compile_positional_caller(spec: FunctionSpec, count: int, *, checked: bool = True) -> Callable[..., Any]:
    """``call_<name>_<count>(a0, ..., a{count-1})``: ``compile_caller``'s type checks (unless not
    ``checked``) for a call site whose number of arguments is known (and already checked) when an
    expression is compiled, without building a list."""
    writer = Module().writer()
    func = writer.bind(spec.func, "func")
    names = [writer.fresh(f"a{index}") for index in range(count)]
    for index, (name, param) in enumerate(zip(names, spec.params_for(count))):
        if checked and param.checks:
            _check(writer, spec, param, name, index + 1)
    _call(writer, spec, f"{func}({', '.join(names)})")
    kind = "checked call" if checked else "call"
    return writer.define(f"call_{spec.name}_{count}", names, what=f"{kind} of {spec.name}() with {count} arguments")


def _check(writer: FunctionWriter, spec: FunctionSpec, param: ParamSpec, argument: str, position: int | str) -> None:
    """The check of ``argument`` at 1-based ``position`` (a number, or an expression for the variadic
    ones): its type (``reject`` unless one it takes at once), then its items if declared."""
    check = ArgCheck.of(spec.name, param)
    which = f"arg{position}" if isinstance(position, int) else "rest"
    fast, reject = writer.bind(check.fast, f"accepts_{which}"), writer.bind(check.reject, f"reject_{which}")
    writer.line(f"if type({argument}) not in {fast}: {reject}({argument}, {position})")
    if check.item_groups:
        writer.line(f"{writer.bind(check.check_items, f'check_items_{which}')}({argument}, {position})")


def _call(writer: FunctionWriter, spec: FunctionSpec, call: str) -> None:
    """``return call``, in the ``try`` that wraps other exceptions when the spec asks for it."""
    if not spec.wrap_errors:
        writer.line(f"return {call}")
        return
    with writer.block("try:"):
        writer.line(f"return {call}")
    with writer.block(f"except {writer.bind(JMESPathError, 'JMESPathError')}:"):
        writer.line("raise")
    error = writer.fresh("error")
    with writer.block(f"except Exception as {error}:"):
        writer.line(f"raise {writer.bind(FunctionError.wrapping, 'wrapped')}({spec.name!r}, {error}) from {error}")
