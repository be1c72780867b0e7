"""User functions: ``@jmespath_function`` and the declaration of a Python function from its annotations."""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, overload

from ..errors import MappingError
from .specs import FunctionSpec, ParamSpec

F = TypeVar("F", bound=Callable[..., Any])

_SCALAR_ANNOTATIONS: dict[Any, str] = {
    str: "string", int: "number", float: "number", bool: "boolean",
    list: "array", tuple: "array", dict: "object", type(None): "null", None: "null",
    Any: "any", object: "any", Sequence: "array", Mapping: "object",
}


def _annotation_types(annotation: Any, where: str, *, for_return: bool) -> tuple[str, ...]:
    if annotation is inspect.Parameter.empty:
        return ("any",)
    if annotation in _SCALAR_ANNOTATIONS:
        return (_SCALAR_ANNOTATIONS[annotation],)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        kinds: list[str] = []
        for member in typing.get_args(annotation):
            for kind in _annotation_types(member, where, for_return=for_return):
                if kind not in kinds:
                    kinds.append(kind)
        return ("any",) if "any" in kinds else tuple(kinds)
    if origin in (list, tuple, Sequence):
        items = {kind for arg in typing.get_args(annotation) if arg is not Ellipsis
                 for kind in _annotation_types(arg, where, for_return=True)}
        if not for_return and origin is list and len(items) == 1 and items <= {"string", "number"}:
            return (f"array-{items.pop()}",)
        return ("array",)
    if origin in (dict, Mapping):
        return ("object",)
    raise MappingError(f"{where}: cannot tell the JMESPath type of {annotation!r}; annotate with str, int, "
                       "float, bool, list, dict, None, Any or unions of them, or declare "
                       "jmespath_function(params=..., returns=...)")


def _infer_spec(
    func: Callable[..., Any],
    name: str | None,
    params: Sequence[ParamSpec] | None,
    returns: str | Sequence[str] | None,
) -> FunctionSpec:
    name = name or getattr(func, "__name__", None)
    if not name:
        raise MappingError(f"{func!r} has no __name__; give it one with jmespath_function(name=...)")
    where = f"function {name}()"
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as error:
        raise MappingError(f"{where}: cannot read its signature ({error})") from error
    try:
        hints = typing.get_type_hints(func) if hasattr(func, "__annotations__") else {}
    except Exception as error:  # an annotation that does not evaluate: NameError, TypeError...
        raise MappingError(f"{where}: cannot evaluate its type hints ({error})") from error
    if params is None:
        inferred: list[ParamSpec] = []
        for parameter in signature.parameters.values():
            hint = hints.get(parameter.name, inspect.Parameter.empty)
            kinds = _annotation_types(hint, f"{where}, parameter {parameter.name!r}", for_return=False)
            if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                inferred.append(ParamSpec(kinds, optional=True, variadic=True, name=parameter.name))
            elif parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                optional = parameter.default is not inspect.Parameter.empty
                inferred.append(ParamSpec(kinds, optional=optional, name=parameter.name))
            elif parameter.kind is inspect.Parameter.KEYWORD_ONLY and parameter.default is inspect.Parameter.empty:
                raise MappingError(f"{where}: keyword-only parameter {parameter.name!r} needs a default "
                                   "(JMESPath passes arguments by position)")
        params = inferred
    if returns is None:
        returns = _annotation_types(hints.get("return", inspect.Parameter.empty), f"{where}, return type",
                                    for_return=True)
    return FunctionSpec(name, func, tuple(params), (returns,) if isinstance(returns, str) else tuple(returns),
                        doc=inspect.getdoc(func) or "")


@overload
def jmespath_function(name: F, /) -> F: ...


@overload
def jmespath_function(
    name: str | None = None,
    *,
    returns: str | Sequence[str] | None = None,
    params: Sequence[ParamSpec] | None = None,
) -> Callable[[F], F]: ...


def jmespath_function(
    name: str | Callable[..., Any] | None = None,
    *,
    returns: str | Sequence[str] | None = None,
    params: Sequence[ParamSpec] | None = None,
) -> Any:
    """Declare a Python function as a JMESPath function, for ``mapper.load(functions=[...])``.

    The JMESPath name defaults to the Python name. Parameter and return types
    come from the annotations unless ``params`` / ``returns`` are given: str is
    string, int and float are number, bool boolean, list array (``list[str]``
    array-string, ``list[float]`` array-number), dict object, None null, unions
    several, Any or no annotation any. Parameters with defaults are optional;
    ``*args`` takes any number of arguments. The spec is attached as
    ``func.__jmespath_function__`` and the function returned unchanged, so a
    module-level function stays picklable by reference. Works with and without
    parentheses: ``@jmespath_function`` or ``@jmespath_function("other_name")``.
    """
    if callable(name):
        func = name
        func.__jmespath_function__ = _infer_spec(func, None, None, None)  # type: ignore[attr-defined]
        return func

    def decorate(func: F) -> F:
        func.__jmespath_function__ = _infer_spec(func, name, params, returns)  # type: ignore[attr-defined]
        return func

    return decorate


def user_spec(function: Callable[..., Any] | FunctionSpec) -> FunctionSpec:
    """The spec of a user function: given, attached by ``@jmespath_function``, or inferred."""
    if isinstance(function, FunctionSpec):
        spec = function
    else:
        declared = getattr(function, "__jmespath_function__", None)
        if not callable(function):
            raise MappingError(f"a function must be a callable or a FunctionSpec, not {function!r}")
        spec = declared if isinstance(declared, FunctionSpec) else _infer_spec(function, None, None, None)
    if spec.context:
        raise MappingError(f"function {spec.name}(): context functions are provided by mapper, not by users")
    return spec
