"""Hypothesis strategies that generate instances of a JSON Schema.

``from_schema(schema)`` gives a strategy of JSON values (dicts, lists, str,
int, float, bool, None) valid under a loaded ``Schema``. It covers the
keywords our schemas use: ``type`` (one or several), ``enum``, ``const``,
``$ref``, ``allOf`` (parts are merged), ``anyOf`` / ``oneOf`` (one branch is
drawn), ``if`` / ``then`` / ``else``, ``not`` (of ``const``/``enum`` exactly,
other forms by filtering), ``properties`` / ``required`` /
``additionalProperties`` / ``patternProperties`` / ``unevaluatedProperties:
false``, ``propertyNames``, ``items`` / ``prefixItems`` / ``minItems`` /
``maxItems`` / ``uniqueItems``, ``minLength`` / ``maxLength`` / ``pattern``,
``minimum`` / ``maximum`` / ``exclusiveMinimum`` / ``exclusiveMaximum`` /
``multipleOf``, and the formats ``date``, ``date-time``, ``time``, ``email``,
``uri``, ``uuid``, ``ipv4`` and ``ipv6``. A keyword it does not model is still
honoured: the values drawn for that subschema are filtered through the
reference validator (``jsonschema``), so what comes out is valid, only drawn
less efficiently.

Generated data stays close to what integrations exchange: numbers within
±2**53 (integers) and ±1e15 (others), at most a few items per array beyond
``minItems``, no properties beyond the declared ones unless the schema asks for
a map (``additionalProperties``/``patternProperties`` as a schema). Recursive
schemas are cut off at ``max_depth`` nesting levels, below which optional
properties are left out and arrays hold ``minItems`` items.

This replaces hypothesis-jsonschema, whose last release (0.23.1) fails on
hypothesis 6.170.10 and newer: it calls a private hypothesis API that was
removed (``'many' object has no attribute 'more'``). Nothing here uses
private hypothesis APIs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any

import jsonschema_rs
from hypothesis import strategies as st
from hypothesis.provisional import urls

from ..jsontypes import JSON_TYPES
from ..schemas import Schema, SchemaNode

__all__ = ["MAX_INTEGER", "MAX_NUMBER", "Hints", "format_strategy", "from_node", "from_schema"]

#: Integers are drawn within the range every JSON parser keeps exactly.
MAX_INTEGER = 2**53 - 1
#: Other numbers are drawn within this magnitude.
MAX_NUMBER = 1e15
#: Items drawn beyond ``minItems`` (and properties beyond the declared ones for maps).
EXTRA_ITEMS = 3

Strategy = st.SearchStrategy[Any]
Predicate = Callable[[Any], bool]

_STRING_KEYWORDS = frozenset({"minLength", "maxLength", "pattern", "format"})
_NUMBER_KEYWORDS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
_ARRAY_KEYWORDS = frozenset({"items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains",
                             "additionalItems", "minContains", "maxContains", "unevaluatedItems"})
_OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties", "patternProperties",
                              "propertyNames", "minProperties", "maxProperties", "unevaluatedProperties",
                              "dependentRequired", "dependentSchemas", "dependencies"})
#: Keywords drawn exactly; any other validation keyword makes the subschema filtered.
_MODELLED = (_STRING_KEYWORDS | _NUMBER_KEYWORDS | _OBJECT_KEYWORDS | _ARRAY_KEYWORDS
             | {"type", "enum", "const", "not", "allOf", "anyOf", "oneOf", "if", "then", "else", "$ref"}) - {
    "contains", "minContains", "maxContains", "unevaluatedItems", "additionalItems", "minProperties",
    "maxProperties", "dependentRequired", "dependentSchemas", "dependencies"}
#: Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({"$schema", "$id", "$anchor", "$dynamicAnchor", "$comment", "$defs", "definitions",
                          "title", "description", "default", "examples", "deprecated", "readOnly",
                          "writeOnly", "$vocabulary", "contentMediaType", "contentEncoding", "xml"})


@dataclass(frozen=True)
class Hints:
    """Strings worth drawing besides arbitrary text, e.g. what a mapping compares or parses.

    ``by_path`` maps an instance path (``Emails[].Address``; ``[]`` for array
    items, ``.`` between properties, ``""`` for the root) to candidates drawn
    there three times in four; ``anywhere`` are candidates for every string
    without a pattern or format, drawn one time in four. A candidate is a
    string or a strategy of strings. Candidates that break the string's own
    constraints (length, pattern, format) are left out, so hints never make an
    instance invalid.
    """

    by_path: dict[str, list[str | Strategy]] = field(default_factory=dict)
    anywhere: list[str | Strategy] = field(default_factory=list)


def from_schema(schema: Schema, *, max_depth: int = 8, hints: Hints | None = None) -> Strategy:
    """A strategy of instances valid under ``schema`` (formats included)."""
    return _Builder(schema, max_depth, hints).build((schema.root,), 0, "")


def from_node(schema: Schema, node: SchemaNode, *, max_depth: int = 8) -> Strategy:
    """A strategy of instances valid under one subschema ``node`` of ``schema``."""
    return _Builder(schema, max_depth, None).build((node,), 0, "")


@dataclass
class _Merged:
    """The keywords of a conjunction of (resolved, applicator-free) subschemas."""

    types: set[str] | None = None
    values: list[Any] | None = None  # from const / enum: the only candidates
    excluded: list[Any] = field(default_factory=list)  # from not: {const} / not: {enum}
    filtered: bool = False  # some keyword is not modelled: filter through the validator
    min_length: int = 0
    max_length: int | None = None
    patterns: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: list[float] = field(default_factory=list)
    items: list[SchemaNode] = field(default_factory=list)
    prefix_items: list[list[SchemaNode]] = field(default_factory=list)
    min_items: int = 0
    max_items: int | None = None
    unique_items: bool = False
    properties: dict[str, list[SchemaNode]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    # Names allowed by each closed part; None for unevaluatedProperties: false (what any part declares).
    closed_to: list[set[str] | None] = field(default_factory=list)
    closed_patterns: list[list[str]] = field(default_factory=list)
    pattern_properties: list[tuple[str, SchemaNode]] = field(default_factory=list)
    additional: list[SchemaNode] = field(default_factory=list)
    name_patterns: list[str] = field(default_factory=list)
    name_max_length: int | None = None
    keywords: set[str] = field(default_factory=set)


class _Builder:
    def __init__(self, schema: Schema, max_depth: int, hints: Hints | None) -> None:
        self.schema = schema
        self.max_depth = max_depth
        self.hints = hints or Hints()
        # descend() is how jsonschema checks a subschema in place (with its resolver for $ref).
        self.root_validator: Any = schema.validator(check_formats=True)
        self._cache: dict[tuple[Any, ...], Strategy] = {}
        self._kept: list[tuple[SchemaNode, ...]] = []

    # -- validity, for what is filtered ---------------------------------------------------------

    def valid_under(self, nodes: Iterable[SchemaNode]) -> Predicate:
        nodes = tuple(nodes)
        descend = self.root_validator.descend

        def valid(value: Any) -> bool:
            return all(next(iter(descend(value, node.schema, resolver=node.resolver)), None) is None
                       for node in nodes)

        return valid

    # -- conjunctions ---------------------------------------------------------------------------

    def build(self, nodes: tuple[SchemaNode, ...], depth: int, path: str) -> Strategy:
        # Keyed by identity: the nodes are kept alive with their strategy, so ids stay unique.
        key = (tuple(id(node.schema) for node in nodes), depth, path if self.hints.by_path else "")
        if key not in self._cache:
            self._cache[key] = self._build(nodes, depth, path)
            self._kept.append(nodes)
        return self._cache[key]

    def _build(self, nodes: tuple[SchemaNode, ...], depth: int, path: str) -> Strategy:
        parts: list[SchemaNode] = []
        for node in nodes:
            for part in node.parts():
                if part.schema is False:
                    return st.nothing()
                if part.schema is True or not isinstance(part.schema, dict):
                    continue
                if "allOf" in part.schema:  # its members are among the parts already
                    part = SchemaNode({k: v for k, v in part.schema.items() if k != "allOf"}, part.scope)
                parts.append(part)
        for position, part in enumerate(parts):
            schema = part.schema
            rest = tuple(parts[:position] + parts[position + 1:])
            for keyword in ("anyOf", "oneOf"):
                if keyword in schema:
                    stripped = SchemaNode({k: v for k, v in schema.items() if k != keyword}, part.scope)
                    branches = [
                        self.build(rest + (stripped, part._child(branch)), depth, path)
                        for branch in schema[keyword]
                        if not _conflicts(rest + (stripped, part._child(branch)))
                    ]
                    drawn = st.one_of(branches) if branches else st.nothing()
                    if keyword == "oneOf":
                        one_of = [part._child(branch) for branch in schema[keyword]]
                        checks = [self.valid_under([branch]) for branch in one_of]
                        drawn = drawn.filter(_exactly_one(checks))
                    return drawn
            if "if" in schema:
                return self._conditional(part, rest, depth, path)
        merged = _merge(parts)
        if merged.values is not None:
            candidates = [value for value in merged.values if not _contains(merged.excluded, value)]
            return st.sampled_from(candidates).filter(self.valid_under(parts)) if candidates else st.nothing()
        strategy = self._typed(merged, depth, path)
        if merged.excluded:
            excluded = merged.excluded
            strategy = strategy.filter(lambda value: not _contains(excluded, value))
        if merged.filtered:
            strategy = strategy.filter(self.valid_under(parts))
        return strategy

    def _conditional(self, part: SchemaNode, rest: tuple[SchemaNode, ...], depth: int, path: str) -> Strategy:
        schema = part.schema
        stripped = SchemaNode({k: v for k, v in schema.items() if k not in ("if", "then", "else")},
                              part.scope)
        condition = part._child(schema["if"])
        then = (part._child(schema["then"]),) if "then" in schema else ()
        otherwise = (part._child(schema["else"]),) if "else" in schema else ()
        base = rest + (stripped,)
        branches: list[Strategy] = []
        holds = base + (condition,) + then
        if not _conflicts(holds):
            branches.append(self.build(holds, depth, path).filter(self.valid_under([condition])))
        negated = _negate_discriminator(condition)
        if negated is not None:
            fails = base + (negated,) + otherwise
            if not _conflicts(fails):
                branches.append(self.build(fails, depth, path))
        else:
            check = self.valid_under([condition])
            branches.append(self.build(base + otherwise, depth, path).filter(lambda value: not check(value)))
        return st.one_of(branches) if branches else st.nothing()

    # -- one merged subschema -------------------------------------------------------------------

    def _typed(self, merged: _Merged, depth: int, path: str) -> Strategy:
        types = merged.types if merged.types is not None else _implied_types(merged.keywords)
        if "number" in types:
            types = types - {"integer"}
        strategies: list[Strategy] = []
        for kind in JSON_TYPES:
            if kind not in types:
                continue
            if kind == "null":
                strategies.append(st.none())
            elif kind == "boolean":
                strategies.append(st.booleans())
            elif kind == "integer":
                strategies.append(self._integers(merged))
            elif kind == "number":
                strategies.append(self._numbers(merged))
            elif kind == "string":
                strategies.append(self._strings(merged, path))
            elif kind == "array":
                strategies.append(self._arrays(merged, depth, path))
            else:
                strategies.append(self._objects(merged, depth, path))
        if not strategies:
            return st.nothing()
        if "null" in types and len(strategies) > 1:
            # Null now and then, not every other time: records with data exercise more of a
            # mapping. Shrinking still goes towards null.
            values = st.one_of(strategies[1:])
            return st.integers(0, 3).flatmap(lambda n: st.none() if n == 0 else values)
        return st.one_of(strategies)

    def _integers(self, merged: _Merged) -> Strategy:
        low, high = -MAX_INTEGER, MAX_INTEGER
        if merged.minimum is not None:
            low = max(low, math.ceil(merged.minimum))
        if merged.exclusive_minimum is not None:
            low = max(low, math.floor(merged.exclusive_minimum) + 1)
        if merged.maximum is not None:
            high = min(high, math.floor(merged.maximum))
        if merged.exclusive_maximum is not None:
            high = min(high, math.ceil(merged.exclusive_maximum) - 1)
        if low > high:
            return st.nothing()
        whole = [step for step in merged.multiple_of if float(step).is_integer()]
        if whole:
            step = int(whole[0])
            strategy = st.integers(math.ceil(low / step), math.floor(high / step)).map(lambda k: k * step)
            others = [other for other in merged.multiple_of if other != whole[0]]
            return strategy.filter(lambda value: all(_is_multiple(value, other) for other in others))
        strategy = st.integers(low, high)
        if merged.multiple_of:
            steps = merged.multiple_of
            strategy = strategy.filter(lambda value: all(_is_multiple(value, step) for step in steps))
        return strategy

    def _numbers(self, merged: _Merged) -> Strategy:
        low: float = -MAX_NUMBER
        high: float = MAX_NUMBER
        exclude_low = exclude_high = False
        if merged.minimum is not None and merged.minimum > low:
            low = merged.minimum
        if merged.exclusive_minimum is not None and merged.exclusive_minimum >= low:
            low, exclude_low = merged.exclusive_minimum, True
        if merged.maximum is not None and merged.maximum < high:
            high = merged.maximum
        if merged.exclusive_maximum is not None and merged.exclusive_maximum <= high:
            high, exclude_high = merged.exclusive_maximum, True
        if low > high:
            return st.nothing()
        if merged.multiple_of:
            step = merged.multiple_of[0]
            first, last = math.ceil(low / step), math.floor(high / step)
            steps = merged.multiple_of
            return (st.integers(first, last).map(lambda k: _number(k * step))
                    .filter(lambda value: _within(value, low, high, exclude_low, exclude_high)
                            and all(_is_multiple(value, other) for other in steps)))
        floats = st.floats(low, high, exclude_min=exclude_low, exclude_max=exclude_high,
                           allow_nan=False, allow_infinity=False, allow_subnormal=False)
        # Whole numbers too, as JSON documents hold them (12 rather than 12.0).
        whole = self._integers(merged)
        return st.one_of(whole, floats) if not _excludes_integers(merged) else floats

    def _strings(self, merged: _Merged, path: str) -> Strategy:
        low, high = merged.min_length, merged.max_length
        checks: list[Predicate] = [lambda text: len(text) >= low]
        if high is not None:
            checks.append(lambda text: len(text) <= high)
        matchers = [ecma_matcher(pattern) for pattern in merged.patterns]
        checks.append(lambda text: all(matches(text) for matches in matchers))
        known_format = bool(merged.formats) and merged.formats[0] in _FORMATS
        if merged.patterns and known_format:
            # Either may be the narrower one (a uri matching ^https://host/stations/[A-Z]{4}$, a date-time
            # matching Z$): draw from both, keep what satisfies all.
            base = st.one_of(_FORMATS[merged.formats[0]](),
                             st.from_regex(_python_pattern(merged.patterns[0]), fullmatch=True))
            merged.filtered = True
        elif known_format:
            base = _FORMATS[merged.formats[0]]()
            if len(set(merged.formats)) > 1:
                merged.filtered = True
        elif merged.patterns:
            base = st.from_regex(_python_pattern(merged.patterns[0]), fullmatch=True)
            if merged.formats:
                merged.filtered = True
        else:
            if merged.formats:
                merged.filtered = True  # an unknown format: let the validator decide
            base = st.text(_CHARACTERS, min_size=low, max_size=high if high is not None else max(low + 12, 12))
        format_checker = self.root_validator.format_checker
        formats = list(merged.formats)

        def valid(text: str) -> bool:
            return all(check(text) for check in checks) and (
                format_checker is None or all(format_checker.conforms(text, name) for name in formats))

        base = base.filter(valid)
        hinted = self._hinted(self.hints.by_path.get(path, []), valid)
        if hinted is not None:
            return st.integers(0, 3).flatmap(lambda n: hinted if n else base)
        if not merged.formats and not merged.patterns:
            anywhere = self._hinted(self.hints.anywhere, valid)
            if anywhere is not None:  # one time in four; shrinking (towards 0) goes to the plainer base
                return st.integers(0, 3).flatmap(lambda n: anywhere if n == 3 else base)
        return base

    @staticmethod
    def _hinted(candidates: list[str | Strategy], valid: Predicate) -> Strategy | None:
        constants = [candidate for candidate in candidates if isinstance(candidate, str) and valid(candidate)]
        strategies = [candidate.filter(valid) for candidate in candidates if not isinstance(candidate, str)]
        if constants:
            strategies.insert(0, st.sampled_from(constants))
        return st.one_of(strategies) if strategies else None

    def _arrays(self, merged: _Merged, depth: int, path: str) -> Strategy:
        low = merged.min_items
        high = merged.max_items
        deep = depth >= self.max_depth
        cap = low if deep else low + EXTRA_ITEMS
        high = cap if high is None else min(high, cap)
        if low > high:
            return st.nothing()
        prefix = merged.prefix_items[0] if merged.prefix_items else []
        prefix_strategies = [self.build((node,) + tuple(other[i] for other in merged.prefix_items[1:]
                                                          if i < len(other)), depth + 1, f"{path}[]")
                             for i, node in enumerate(prefix)]
        rest = (self.build(tuple(merged.items), depth + 1, f"{path}[]") if merged.items
                else _any_json(depth + 1, self.max_depth))

        @st.composite
        def arrays(draw: st.DrawFn) -> list[Any]:
            size = draw(st.integers(low, high))
            values = [draw(prefix_strategies[i]) if i < len(prefix_strategies) else draw(rest)
                      for i in range(size)]
            return values

        # st.lists shrinks by deleting any item (an irrelevant one among relevant ones too); `arrays`, drawing
        # its size first, only drops the last ones: it is kept for prefixItems, whose items have places.
        if merged.unique_items:
            if prefix_strategies:
                merged.filtered = True
                return arrays().filter(_unique)
            return st.lists(rest, min_size=low, max_size=high, unique_by=_canonical)
        if not prefix_strategies:
            return st.lists(rest, min_size=low, max_size=high)
        return arrays()

    def _objects(self, merged: _Merged, depth: int, path: str) -> Strategy:
        deep = depth >= self.max_depth
        allowed = _allowed_names(merged)
        required: dict[str, Strategy] = {}
        optional: dict[str, Strategy] = {}
        for name in sorted(merged.required):
            if allowed is not None and not allowed(name):
                return st.nothing()
            required[name] = self.build(self._property_nodes(merged, name), depth + 1, _join(path, name))
        if not deep:
            for name in merged.properties:
                if name in merged.required or (allowed is not None and not allowed(name)):
                    continue
                optional[name] = self.build(self._property_nodes(merged, name), depth + 1, _join(path, name))
        declared = _with_optional(st.fixed_dictionaries(required), optional)
        extra = self._extra_properties(merged, depth, path)
        if extra is None or deep:
            return declared
        return st.tuples(declared, extra).map(lambda pair: {**pair[1], **pair[0]})

    def _property_nodes(self, merged: _Merged, name: str) -> tuple[SchemaNode, ...]:
        nodes = list(merged.properties.get(name, ()))
        nodes.extend(node for pattern, node in merged.pattern_properties if ecma_matcher(pattern)(name))
        if name not in merged.properties and not any(ecma_matcher(p)(name) for p, _ in merged.pattern_properties):
            nodes.extend(merged.additional)
        return tuple(nodes)

    def _extra_properties(self, merged: _Merged, depth: int, path: str) -> Strategy | None:
        """Keys beyond the declared ones, for map-like objects."""
        sources: list[tuple[Strategy, tuple[SchemaNode, ...]]] = []
        if merged.additional and not merged.closed_to:
            names = _name_strategy(merged)
            sources.append((names, tuple(merged.additional)))
        for pattern, node in merged.pattern_properties:
            if not merged.closed_to or all(pattern in patterns for patterns in merged.closed_patterns):
                sources.append((st.from_regex(_python_pattern(pattern)).filter(ecma_matcher(pattern)), (node,)))
        if not sources:
            return None
        declared = set(merged.properties)
        name_checks = _name_checks(merged)
        pairs = [st.tuples(names.filter(lambda name: name not in declared and name_checks(name)),
                           st.just(nodes)) for names, nodes in sources]

        def entry(named: tuple[str, tuple[SchemaNode, ...]]) -> Strategy:
            name, nodes = named
            # A name may match several patterns: it must satisfy them all.
            matching = nodes + tuple(node for pattern, node in merged.pattern_properties
                                     if ecma_matcher(pattern)(name) and node not in nodes)
            return st.tuples(st.just(name), self.build(matching, depth + 1, _join(path, name)))

        # A list of entries, each name with its value, so that shrinking deletes any one of them.
        return st.lists(st.one_of(pairs).flatmap(entry), max_size=EXTRA_ITEMS,
                        unique_by=lambda item: item[0]).map(dict)


def _with_optional(required: Strategy, optional: dict[str, Strategy]) -> Strategy:
    """Objects with their required properties and, three times in four, each optional one.

    Present more often than not, because records with data exercise more of a
    mapping; shrinking still leaves them out.
    """
    if not optional:
        return required

    @st.composite
    def objects(draw: st.DrawFn) -> dict[str, Any]:
        drawn: dict[str, Any] = dict(draw(required))
        for name, strategy in optional.items():
            if draw(_PRESENT):
                drawn[name] = draw(strategy)
        return drawn

    return objects()


_PRESENT = st.integers(0, 3).map(bool)


# -- merging a conjunction ----------------------------------------------------------------------


def _merge(parts: list[SchemaNode]) -> _Merged:
    merged = _Merged()
    for part in parts:
        schema: dict[str, Any] = part.schema
        merged.keywords.update(schema)
        for keyword in schema:
            if keyword not in _MODELLED and keyword not in _ANNOTATIONS:
                merged.filtered = True
        if "type" in schema:
            declared = schema["type"]
            own = {declared} if isinstance(declared, str) else set(declared)
            if "number" in own:
                own.add("integer")
            merged.types = own if merged.types is None else _intersect_types(merged.types, own)
        if "const" in schema:
            merged.values = _intersect_values(merged.values, [schema["const"]])
        if "enum" in schema:
            merged.values = _intersect_values(merged.values, list(schema["enum"]))
        if "not" in schema:
            negated = schema["not"]
            if isinstance(negated, dict) and set(negated) <= {"const", "enum"}:
                merged.excluded.extend([negated["const"]] if "const" in negated else negated.get("enum", []))
            else:
                merged.filtered = True
        _merge_string(merged, schema)
        _merge_number(merged, schema)
        _merge_array(merged, part, schema)
        _merge_object(merged, part, schema)
    return merged


def _merge_string(merged: _Merged, schema: dict[str, Any]) -> None:
    if "minLength" in schema:
        merged.min_length = max(merged.min_length, int(schema["minLength"]))
    if "maxLength" in schema:
        merged.max_length = _min(merged.max_length, int(schema["maxLength"]))
    if "pattern" in schema:
        merged.patterns.append(schema["pattern"])
    if "format" in schema:
        merged.formats.append(schema["format"])


def _merge_number(merged: _Merged, schema: dict[str, Any]) -> None:
    if "minimum" in schema:
        merged.minimum = _max(merged.minimum, schema["minimum"])
    if "maximum" in schema:
        merged.maximum = _min(merged.maximum, schema["maximum"])
    if isinstance(schema.get("exclusiveMinimum"), (int, float)) and not isinstance(schema["exclusiveMinimum"], bool):
        merged.exclusive_minimum = _max(merged.exclusive_minimum, schema["exclusiveMinimum"])
    if isinstance(schema.get("exclusiveMaximum"), (int, float)) and not isinstance(schema["exclusiveMaximum"], bool):
        merged.exclusive_maximum = _min(merged.exclusive_maximum, schema["exclusiveMaximum"])
    if isinstance(schema.get("exclusiveMinimum"), bool) or isinstance(schema.get("exclusiveMaximum"), bool):
        merged.filtered = True  # draft-4 style: let the validator decide
    if "multipleOf" in schema:
        merged.multiple_of.append(schema["multipleOf"])


def _merge_array(merged: _Merged, part: SchemaNode, schema: dict[str, Any]) -> None:
    items = schema.get("items")
    if isinstance(items, list):  # draft-07 tuple form
        merged.prefix_items.append([part._child(item) for item in items])
        additional = schema.get("additionalItems")
        if additional is not None:
            merged.items.append(part._child(additional))
    elif items is not None:
        merged.items.append(part._child(items))
    if "prefixItems" in schema:
        merged.prefix_items.append([part._child(item) for item in schema["prefixItems"]])
    if "minItems" in schema:
        merged.min_items = max(merged.min_items, int(schema["minItems"]))
    if "maxItems" in schema:
        merged.max_items = _min(merged.max_items, int(schema["maxItems"]))
    if schema.get("uniqueItems") is True:
        merged.unique_items = True


def _merge_object(merged: _Merged, part: SchemaNode, schema: dict[str, Any]) -> None:
    properties = schema.get("properties", {})
    for name, subschema in properties.items():
        merged.properties.setdefault(name, []).append(part._child(subschema))
    merged.required.update(schema.get("required", ()))
    patterns = schema.get("patternProperties", {})
    for pattern, subschema in patterns.items():
        merged.pattern_properties.append((pattern, part._child(subschema)))
    additional = schema.get("additionalProperties")
    closed = additional is False or schema.get("unevaluatedProperties") is False
    if closed:
        merged.closed_to.append(set(properties) if additional is False else None)
        merged.closed_patterns.append(list(patterns))
    elif additional is not None and additional is not True:
        merged.additional.append(part._child(additional))
    names = schema.get("propertyNames")
    if isinstance(names, dict):
        if "pattern" in names:
            merged.name_patterns.append(names["pattern"])
        if "maxLength" in names:
            merged.name_max_length = _min(merged.name_max_length, int(names["maxLength"]))
        if set(names) - {"pattern", "maxLength", "type", "description"}:
            merged.filtered = True


def _allowed_names(merged: _Merged) -> Callable[[str], bool] | None:
    """Which property names the object may have, when some part is closed."""
    if not merged.closed_to:
        return None
    # unevaluatedProperties: false closes the object to what any part declares.
    declared = set(merged.properties)
    closed = [declared if names is None else names for names in merged.closed_to]

    def allowed(name: str) -> bool:
        return all(name in names or any(ecma_matcher(pattern)(name) for pattern in patterns)
                   for names, patterns in zip(closed, merged.closed_patterns, strict=True))

    return allowed


def _name_checks(merged: _Merged) -> Predicate:
    matchers = [ecma_matcher(pattern) for pattern in merged.name_patterns]
    longest = merged.name_max_length

    def check(name: str) -> bool:
        if longest is not None and len(name) > longest:
            return False
        return all(matches(name) for matches in matchers)

    return check


def _name_strategy(merged: _Merged) -> Strategy:
    if merged.name_patterns:
        return st.from_regex(_python_pattern(merged.name_patterns[0]), fullmatch=True)
    return st.text(_CHARACTERS, min_size=1, max_size=min(merged.name_max_length or 12, 12))


def _implied_types(keywords: set[str]) -> set[str]:
    """Without ``type``, the types that the other keywords talk about (all types when none do)."""
    implied: set[str] = set()
    if keywords & _STRING_KEYWORDS:
        implied.add("string")
    if keywords & _NUMBER_KEYWORDS:
        implied.add("number")
    if keywords & _ARRAY_KEYWORDS:
        implied.add("array")
    if keywords & _OBJECT_KEYWORDS:
        implied.add("object")
    return implied or set(JSON_TYPES)


def _intersect_types(left: set[str], right: set[str]) -> set[str]:
    # Both sides list "integer" wherever they list "number" (see _merge).
    return left & right


def _intersect_values(current: list[Any] | None, values: list[Any]) -> list[Any]:
    if current is None:
        return values
    return [value for value in current if _contains(values, value)]


def _conflicts(nodes: tuple[SchemaNode, ...]) -> bool:
    """A cheap look for two parts giving a property different constants (if/then chains)."""
    constants: dict[str, list[Any]] = {}
    for node in nodes:
        for part in node.parts():
            schema = part.schema
            if not isinstance(schema, dict):
                continue
            for name, subschema in schema.get("properties", {}).items():
                if isinstance(subschema, dict) and ("const" in subschema or "enum" in subschema):
                    allowed = [subschema["const"]] if "const" in subschema else list(subschema["enum"])
                    if name in constants:
                        allowed = [value for value in allowed if _contains(constants[name], value)]
                        if not allowed:
                            return True
                    constants[name] = allowed
                elif isinstance(subschema, dict) and isinstance(subschema.get("not"), dict):
                    negated = subschema["not"]
                    excluded = [negated["const"]] if "const" in negated else list(negated.get("enum", []))
                    if name in constants and excluded:
                        constants[name] = [value for value in constants[name] if not _contains(excluded, value)]
                        if not constants[name]:
                            return True
    return False


def _negate_discriminator(condition: SchemaNode) -> SchemaNode | None:
    """``not if`` as a schema, for an ``if`` that only gives properties constants.

    ``if: {properties: {kind: {const: A}}}`` fails exactly when ``kind`` is
    present and is not ``A``.
    """
    schema = condition.resolved().schema
    if not isinstance(schema, dict) or set(schema) - {"properties", "required"}:
        return None
    properties = schema.get("properties", {})
    if len(properties) != 1:
        return None
    ((name, subschema),) = properties.items()
    if not isinstance(subschema, dict) or not set(subschema) <= {"const", "enum"} or not subschema:
        return None
    return SchemaNode({"required": [name], "properties": {name: {"not": subschema}}}, condition.scope)


# -- formats ------------------------------------------------------------------------------------

_CHARACTERS = st.characters(codec="utf-8")
_OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)),
                            timezone(timedelta(hours=1)), timezone(timedelta(hours=-3, minutes=-30))])


def _date_times() -> Strategy:
    moments = st.datetimes(datetime(1900, 1, 1), datetime(2100, 12, 31), timezones=_OFFSETS)
    return st.tuples(moments, st.booleans(), st.booleans()).map(_rfc3339)


def _rfc3339(drawn: tuple[datetime, bool, bool]) -> str:
    moment, fraction, zulu = drawn
    text = moment.isoformat(timespec="microseconds" if fraction else "seconds")
    if zulu:
        moment = moment.astimezone(UTC)
        text = moment.isoformat(timespec="microseconds" if fraction else "seconds").replace("+00:00", "Z")
    return text


def _times() -> Strategy:
    return st.times().map(lambda value: time(value.hour, value.minute, value.second)
                          .isoformat() + "Z")


_FORMATS: dict[str, Callable[[], Strategy]] = {
    "date": lambda: st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat),
    "date-time": _date_times,
    "time": _times,
    "email": lambda: st.emails(),
    # ASCII addresses are internationalized ones too; a few with non-ASCII local parts besides.
    "idn-email": lambda: st.emails() | st.sampled_from(["jürgen@müller.example", "josé@example.com"]),
    "uri": lambda: urls(),
    "uuid": lambda: st.uuids().map(str),
    "ipv4": lambda: st.ip_addresses(v=4).map(str),
    "ipv6": lambda: st.ip_addresses(v=6).map(str),
}


def format_strategy(name: str) -> Strategy | None:
    """Strings of the JSON Schema format ``name`` (None for a format not listed above)."""
    make = _FORMATS.get(name)
    return make() if make is not None else None


# -- small helpers ------------------------------------------------------------------------------


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


#: What ECMA-262 (the dialect of JSON Schema patterns, and of jsonschema-rs) means by these, in Python's.
_ECMA_ESCAPES = {"d": ("[0-9]", "0-9"), "w": ("[A-Za-z0-9_]", "A-Za-z0-9_")}
_ECMA_DOT = "[^\n\r\u2028\u2029]"  # Python's `.` also matches "\r", U+2028 and U+2029


def _python_pattern(pattern: str) -> str:
    r"""An ECMA-262 ``pattern`` as a Python regular expression to draw strings from: ``\d`` and ``\w`` are
    ASCII there, and ``.`` matches no line terminator. Close enough to draw from; ``ecma_matcher``, the
    validator's own engine, decides what is kept."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped in _ECMA_ESCAPES:
                out.append(_ECMA_ESCAPES[escaped][1 if in_class else 0])
            else:
                out.append(char + escaped)
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class and out and out[-1] != "[":
            in_class = False
        out.append(_ECMA_DOT if char == "." and not in_class else char)
        index += 1
    return "".join(out)


