"""A small writer of Python source for generated functions, that people can debug.

A ``Module`` is the shared globals of a family of generated functions: values
bound under names that say their role (``table_status``, ``call_lower``), and
the functions themselves, each under its own name so one can call another.
A ``FunctionWriter`` writes one function's statements: lines, indented blocks,
fresh local names with a readable prefix. ``FunctionWriter.define`` turns the
finished function into a callable, as attrs' ``_make.py`` does: compiled under
a unique file name whose source is registered in ``linecache``, so tracebacks
and pdb show the generated lines.

``Module.globals_source()`` writes statements that rebuild every bound value
(literals, imports, or the ``Recipe`` given when binding), so the module's
source can run on its own, as fastjsonschema's ``global_state_code`` does.

Typical use, a checked call of ``func``::

    module = Module()
    writer = module.writer()
    func = writer.bind(spec.func, "func")
    with writer.block("if type(a0) is not str:"):
        writer.line(f"{writer.bind(reject, 'reject')}(a0, 1)")
    call = writer.define("call_upper", ["a0"], returns=f"{func}(a0)")
"""

from __future__ import annotations

import builtins
import itertools
import keyword
import linecache
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .errors import MappingError

__all__ = ["FunctionWriter", "Module", "NotExportable", "Recipe", "identifier", "literal"]

_INDENT = "    "
_FILE_NUMBERS = itertools.count(1)
#: Names generated code must not shadow: a local called ``len`` would break ``len()``.
_RESERVED = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)


class NotExportable(ValueError):
    """A bound value cannot be rebuilt by source (e.g. a function that is not importable)."""


@dataclass(frozen=True)
class Recipe:
    """How exported source rebuilds a bound value: ``expression``, which names ``imports``
    (importable objects, by their ``__name__``) and earlier bound names."""

    expression: str
    imports: tuple[Any, ...] = ()

    @classmethod
    def call(cls, function: Callable[..., Any], *arguments: Any) -> Recipe:
        """The recipe ``function(*arguments)``: an importable function of JSON-ready arguments."""
        texts = [literal(argument) or repr(argument) for argument in arguments]
        return cls(f"{function.__name__}({', '.join(texts)})", (function,))


def identifier(text: str, fallback: str = "value") -> str:
    """``text`` as a Python identifier: other characters become ``_``; ``fallback`` when nothing is left."""
    name = re.sub(r"\W", "_", text.strip(), flags=re.ASCII).strip("_") or fallback
    return f"_{name}" if name[0].isdigit() else name


class Module:
    """The globals of generated functions: bound values and defined functions, by unique names.

    ``namespace`` starts from ``initial`` (e.g. the runtime the functions call),
    which exported source imports from module ``initial_from`` under the same
    names; those names, Python's builtins and keywords, and ``reserved`` are
    never handed out again.
    """

    def __init__(self, initial: Mapping[str, Any] | None = None, *, initial_from: str | None = None,
                 reserved: Iterable[str] = ()) -> None:
        self.namespace: dict[str, Any] = dict(initial or {})
        self._initial_from = {name: initial_from for name in self.namespace} if initial_from else {}
        self._taken = set(_RESERVED) | set(self.namespace) | set(reserved)
        self.functions: dict[str, str] = {}  # name -> source, in the order defined
        self._recipes: dict[str, Recipe] = {}
        self._shared: dict[Any, str] = {}

    def fresh(self, prefix: str) -> str:
        """A name never handed out before: ``prefix`` itself, else ``prefix_2``, ``prefix_3``..."""
        base = name = identifier(prefix)
        for number in itertools.count(2):
            if name not in self._taken:
                break
            name = f"{base}_{number}"
        self._taken.add(name)
        return name

    def bind(self, value: Any, prefix: str, recipe: Recipe | None = None) -> str:
        """A global name for ``value``; ``recipe`` says how exported source rebuilds it (else a literal
        or an import, see ``globals_source``)."""
        name = self.fresh(prefix)
        self.namespace[name] = value
        if recipe is not None:
            self._recipes[name] = recipe
        return name

    def bind_shared(self, key: Any, value: Any, prefix: str, recipe: Recipe | None = None) -> str:
        """Like ``bind``, but once per ``key``: later calls with the same key get the first name."""
        name = self._shared.get(key)
        if name is None:
            name = self._shared[key] = self.bind(value, prefix, recipe)
        return name

    def writer(self, level: int = 1) -> FunctionWriter:
        """A writer of one function of this module."""
        return FunctionWriter(self, level)

    @property
    def source(self) -> str:
        """The source of every function defined so far, the last defined first (a function is
        defined after those it calls, so this reads top-down)."""
        return "\n\n".join(reversed(self.functions.values()))

    def globals_source(self) -> str:
        """Statements that rebuild every global of the functions: imports, then one assignment per bound
        value in binding order. Raises ``NotExportable`` naming a value it cannot rebuild."""
        imports: dict[str, set[str]] = {}
        assignments: list[str] = []
        for name, value in self.namespace.items():
            if name in self.functions or name == "__builtins__":
                continue
            recipe = self._recipes.get(name)
            if name in self._initial_from:
                imports.setdefault(self._initial_from[name], set()).add(name)
            elif recipe is not None:
                for needed in recipe.imports:
                    module, attribute = _import_path(needed, getattr(needed, "__name__", name))
                    imports.setdefault(module, set()).add(attribute)
                assignments.append(f"{name} = {recipe.expression}")
            elif (text := literal(value)) is not None:
                assignments.append(f"{name} = {text}")
            else:
                module, attribute = _import_path(value, name)
                imports.setdefault(module, set()).add(attribute if attribute == name else f"{attribute} as {name}")
        lines = [f"from {module} import {', '.join(sorted(names))}" for module, names in sorted(imports.items())]
        return "\n".join(lines + [""] + assignments if assignments else lines)


