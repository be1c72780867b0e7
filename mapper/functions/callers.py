"""The checked call of one function, compiled once per spec: arity, argument types, then the call.

Calls are on the per-record hot path, so each caller is written out as Python
source for its signature (as dataclasses and attrs write their methods): a
call costs a length test, one ``type(arg) in frozenset`` per checked argument
and the call itself, with no loop over a signature and nothing rebuilt per
call. For a spec with ``wrap_errors`` the call sits in a ``try`` (free until
it catches) that re-raises any exception but jmespath's as ``FunctionError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jmespath.functions
from jmespath.exceptions import JMESPathError
from jmespath.visitor import _Expression

from ..jsontypes import jmespath_type
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


def _call_lines(spec: FunctionSpec, namespace: dict[str, Any], call: str) -> list[str]:
    """``return call``, in the ``try`` that wraps other exceptions when the spec asks for it."""
    if not spec.wrap_errors:
        return [f"return {call}"]
    namespace.update(JMESPathError=JMESPathError, wrapped=FunctionError.wrapping)
    return ["try:", f"  return {call}", "except JMESPathError:", "  raise",
            "except Exception as error:", f"  raise wrapped({spec.name!r}, error) from error"]


def _build(spec: FunctionSpec, namespace: dict[str, Any], parameters: str, body: list[str],
           name: str) -> Callable[..., Any]:
    source = (f"def make({', '.join(namespace)}):\n  def call({parameters}):\n"
              + "".join(f"    {line}\n" for line in body) + "  return call\n")
    scope: dict[str, Any] = {}
    exec(compile(source, f"<mapper function {spec.name}()>", "exec"), scope)  # noqa: S102 (our template)
    caller: Callable[..., Any] = scope["make"](**namespace)
    caller.__source__ = source  # type: ignore[attr-defined]  # for debugging and tests
    caller.__qualname__ = caller.__name__ = name
    return caller


def compile_caller(spec: FunctionSpec) -> Caller:
    """Build ``call(args)`` for one function: check arity and types, then call."""
    params = spec.params
    fixed = [param for param in params if not param.variadic]
    variadic = params[-1] if params and params[-1].variadic else None
    low, high = spec.min_args, spec.max_args
    namespace: dict[str, Any] = {"func": spec.func, "arity": spec.check_arity}
    body: list[str] = []
    # Fixed arity: unpack into locals. Otherwise index `args`, guarding optional ones.
    exact = variadic is None and low == high
    names = [f"a{index}" for index in range(len(fixed))]
    if exact:
        body.append(f"if len(args) != {low}: arity(len(args))")
        if names:
            body.append(f"{', '.join(names)}{',' if len(names) == 1 else ''} = args")
    else:
        body.append("n = len(args)")
        body.append(f"if n < {low}: arity(n)" if high is None else f"if n < {low} or n > {high}: arity(n)")
    for index, param in enumerate(fixed):
        if not param.checks:
            continue
        check = ArgCheck.of(spec.name, param)
        namespace.update({f"T{index}": check.fast, f"reject{index}": check.reject})
        arg = names[index] if exact else f"args[{index}]"
        line = f"if type({arg}) not in T{index}: reject{index}({arg}, {index + 1})"
        if check.item_groups:
            namespace[f"items{index}"] = check.check_items
            line += f"\n    items{index}({arg}, {index + 1})"
        if param.optional:
            line = f"if n > {index}:\n      " + line.replace("\n    ", "\n      ")
        body.append(line)
    if variadic is not None and variadic.checks:
        check = ArgCheck.of(spec.name, variadic)
        namespace.update(TV=check.fast, rejectV=check.reject, itemsV=check.check_items)
        body.append(f"for i in range({len(fixed)}, n):\n      a = args[i]\n"
                    "      if type(a) not in TV: rejectV(a, i + 1)"
                    + ("\n      itemsV(a, i + 1)" if check.item_groups else ""))
    body.extend(_call_lines(spec, namespace, f"func({', '.join(names)})" if exact else "func(*args)"))
    return _build(spec, namespace, "args", body, f"call_{spec.name}")


def compile_positional_caller(spec: FunctionSpec, count: int, *, checked: bool = True) -> Callable[..., Any]:
    """``call(a0, ..., a{count-1})``: ``compile_caller``'s type checks (unless not ``checked``) for a call
    site whose number of arguments is known (and already checked) when an expression is compiled,
    without building a list."""
    names = [f"a{index}" for index in range(count)]
    namespace: dict[str, Any] = {"func": spec.func}
    body: list[str] = []
    for index, (name, check) in enumerate(zip(names, positional_checks(spec, count))):
        if check is None or not checked:
            continue
        namespace.update({f"T{index}": check.fast, f"reject{index}": check.reject})
        body.append(f"if type({name}) not in T{index}: reject{index}({name}, {index + 1})")
        if check.item_groups:
            namespace[f"items{index}"] = check.check_items
            body.append(f"items{index}({name}, {index + 1})")
    body.extend(_call_lines(spec, namespace, f"func({', '.join(names)})"))
    return _build(spec, namespace, ", ".join(names), body, f"call_{spec.name}_{count}")
