"""What an expression can yield, as far as the schemas tell: ``Shape``.

A shape is a union of JSON kinds (``null``, ``boolean``, ``integer``,
``number``, ``string``, ``array``, ``object``) with what is known of each:
the schemas that describe its objects, the shape of its array items, its
possible values (from ``enum``, ``const`` or literals) and string formats.
``unknown`` marks a value nothing describes (a function declared to return
``any``, a schema without ``type``): no check is ever made against it, so an
imprecise corner never turns into a false alarm.

Nulls come in two strengths. A *declared* null (``null_from`` is set) is one
the source schema allows outright at a path (``type: [string, "null"]``): a
mapping that writes it into a required target field without a default rejects
records the source calls valid. Any other null (a missing optional field, an
index past the end, a filter that keeps nothing) is *absence*: the source
record simply has no such data, and rejecting it is often what the mapping
means (no e-mail address, no member), so it is not reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from ...jsontypes import JSON_TYPES, schema_type, type_allows, with_article
from ...model import Lookup
from ...schemas import SchemaNode

_ALL = frozenset(JSON_TYPES)
#: Formats whose values are never numbers or booleans.
TEXT_FORMATS = frozenset({"date", "date-time", "time", "email", "idn-email", "uri", "uri-reference", "iri",
                          "uuid", "hostname", "idn-hostname", "ipv6", "duration", "json-pointer", "regex"})


@dataclass(frozen=True, eq=False)
class ObjectShape:
    """One kind of object a value can be: described by a schema, or built with known fields."""

    node: SchemaNode | None = None
    fields: tuple[tuple[str, Shape], ...] | None = None  # a multiselect hash or a literal object
    path: str = ""  # where in the source it was read, for messages ("" is the record)
    #: The ``if`` branches still possible after a filter such as ``[?kind=='A']`` (None: all).
    branches: tuple[SchemaNode, ...] | None = None
    #: Properties known more precisely than the schema says (after such a filter).
    overrides: tuple[tuple[str, Shape], ...] = ()


@dataclass(frozen=True, eq=False)
class Shape:
    """A union of what a value can be (see the module docstring)."""

    kinds: frozenset[str]
    unknown: bool = False
    objects: tuple[ObjectShape, ...] = ()
    items: Shape | None = None  # the items of the array kind; None when unknown
    values: tuple[Any, ...] | None = None  # every possible non-null value, when known
    formats: frozenset[str] = frozenset()
    null_from: str | None = None  # set when a schema declares null possible here: the path
    path: str | None = None  # the source path the value was read from, when it is one

    # -- questions ------------------------------------------------------------------------------

    @property
    def nullable(self) -> bool:
        return "null" in self.kinds

    @property
    def only_null(self) -> bool:
        return not self.unknown and self.kinds == frozenset({"null"})

    def can_be(self, kind: str) -> bool:
        return self.unknown or type_allows(self.kinds, kind)

    def definite_kinds(self) -> frozenset[str]:
        """The kinds it can have other than null; empty when unknown."""
        return frozenset() if self.unknown else self.kinds - {"null"}

    def describe(self) -> str:
        """The kinds in words: ``a string or null``."""
        if self.unknown:
            return "any value"
        names = [with_article(kind) for kind in _WORD_ORDER if kind in self.kinds and not (
            kind == "integer" and "number" in self.kinds)]
        items = self.items
        if "array" in self.kinds and items is not None and not items.unknown and items.definite_kinds():
            item_names = [f"{kind}s" for kind in _WORD_ORDER if kind in items.definite_kinds() and not (
                kind == "integer" and "number" in items.kinds)]
            names[names.index("an array")] = "an array of " + " or ".join(item_names)
        if not names:
            return "nothing"
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]

    # -- building -------------------------------------------------------------------------------

    def without_null(self) -> Shape:
        return replace(self, kinds=self.kinds - {"null"}, null_from=None)

    def with_absence(self) -> Shape:
        """The same, or nothing at all (null)."""
        return replace(self, kinds=self.kinds | {"null"})


ANY = Shape(_ALL, unknown=True)
#: No value at all (a call that always raises, a branch that cannot run): a union ignores it.
NOTHING = Shape(frozenset())
NULL = Shape(frozenset({"null"}))
BOOLEAN = Shape(frozenset({"boolean"}))
INTEGER = Shape(frozenset({"integer"}))
NUMBER = Shape(frozenset({"number"}))
STRING = Shape(frozenset({"string"}))

_WORD_ORDER = ("boolean", "integer", "number", "string", "array", "object", "null")


def array_of(items: Shape | None) -> Shape:
    return Shape(frozenset({"array"}), items=items)


def union(shapes: Iterable[Shape]) -> Shape:
    """Any of ``shapes``."""
    given = list(shapes)
    shapes = [shape for shape in given if shape.kinds or shape.unknown]  # NOTHING adds nothing
    if not shapes:
        return NOTHING if given else NULL
    if len(shapes) == 1:
        return shapes[0]
    kinds: set[str] = set()
    objects: list[ObjectShape] = []
    item_shapes: list[Shape] = []
    items_unknown = False
    values: list[Any] | None = []
    formats: set[str] = set()
    null_from = None
    # A null that comes from nowhere (a field of a non-object) does not blur where the value is read.
    paths = {shape.path for shape in shapes if shape.path is not None or not shape.only_null}
    for shape in shapes:
        kinds |= shape.kinds
        objects.extend(object_ for object_ in shape.objects if object_ not in objects)
        if "array" in shape.kinds or shape.unknown:
            if shape.items is None:
                items_unknown = True
            else:
                item_shapes.append(shape.items)
        if values is not None:
            scalar_kinds = shape.kinds - {"null"}
            if shape.unknown or (scalar_kinds and shape.values is None):
                values = None
            else:
                values.extend(value for value in shape.values or () if value not in values)
        formats |= shape.formats
        null_from = null_from or shape.null_from
    return Shape(
        frozenset(kinds),
        unknown=any(shape.unknown for shape in shapes),
        objects=tuple(objects),
        items=None if items_unknown or not item_shapes else union(item_shapes),
        values=tuple(values) if values is not None and values else None,
        formats=frozenset(formats),
        null_from=null_from,
        path=paths.pop() if len(paths) == 1 else None,
    )


def of_value(value: Any) -> Shape:
    """The shape of one JSON value (a literal, a constant, a lookup result); its kind is its schema type
    (``2.0`` is an integer, see ``jsontypes``)."""
    kind = schema_type(value)
    if kind == "null":
        return NULL
    if kind == "array":
        return array_of(union(of_value(item) for item in value) if value else None)
    if kind == "object":
        fields = tuple((str(key), of_value(item)) for key, item in value.items())
        return Shape(frozenset({"object"}), objects=(ObjectShape(fields=fields),))
    if kind in _ALL:
        return Shape(frozenset({kind}), values=(value,))
    return ANY


#: The kind of a value as shapes count it (``of_value``): its narrowest JSON Schema type.
kind_of = schema_type


# -- truthiness (JMESPath: false, null, "", [] and {} are falsy) -------------------------------


def can_be_falsy(shape: Shape) -> bool:
    """Whether the value can be one JMESPath counts as false (``||`` then gives its right side)."""
    if shape.unknown:
        return True
    if shape.kinds & {"null", "array", "object"}:
        return True
    if shape.values is not None:
        return any(is_falsy(value) for value in shape.values)
    return bool(shape.kinds & {"boolean", "string"})


def is_falsy(value: Any) -> bool:
    """JMESPath's falsiness of one scalar value (``0`` is true, unlike in Python)."""
    return value is False or value == "" or value is None