#: Python's own limits (its tokenizer's MAXINDENT and the compiler's CO_MAXBLOCKS), and the blocks they count.
_MAX_INDENTATION, _MAX_BLOCKS = 99, 20
_COUNTED_BLOCKS = frozenset({"for", "while", "try", "with", "async"})


class FunctionWriter:
    """The statements of one generated function, then ``define`` to make it callable."""

    def __init__(self, module: Module, level: int = 1) -> None:
        self.module = module
        self.lines: list[str] = []
        self.level = level
        #: The deepest indentation and the most nested loop/try/with blocks written so far: Python
        #: refuses more than 100 of the one and 20 of the other (callers check ``too_deep``).
        self.deepest = level
        self.blocks = 0
        self.most_blocks = 0
        #: Values a local already holds (by a key its writer chooses), with the level it was assigned at:
        #: the local may be read again until the block holding that level closes (``remember``).
        self._held: dict[Any, tuple[str, int]] = {}

    def line(self, statement: str) -> None:
        self.lines.append(_INDENT * self.level + statement)

    def comment(self, text: str) -> None:
        self.line("# " + " ".join(text.split()))

    @contextmanager
    def block(self, header: str) -> Iterator[None]:
        """Statements written inside the ``with`` go in the block opened by ``header`` (``pass`` if none)."""
        self.line(header)
        self.level += 1
        self.deepest = max(self.deepest, self.level)
        counted = header.split(" ", 1)[0].rstrip(":") in _COUNTED_BLOCKS
        self.blocks += counted
        self.most_blocks = max(self.most_blocks, self.blocks)
        start = len(self.lines)
        yield
        if len(self.lines) == start:
            self.line("pass")
        self.level -= 1
        self.blocks -= counted
        self._held = {key: held for key, held in self._held.items() if held[1] <= self.level}

    def remember(self, key: Any, local: str) -> None:
        """Note that ``local``, assigned at the current level, holds the value ``key`` stands for."""
        self._held[key] = (local, self.level)

    def held(self, key: Any) -> str | None:
        """The local holding the value ``key`` stands for, when one assigned in an open block does."""
        found = self._held.get(key)
        return None if found is None else found[0]

    def too_deep(self, *, spare_levels: int, spare_blocks: int) -> bool:
        """Whether what is written nests too deeply for Python once a caller adds ``spare_levels`` of
        indentation and ``spare_blocks`` nested blocks around it."""
        return self.deepest + spare_levels > _MAX_INDENTATION or self.most_blocks + spare_blocks > _MAX_BLOCKS

    def fresh(self, prefix: str) -> str:
        """A new local name (unique in the module, so it never shadows one of its globals)."""
        return self.module.fresh(prefix)

    def bind(self, value: Any, prefix: str, recipe: Recipe | None = None) -> str:
        """A global name for ``value`` (see ``Module.bind``)."""
        return self.module.bind(value, prefix, recipe)

    def bind_shared(self, key: Any, value: Any, prefix: str, recipe: Recipe | None = None) -> str:
        """A global name for ``value``, one per ``key`` (see ``Module.bind_shared``)."""
        return self.module.bind_shared(key, value, prefix, recipe)

    def assign(self, expression: str, prefix: str = "value") -> str:
        """A new local holding ``expression``."""
        target = self.fresh(prefix)
        self.line(f"{target} = {expression}")
        return target

    def define(self, name: str, parameters: Sequence[str], *, returns: str | None = None,
               prologue: Sequence[str] = (), what: str | None = None) -> Callable[..., Any]:
        """Make the written statements a function ``name(parameters)`` of the module and return it.

        ``prologue`` lines go first, ``return returns`` last. The source is
        compiled under a file name of its own, registered in ``linecache``
        (``what`` describes it there), kept in ``module.functions`` and on the
        function as ``__source__``; the function is a global of the module
        (take ``name`` from ``fresh`` where the module holds other names).
        """
        body = [_INDENT + line for line in prologue] + self.lines
        if returns is not None:
            body.append(f"{_INDENT}return {returns}")
        source = f"def {name}({', '.join(parameters)}):\n" + "\n".join(body or [_INDENT + "pass"]) + "\n"
        filename = f"<mapper generated {what or name} #{next(_FILE_NUMBERS)}>"
        # As attrs: a None mtime keeps linecache.checkcache() from dropping an entry with no file behind it.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            code = compile(source, filename, "exec")
        except (SyntaxError, RecursionError, MemoryError) as error:  # nesting beyond what Python compiles
            reason = error.msg if isinstance(error, SyntaxError) else type(error).__name__
            raise MappingError(f"the {what or name} nests too deeply to compile ({reason}): split its "
                               "expressions with `let` or a `let:` block") from None
        exec(code, self.module.namespace)  # noqa: S102 (names bound, never spliced)
        function: Callable[..., Any] = self.module.namespace[name]
        function.__source__ = source  # type: ignore[attr-defined]
        self.module.functions[name] = source
        return function


