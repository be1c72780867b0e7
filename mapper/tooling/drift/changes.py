"""What changed between two versions of a schema, field by field.

``fields(schema)`` flattens a schema into the facts of each field, by the
path spelling ``mapper check`` uses for what expressions read
(``Emails[].Address``: a property of the items of ``Emails``); ``compare(old,
new)`` lists the ``Change`` of every field that was removed, added, retyped,
reformatted, whose enum grew or shrank, that became nullable or required.
A removed field gets the added field at the same place that looks most like
it as its likely new name (``did you mean``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...documents import DocPath
from ...jsontypes import type_allows
from ...schemas import Schema, SchemaNode
from ..scaffold import name_match

__all__ = ["Change", "FieldFacts", "compare", "declared_at", "fields"]

#: How deep a schema is walked: deep enough for every shipped scenario, finite for recursive schemas.
_DEPTH = 10


@dataclass(frozen=True)
class FieldFacts:
    """What a schema says of one field. ``types`` is None when any type will do; null is in ``nullable``."""

    types: frozenset[str] | None
    nullable: bool
    format: str | None
    enum: tuple[Any, ...] | None
    required: bool


@dataclass(frozen=True)
class Change:
    """One change of one field. ``kind`` is one of ``KINDS``; ``old`` and ``new`` its two facts (None for a
    field that is not there), ``renamed_to`` the likely new name of a removed field."""

    kind: str
    path: str
    old: FieldFacts | None
    new: FieldFacts | None
    renamed_to: str | None = None

    @property
    def added_values(self) -> tuple[Any, ...]:
        """The enum values the new version allows and the old did not."""
        assert self.old is not None and self.new is not None and self.new.enum is not None
        return tuple(value for value in self.new.enum if value not in (self.old.enum or ()))

    @property
    def breaks_readers(self) -> bool:
        """Whether what read the old version may fail on the new: the field is gone, may now be of a type
        it could not be, or is written in another format (a narrowed type or a new enum value alone do not)."""
        if self.kind == "type":
            assert self.old is not None and self.new is not None
            old, new = self.old.types, self.new.types
            return old is not None and (new is None or not all(type_allows(old, kind) for kind in new))
        return self.kind in ("removed", "format")

    def describe(self) -> str:
        """The change in a sentence, as every report format words it."""
        old, new = self.old, self.new
        if self.kind == "removed":
            hint = f" (did you mean {self.renamed_to!r}?)" if self.renamed_to else ""
            return f"field {self.path!r} was removed{hint}"
        assert new is not None
        if self.kind == "added":
            return f"field {self.path!r} was added{' (required)' if new.required else ''}"
        assert old is not None
        if self.kind == "type":
            return f"field {self.path!r} changed type: {_types(old)} -> {_types(new)}"
        if self.kind == "format":
            return f"field {self.path!r} changed format: {old.format or 'none'} -> {new.format or 'none'}"
        if self.kind == "enum-added":
            return f"field {self.path!r} allows new values: {', '.join(map(_value, self.added_values))}"
        if self.kind == "enum-removed":
            gone = [value for value in old.enum or () if value not in (new.enum or ())]
            return f"field {self.path!r} no longer allows: {', '.join(map(_value, gone))}"
        if self.kind == "nullable":
            return f"field {self.path!r} became nullable"
        return f"field {self.path!r} became required"


#: Every kind of change, in the order a report lists them.
KINDS = ("removed", "type", "format", "enum-added", "enum-removed", "nullable", "required", "added")


def _types(facts: FieldFacts) -> str:
    return " or ".join(sorted(facts.types)) if facts.types is not None else "any type"


def _value(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def fields(schema: Schema) -> dict[str, FieldFacts]:
    """The facts of every field ``schema`` declares, by path, in schema order (the record itself is not one)."""
    return dict(_walk(schema.root, "", required=True, depth=_DEPTH, seen=()))


def _walk(node: SchemaNode, path: str, *, required: bool, depth: int,
          seen: tuple[int, ...]) -> Iterator[tuple[str, FieldFacts]]:
    resolved = node.resolved()
    if path:
        yield path, _facts(resolved, required)
    # A recursive schema (a FHIR extension holds extensions) is walked once along each path.
    if depth == 0 or id(resolved.schema) in seen:
        return
    seen = (*seen, id(resolved.schema))
    items = resolved.items()
    if items is not None:
        yield from _walk(items, f"{path}[]", required=True, depth=depth - 1, seen=seen)
    needed = resolved.required()
    for name in resolved.property_names():
        child = resolved.property(name)
        if child is not None:
            yield from _walk(child, f"{path}.{name}" if path else name, required=name in needed,
                             depth=depth - 1, seen=seen)


def _facts(node: SchemaNode, required: bool) -> FieldFacts:
    types = node.types()
    enum = node.keyword("enum")
    const = node.keyword("const")
    values = tuple(enum) if isinstance(enum, list) else (const,) if "const" in node.keywords() else None
    format_ = node.keyword("format")
    return FieldFacts(
        types=None if types is None else types - {"null"},
        nullable=types is None or "null" in types or (values is not None and None in values),
        format=format_ if isinstance(format_, str) else None,
        enum=None if values is None else tuple(value for value in values if value is not None),
        required=required,
    )


def compare(old: dict[str, FieldFacts], new: dict[str, FieldFacts]) -> list[Change]:
    """Every change from ``old`` to ``new`` (see ``fields``), field by field in ``KINDS`` order."""
    added = [path for path in new if path not in old]
    changes: list[Change] = []
    for path, before in old.items():
        after = new.get(path)
        if after is None:
            if not _parent_removed(path, new, old):
                changes.append(Change("removed", path, before, None, _renamed_to(path, before, added, new)))
            continue
        changes.extend(Change(kind, path, before, after) for kind in _kinds_of_change(before, after))
    changes.extend(Change("added", path, None, new[path]) for path in added if not _parent_added(path, old))
    return sorted(changes, key=lambda change: KINDS.index(change.kind))


def _kinds_of_change(before: FieldFacts, after: FieldFacts) -> Iterator[str]:
    if before.types != after.types:
        yield "type"
    if before.format != after.format:
        yield "format"
    if after.enum is not None and any(value not in (before.enum or ()) for value in after.enum) \
            and before.enum is not None:
        yield "enum-added"
    if before.enum is not None and any(value not in (after.enum or ()) for value in before.enum) \
            and after.enum is not None:
        yield "enum-removed"
    if after.nullable and not before.nullable:
        yield "nullable"
    if after.required and not before.required:
        yield "required"


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("[]") if path.endswith("[]") else -1)
    return path[:cut] if cut > 0 else ""


def _parent_removed(path: str, new: dict[str, FieldFacts], old: dict[str, FieldFacts]) -> bool:
    """Whether a field around ``path`` is removed too: the outermost removal is the one to report."""
    parent = _parent(path)
    return bool(parent) and parent in old and parent not in new


def _parent_added(path: str, old: dict[str, FieldFacts]) -> bool:
    parent = _parent(path)
    return bool(parent) and parent not in old


def _renamed_to(path: str, before: FieldFacts, added: list[str], new: dict[str, FieldFacts]) -> str | None:
    """The added field beside ``path`` most likely to be its new name: same place, a name that matches
    (as ``mapper scaffold`` matches names) or looks alike; one of the same type first."""
    parent, name = _parent(path), _name(path)
    siblings = {_name(other): other for other in added if _parent(other) == parent and not other.endswith("[]")}
    matched = [(match[0], sibling) for sibling in siblings if (match := name_match(name, sibling)) is not None]
    if not matched:
        close = difflib.get_close_matches(name, list(siblings), n=3, cutoff=0.6)
        matched = [(0.5 - rank / 10, sibling) for rank, sibling in enumerate(close)]
    if not matched:
        return None
    best = max(matched, key=lambda scored: (scored[0], new[siblings[scored[1]]].types == before.types))
    return siblings[best[1]]


def _name(path: str) -> str:
    return path[len(_parent(path)):].lstrip(".")




def declared_at(contents: Any, path: str) -> DocPath | None:
    """Where the schema document ``contents`` declares the field ``path`` (``properties``, ``items``,
    following ``$ref`` within the document); None when it is declared otherwise (``allOf``, another file)."""
    node: Any = contents
    at: DocPath = ()
    for step in _steps(path):
        node, at = _follow_local_refs(contents, node, at)
        if not isinstance(node, dict):
            return None
        if step == "[]":
            node, at = node.get("items"), (*at, "items")
        else:
            properties = node.get("properties")
            node, at = properties.get(step) if isinstance(properties, dict) else None, (*at, "properties", step)
        if not isinstance(node, (dict, bool)):
            return None
    return at


def _steps(path: str) -> Iterator[str]:
    """``sky_condition[].sky_cover`` -> ``sky_condition``, ``[]``, ``sky_cover``."""
    for part in path.split("."):
        name, items = part, 0
        while name.endswith("[]"):
            name, items = name[:-2], items + 1
        if name:
            yield name
        yield from ["[]"] * items


def _follow_local_refs(contents: Any, node: Any, at: DocPath) -> tuple[Any, DocPath]:
    for _ in range(32):  # a cycle of references ends here
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not (isinstance(ref, str) and ref.startswith("#/")):
            return node, at
        at = tuple(part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/"))
        node = contents
        for part in at:
            node = node.get(part) if isinstance(node, dict) else None
    return node, at