@cache
def ecma_matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a string matches ``pattern`` as the validator reads it (jsonschema-rs: ECMA-262, searched)."""
    is_valid: Callable[[str], bool] = jsonschema_rs.validator_for({"pattern": pattern}).is_valid
    return is_valid


def _any_json(depth: int, max_depth: int) -> Strategy:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-MAX_INTEGER, MAX_INTEGER),
                        st.floats(-MAX_NUMBER, MAX_NUMBER, allow_nan=False, allow_subnormal=False),
                        st.text(_CHARACTERS, max_size=12))
    if depth >= max_depth:
        return scalars
    return st.recursive(scalars, lambda children: st.lists(children, max_size=3)
                        | st.dictionaries(st.text(_CHARACTERS, max_size=8), children, max_size=3), max_leaves=6)


def _exactly_one(checks: list[Predicate]) -> Predicate:
    return lambda value: sum(1 for check in checks if check(value)) == 1


def _contains(values: list[Any], value: Any) -> bool:
    return any(_same(candidate, value) for candidate in values)


def _same(left: Any, right: Any) -> bool:
    # JSON equality: 1 == 1.0, but true != 1.
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right) and _canonical(left) == _canonical(right) if isinstance(left, (dict, list)) \
        else bool(left == right)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _unique(values: list[Any]) -> bool:
    return len({_canonical(value) for value in values}) == len(values)


def _is_multiple(value: float, step: float) -> bool:
    quotient = value / step
    return math.isfinite(quotient) and float(quotient).is_integer()


def _number(value: float) -> float:
    return int(value) if float(value).is_integer() and abs(value) <= MAX_INTEGER else value


def _within(value: float, low: float, high: float, exclude_low: bool, exclude_high: bool) -> bool:
    return (value > low if exclude_low else value >= low) and (value < high if exclude_high else value <= high)


def _excludes_integers(merged: _Merged) -> bool:
    return bool(merged.multiple_of)


def _min(current: Any, value: Any) -> Any:
    return value if current is None else min(current, value)


def _max(current: Any, value: Any) -> Any:
    return value if current is None else max(current, value)