def truthy_part(shape: Shape) -> Shape:
    """What the value can be where it is truthy."""
    if shape.unknown:
        return ANY
    kinds = shape.kinds - {"null"}
    values = shape.values
    if values is not None:
        values = tuple(value for value in values if not is_falsy(value))
        kinds = frozenset(kind_of(value) for value in values) | (kinds & {"array", "object"})
    return Shape(kinds, objects=shape.objects, items=shape.items, values=values or None,
                 formats=shape.formats, path=shape.path)


def falsy_part(shape: Shape) -> Shape:
    """What the value can be where it is falsy: null, false, "", [] or {}, as its kinds allow."""
    if shape.unknown:
        return ANY
    falsy: list[Shape] = []
    if "null" in shape.kinds:
        falsy.append(Shape(frozenset({"null"}), null_from=shape.null_from, path=shape.path))
    if "boolean" in shape.kinds and (shape.values is None or False in shape.values):
        falsy.append(replace(of_value(False), path=shape.path))
    if "string" in shape.kinds and (shape.values is None or "" in shape.values):
        falsy.append(replace(of_value(""), path=shape.path))
    if "array" in shape.kinds:
        falsy.append(array_of(None))
    if "object" in shape.kinds:
        falsy.append(of_value({}))
    return union(falsy) if falsy else NOTHING


