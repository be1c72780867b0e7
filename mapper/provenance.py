"""Which rule produced which part of the output, and what it read.

Built once per mapping. Given a path in an output record (keys and array
indexes), ``Provenance`` finds the rule that wrote it and describes the source
it read, so that every problem of a record names its rule, the rule's place in
the mapping file and the source path, e.g. ``postal_addresses[1].street``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from .documents import path_to_pointer
from .errors import Problem
from .model import BuiltBinding, EachRule, ObjectRule, Rule, ValueRule

_ITEM = "[]"
_SIMPLE_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_SIMPLE_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\[[0-9]+\])?\Z")

OutputPath = tuple[str | int, ...]


class Provenance:
    """Index of rules by output path (array items under ``[]``)."""

    def __init__(self, root: ObjectRule) -> None:
        self._rules: dict[tuple[str, ...], Rule] = {}
        self._add((), root)

    def _add(self, path: tuple[str, ...], rule: Rule) -> None:
        self._rules[path] = rule
        if isinstance(rule, ObjectRule):
            for binding in rule.bindings:  # a built binding's rules fail at paths under "$name"
                if isinstance(binding, BuiltBinding):
                    self._add(path + (f"${binding.name}",), binding.rule)
            for key, child in rule.fields:
                self._add(path + (key,), child)
        elif isinstance(rule, EachRule):
            self._add(path + (_ITEM,), rule.item)

    def rule_at(self, path: Sequence[str | int]) -> tuple[Rule | None, list[tuple[EachRule, int]]]:
        """The deepest rule that wrote ``path``, and the ``each`` items on the way."""
        key: tuple[str, ...] = ()
        found: Rule | None = self._rules.get(())
        items: list[tuple[EachRule, int]] = []
        for part in path:
            current = self._rules.get(key)
            if isinstance(part, int) and isinstance(current, EachRule):
                items.append((current, part))
                key += (_ITEM,)
            else:
                key += (str(part),)
            rule = self._rules.get(key)
            if rule is None:
                break
            found = rule
        return found, items

    def problem(self, stage: str, path: Sequence[str | int], message: str,
                schema_path: str | None = None, *, cause: BaseException | None = None) -> Problem:
        """A problem at ``path`` of the output, attributed to its rule; ``cause`` is the exception behind it."""
        rule, items = self.rule_at(path)
        if rule is not None and rule.name == "<record>":
            rule = None
        return Problem(
            message=message,
            stage=stage,
            pointer=path_to_pointer(tuple(path)),
            rule=rule.name if rule else None,
            rule_location=rule.location if rule else None,
            source_path=source_path(rule, items) if rule else None,
            schema_path=schema_path,
            cause=cause,
        )


    def binding_problem(self, path: Sequence[str | int], name: str, message: str, *,
                        cause: BaseException | None = None) -> Problem:
        """A problem of the ``let:`` binding ``name`` of the object at ``path``: the binding is its rule
        (``$name``, or ``addresses[].$name`` in a nested object) and its expression what it read."""
        rule, items = self.rule_at(path)
        bindings = rule.bindings if isinstance(rule, ObjectRule) else ()
        binding = next(binding for binding in bindings if binding.name == name)
        prefix = "" if rule is None or rule.name == "<record>" else f"{rule.name}."
        if isinstance(binding, BuiltBinding):  # its own `each` or `from` failed
            return replace(self.problem("rule", (*path, f"${name}"), message, cause=cause),
                           pointer=path_to_pointer(tuple(path)))
        return Problem(message=message, stage="rule", pointer=path_to_pointer(tuple(path)), rule=f"{prefix}${name}",
                       rule_location=binding.location, source_path=_read([binding.expr.text], None, items),
                       cause=cause)


def source_path(rule: Rule, items: list[tuple[EachRule, int]]) -> str | None:
    """What the rule read, with the positions of the items it ran in."""
    if isinstance(rule, ValueRule):
        own = [rule.source.text] if rule.source else []
    elif isinstance(rule, EachRule):
        own = [level.expr.text for level in rule.levels]
    else:
        own = [rule.scope.text] if rule.scope else []
    if isinstance(rule, ValueRule) and rule.has_const:
        return None
    return _read(own, rule, items)


def _read(own: list[str], rule: Rule | None, items: list[tuple[EachRule, int]]) -> str | None:
    """``own`` (expressions, in order) read in the ``each`` items on the way to ``rule``, as messages
    show it."""
    parts: list[str] = []
    for each_rule, index in items:
        if each_rule is rule:
            break
        parts.append(_item_text(_each_text(each_rule), index))
    parts.extend(text for text in own if text != "@")
    if not parts:
        return None
    if all(_SIMPLE_PART.match(part) for part in parts):
        return ".".join(parts)
    return " then ".join(part if _SIMPLE_PART.match(part) else f"`{part}`" for part in parts)


def _each_text(rule: EachRule) -> str:
    """What an ``each`` reads: its expression, or a flattening one's levels, in order."""
    return " then ".join(f"`{level.expr.text}`" if len(rule.levels) > 1 else level.expr.text
                         for level in rule.levels)


def _item_text(expression: str, index: int) -> str:
    if _SIMPLE_PATH.match(expression):
        return f"{expression}[{index}]"
    return f"item {index} of {expression}"
