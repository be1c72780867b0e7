"""Mappings run one after another, as one mapping: ``mapper.chain(a, b)``.

A record goes through ``a``, is validated against ``a``'s target schema,
then goes through ``b`` and is validated against ``b``'s target schema: a
``Chain`` is a ``Mapping`` from ``a``'s source to ``b``'s target, and every
tool that takes a ``Mapping`` (``convert_files``, ``--jobs``, Dask) takes it.
A record that fails at a step is rejected with that step's problems, each
saying which step (``step 2 (member-to-subscriber): ...``) and naming its
rule in that step's mapping file.

Chaining checks that each step's source schema accepts what the step before
writes (``schema_fit``): every field it requires is one the step before may
write, and a field both schemas declare is of a type the reader takes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import MappingError, Problem
from .mapping import Mapping, Result, UserFunction, load
from .schema_fit import misfits

__all__ = ["Chain", "chain"]


class Chain(Mapping):
    """Mappings applied in turn, each to the output of the one before (build with ``chain``).

    It offers what a ``Mapping`` offers (``apply``, ``apply_many``, ``result``,
    ``name``, ``spec``, both schemas) and pickles as its steps do. Its ``spec``
    is the last step's, with the first step's source side and the steps'
    names joined by ``+``; ``steps`` are the mappings in order.
    """

    # Nothing of its own to compile: each step is a compiled Mapping, so Mapping.__init__ is not called.
    def __init__(self, steps: Sequence[Mapping]) -> None:
        if len(steps) < 2:
            raise ValueError("a chain needs two mappings or more")
        for before, after in zip(steps, steps[1:]):
            _check_fit(before, after)
        first, last = steps[0], steps[-1]
        self.steps = tuple(steps)
        self.spec = dataclasses.replace(last.spec, name=" + ".join(step.name for step in steps),
                                        source=first.spec.source)
        self.source_schema = first.source_schema
        self.target_schema = last.target_schema
        self.functions = tuple(function for step in steps for function in step.functions)
        self.validate_source = first.validate_source

    def __repr__(self) -> str:
        return f"<Chain {self.name!r}: {', '.join(step.spec.file for step in self.steps)}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Chain, (self.steps,))

    @property
    def compiled(self) -> Any:
        """A chain compiles nothing of its own: see each of ``steps``."""
        raise AttributeError("a Chain has no compiled module of its own: see .steps[i].compiled")

    def result(self, record: Any, record_number: int = 1) -> Result:
        """Map ``record`` through every step; stop at the first step it fails, with that step's problems."""
        value = record
        for number, step in enumerate(self.steps, 1):
            result = step.result(value, record_number)
            if not result.ok:
                problems = tuple(_at_step(problem, number, step.name) for problem in result.problems)
                return Result(record_number, result.output, problems, record)
            value = result.output
        return Result(record_number, value, (), record)


def chain(*mappings: Mapping | str | Path, functions: Sequence[UserFunction] = ()) -> Chain:
    """The mappings (``Mapping`` objects or mapping files, loaded with ``functions``) run one after another.

    Raises ``MappingError`` when a file does not load or a step's source schema does not accept what the
    step before writes (located at that step's ``source: schema``)."""
    loaded = [mapping if isinstance(mapping, Mapping) else load(mapping, functions=functions)
              for mapping in mappings]
    if len(loaded) < 2:
        raise MappingError("a chain needs two mappings or more")
    return Chain(loaded)


def _at_step(problem: Problem, number: int, name: str) -> Problem:
    return dataclasses.replace(problem, message=f"step {number} ({name}): {problem.message}")


def _check_fit(before: Mapping, after: Mapping) -> None:
    """Raise ``MappingError`` at ``after``'s source schema when it refuses what ``before`` writes."""
    problem = next(misfits(before.target_schema.root, after.source_schema.root, writer="the target before it",
                           reader="the source"), None)
    if problem is not None:
        raise MappingError(f"{Path(after.spec.file).name} cannot follow {Path(before.spec.file).name}: {problem}",
                           after.spec.source.schema_location)