def looked_up(lookup: Lookup, value: Shape) -> Shape:
    """What translating ``value`` through ``lookup`` gives: one of its values (or its default); null
    stays null. A value the table lacks, without a default, is an error, not a result."""
    translated = [of_value(result) for result in lookup.values.values()]
    if lookup.has_default:
        translated.append(of_value(lookup.default))
    if value.nullable:
        translated.append(Shape(frozenset({"null"}), null_from=value.null_from))
    return union(translated)


# -- from schemas -------------------------------------------------------------------------------


def of_schema(node: SchemaNode | None, path: str, *, optional: bool = False, depth: int = 0) -> Shape:
    """The shape of values valid under ``node``, read at source ``path``.

    ``optional``: the value may be missing (a property that is not required).
    """
    if node is None or depth > 24:
        return ANY
    declared = node.types()
    keywords = node.keywords()
    kinds = frozenset(declared) if declared is not None else _ALL
    unknown = declared is None and not (keywords & {"enum", "const"})
    objects: tuple[ObjectShape, ...] = ()
    if "object" in kinds or (unknown and keywords & {"properties", "patternProperties", "additionalProperties"}):
        objects = (ObjectShape(node=node, path=path),)
    items: Shape | None = None
    if "array" in kinds:
        item_node = node.items()
        items = of_schema(item_node, f"{path}[]", depth=depth + 1) if item_node is not None else None
    values = _possible_values(node)
    if values is not None:
        kinds = frozenset(kind_of(value) for value in values) | (kinds & {"null"})
        unknown = False
        values = tuple(value for value in values if value is not None)
    format_ = node.keyword("format")
    shape = Shape(
        kinds=kinds,
        unknown=unknown,
        objects=objects,
        items=items,
        values=values or None,
        formats=frozenset([format_]) if isinstance(format_, str) else frozenset(),
        null_from=path or "the record" if "null" in kinds and not unknown else None,
        path=path,
    )
    return shape.with_absence() if optional else shape


def _possible_values(node: SchemaNode) -> tuple[Any, ...] | None:
    for part in node.parts():
        schema = part.schema
        if isinstance(schema, dict):
            if "const" in schema:
                return (schema["const"],)
            if "enum" in schema and isinstance(schema["enum"], list):
                return tuple(schema["enum"])
    return None


# -- object schemas: the checker's questions, answered by the schema walker ----------------------


def narrow(object_: ObjectShape, name: str, value: Any) -> ObjectShape:
    """The object, knowing that its property ``name`` equals ``value``."""
    if object_.node is None:
        return object_
    return replace(object_, branches=tuple(object_.node.conditional_branches({name: value})))


def find_properties(node: SchemaNode, name: str,
                    branches: tuple[SchemaNode, ...] | None = None) -> list[SchemaNode]:
    """Every schema that may describe property ``name`` (``SchemaNode.property_schemas``, the compiler's
    source too); ``branches`` restricts the ``if`` branches to those (see ``narrow``)."""
    return node.property_schemas(name, branches)


def property_names(node: SchemaNode) -> list[str]:
    """Declared property names, branches included, in schema order."""
    return node.property_names()


def is_required(node: SchemaNode, name: str) -> bool:
    return name in node.required()


def is_open(node: SchemaNode) -> bool:
    """Whether any property name may appear, so an undeclared one is no mistake.

    True when the schema says so (``additionalProperties: true`` or a schema)
    or says nothing about properties at all.
    """
    has_patterns = False
    for candidate in [node, *node.branches()]:
        for part in candidate.parts():
            schema = part.schema
            if not isinstance(schema, dict):
                continue
            additional = schema.get("additionalProperties")
            if additional is True or isinstance(additional, dict):
                return True
            has_patterns = has_patterns or bool(schema.get("patternProperties"))
    return not has_patterns and not node.property_names()


def matches_pattern_property(node: SchemaNode, name: str) -> bool:
    return node.pattern_property(name) is not None