def literal(value: Any) -> str | None:
    """Source text that evaluates to ``value``, for JSON-ready values, slices, and frozensets of strings
    or of builtin types; None for anything else."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    if isinstance(value, list):
        items = [literal(item) for item in value]
        return None if None in items else f"[{', '.join(items)}]"  # type: ignore[arg-type]
    if isinstance(value, dict):
        pairs = [(literal(key), literal(item)) for key, item in value.items()]
        if any(key is None or item is None for key, item in pairs):
            return None
        return "{" + ", ".join(f"{key}: {item}" for key, item in pairs) + "}"
    if isinstance(value, slice):
        return repr(value)
    if isinstance(value, frozenset) and all(isinstance(item, type) for item in value):
        names = sorted(_builtin_type(item) for item in value)
        return f"frozenset({{{', '.join(names)}}})" if names else "frozenset()"
    if isinstance(value, frozenset) and all(isinstance(item, str) for item in value):
        return f"frozenset({sorted(value)!r})"
    return None


def _builtin_type(kind: type) -> str:
    if kind is type(None):
        return "type(None)"
    name: str = kind.__name__
    if getattr(builtins, name, None) is not kind:
        raise NotExportable(f"the type {kind.__qualname__} is not a builtin")
    return name


def _import_path(value: Any, name: str) -> tuple[str, str]:
    """Where ``value`` is importable from: (module, attribute). Raises ``NotExportable`` when it is not
    a module-level object reachable by its ``__module__`` and ``__qualname__``."""
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    simple = module is not None and qualname is not None and "." not in qualname and "<" not in qualname
    if simple and getattr(sys.modules.get(module), qualname, None) is value:  # type: ignore[arg-type]
        return module, qualname  # type: ignore[return-value]
    shown = f"{module}.{qualname}" if module and qualname else repr(value)
    raise NotExportable(f"{name} ({shown}) cannot be imported by module and name: define it at module level")
