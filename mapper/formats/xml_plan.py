"""How a JSON Schema with OpenAPI ``xml`` hints lays a record out as XML.

``ObjectPlan`` is compiled once per object schema (and per namespace in
force), so reading and writing a record is dict lookups, never a walk of the
schema. The XML reader and writer share it; docs/xml.md states the rules:

- a property is a child element named ``xml.name`` or the property name, in
  ``xml.namespace`` or else its parent element's namespace;
- ``xml.attribute: true`` makes it an attribute (in no namespace unless
  ``xml.namespace`` says so, as in XML itself);
- an array property is a repeated element named by its ``items``' ``xml.name``
  (or the property name); with ``xml.wrapped: true`` the items sit inside a
  wrapper element named by the array's own ``xml.name``;
- the text of an element that is an object goes to the property ``#text`` (or
  the one marked ``xml: {"x-text": true}``);
- text is converted to the property's JSON type; a string type keeps text as it
  is (``"01234"`` stays a string).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..schemas import SchemaNode

XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
NIL: Final = f"{{{XSI}}}nil"
#: Property that holds the text of an element that is an object.
TEXT_KEY: Final = "#text"
#: Prefixes the fallback convention and the writer always know.
WELL_KNOWN_PREFIXES: Final = {"xsi": XSI, "xml": XML_NS}

#: Field kinds.
STRING: Final = 0  # text kept as is
TYPED: Final = 1  # text converted by ``Field.convert``
OBJECT: Final = 2  # attributes and child elements, by ``Field.plan``
ANY: Final = 3  # nothing known: the xmltodict-style fallback


class _Omit:
    """Marks "no value": the property is left out of the record."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit()

Converter = Callable[[str], Any]
Step = tuple[str, int, bool, Any, Any, Any, "str | None"]


def clark(namespace: str | None, local: str) -> str:
    """The tag lxml uses: ``{uri}local``, or ``local`` in no namespace."""
    return f"{{{namespace}}}{local}" if namespace else local


def split_clark(tag: str) -> tuple[str | None, str]:
    """``{uri}local`` -> (uri, local)."""
    if tag[:1] == "{":
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return None, tag


@dataclass(eq=False, slots=True)
class Field:
    """One property of an object schema and where it lives in XML.

    ``tag`` is the attribute name or the element tag (Clark notation); for an
    array it is the tag of each item, and ``wrapper`` the tag of the wrapping
    element when ``xml.wrapped`` is set. ``kind``, ``convert`` and ``plan``
    describe the value (of each item, for an array). ``empty`` is what an empty
    element gives, ``nil`` what ``xsi:nil="true"`` gives (``OMIT``: nothing).
    """

    key: str
    tag: str
    kind: int
    attribute: bool = False
    is_list: bool = False
    wrapper: str | None = None
    convert: Converter | None = None
    plan: ObjectPlan | None = None
    empty: Any = OMIT
    nil: Any = OMIT

    def step(self) -> Step:
        """(key, kind, is_list, converter or plan, empty, nil, item tag inside a wrapper or None)."""
        arg = self.plan if self.kind == OBJECT else self.convert
        return (self.key, self.kind, self.is_list, arg, self.empty, self.nil,
                self.tag if self.wrapper is not None else None)


@dataclass(eq=False, slots=True)
class ObjectPlan:
    """Reading and writing rules of one object schema at one namespace.

    ``children`` maps a child element's tag (Clark notation) to its field, or
    to the wrapper's field for a wrapped array; ``attributes`` maps attribute
    names. ``fields`` keeps the schema's order for writing.
    """

    namespace: str | None
    fields: list[Field] = field(default_factory=list)
    children: dict[str, Field] = field(default_factory=dict)
    attributes: dict[str, Field] = field(default_factory=dict)
    text: Field | None = None
    by_key: dict[str, Field] = field(default_factory=dict)
    #: What the reader's inner loop unpacks, per child tag: see ``Field.step``.
    steps: dict[str, Step] = field(default_factory=dict)
    #: Per attribute name: (property, converter or None for text as is).
    attribute_steps: dict[str, tuple[str, Converter | None]] = field(default_factory=dict)

    def compile_steps(self) -> None:
        self.steps = {tag: entry.step() for tag, entry in self.children.items()}
        self.attribute_steps = {name: (entry.key, entry.convert) for name, entry in self.attributes.items()}


def to_integer(text: str) -> Any:
    """An integer, or the text unchanged when it is not one (the validator reports it)."""
    try:
        value = int(text)
    except ValueError:
        number = to_number(text)
        return int(number) if isinstance(number, float) and number.is_integer() else text
    return text if "_" in text else value


def to_number(text: str) -> Any:
    """An int or float (finite), or the text unchanged."""
    try:
        return text if "_" in text else int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) and "_" not in text else text


#: xsd:boolean's lexical space, after XML Schema's whitespace collapse (leading and trailing spaces go).
_BOOLEANS: Final = {"true": True, "1": True, "false": False, "0": False}
_XML_SPACE: Final = " \t\n\r"


def to_boolean(text: str) -> Any:
    """xsd:boolean (exactly ``true``, ``false``, ``1``, ``0``, spaces around allowed), or the text unchanged."""
    value = _BOOLEANS.get(text.strip(_XML_SPACE))
    return text if value is None else value


class NotBoolean(ValueError):
    """Text where the schema allows only a boolean, outside xsd:boolean's lexical space."""

    def __init__(self, name: str, text: str) -> None:
        super().__init__(name, text)
        self.name = name
        self.text = text
        self.line: int | None = None  # of the element, filled in by the reader

    def __str__(self) -> str:
        hint = " (XML Schema booleans are lower case)" if self.text.strip(_XML_SPACE).lower() in _BOOLEANS else ""
        return f"{self.name} is {self.text!r}, not an XML Schema boolean: true, false, 1 or 0{hint}"


def strict_boolean(name: str) -> Converter:
    """The converter of a property that may only be a boolean (or null): text outside xsd:boolean raises
    ``NotBoolean`` naming ``name``, so that the record is refused rather than read as a string."""

    def convert(text: str) -> bool:
        value = _BOOLEANS.get(text.strip(_XML_SPACE))
        if value is None:
            raise NotBoolean(name, text)
        return value

    return convert


def _converter(types: frozenset[str], name: str) -> Converter:
    """The converter for a scalar that may have any of ``types`` (string excluded); ``name`` (the attribute
    or element, as a message shows it) for a boolean that can be nothing else."""
    if not types - {"boolean", "null"}:
        return strict_boolean(name)
    tries: list[Converter] = []
    if "boolean" in types:
        tries.append(to_boolean)
    if "number" in types:
        tries.append(to_number)
    elif "integer" in types:
        tries.append(to_integer)
    if len(tries) == 1:
        return tries[0]
    if not tries:
        return str

    def convert(text: str) -> Any:
        for attempt in tries:
            value = attempt(text)
            if value is not text:
                return value
        return text

    return convert


class PlanBuilder:
    """Compiles object plans from one schema, reusing them for recursive schemas."""

    def __init__(self) -> None:
        self._plans: dict[tuple[int, str | None], ObjectPlan] = {}
        self._keep: list[Any] = []  # schemas whose id() keys the cache stay alive
        self.prefixes: dict[str, str] = {}  # prefix -> URI, from xml hints

    def object_plan(self, node: SchemaNode, namespace: str | None) -> ObjectPlan:
        """The plan of an object schema whose element's namespace is ``namespace``."""
        cache_key = (id(node.schema), namespace)
        plan = self._plans.get(cache_key)
        if plan is not None:
            return plan
        self._keep.append(node.schema)
        plan = ObjectPlan(namespace)
        self._plans[cache_key] = plan
        for name in node.property_names():
            child = node.property(name)
            if child is not None:
                self._add_field(plan, name, child)
        if plan.text is None and TEXT_KEY not in plan.by_key:
            plan.text = Field(TEXT_KEY, "", STRING)
        plan.compile_steps()
        return plan

    def _add_field(self, plan: ObjectPlan, name: str, node: SchemaNode) -> None:
        hints = _hints(node)
        types = node.types()
        if hints.get("x-text") is True or name == TEXT_KEY:
            plan.text = self._scalar(name, "", types, "the element's text")
            plan.by_key[name] = plan.text
            return
        own_namespace = hints.get("namespace") if isinstance(hints.get("namespace"), str) else None
        self._learn_prefix(hints, own_namespace)
        if hints.get("attribute") is True:
            local = str(hints.get("name", name))
            scalar = self._scalar(name, clark(own_namespace, local), types, f"the attribute {local}")
            scalar.attribute = True
            plan.attributes[scalar.tag] = scalar
            plan.fields.append(scalar)
            plan.by_key[name] = scalar
            return
        namespace = own_namespace or plan.namespace
        if types is not None and "array" in types and not types & {"object", "string"}:
            entry = self._array(name, node, hints, namespace)
        else:
            entry = self._value(name, clark(namespace, str(hints.get("name", name))), node, types, namespace)
        plan.children[entry.wrapper or entry.tag] = entry
        plan.fields.append(entry)
        plan.by_key[name] = entry

    def _array(self, name: str, node: SchemaNode, hints: Mapping[str, Any], namespace: str | None) -> Field:
        items = node.items()
        item_hints = _hints(items) if items is not None else {}
        item_namespace = item_hints.get("namespace") if isinstance(item_hints.get("namespace"), str) else None
        self._learn_prefix(item_hints, item_namespace)
        item_namespace = item_namespace or namespace
        item_tag = clark(item_namespace, str(item_hints.get("name", name)))
        if items is None:
            entry = Field(name, item_tag, ANY, nil=None)
        else:
            entry = self._value(name, item_tag, items, items.types(), item_namespace)
        entry.is_list = True
        if hints.get("wrapped") is True:
            entry.wrapper = clark(namespace, str(hints.get("name", name)))
        return entry

    def _value(self, name: str, tag: str, node: SchemaNode, types: frozenset[str] | None,
               namespace: str | None) -> Field:
        if types is None:
            return Field(name, tag, ANY, nil=None)
        if "object" in types:
            nil = None if "null" in types else OMIT
            return Field(name, tag, OBJECT, plan=self.object_plan(node, namespace), nil=nil)
        return self._scalar(name, tag, types, f"<{split_clark(tag)[1]}>")

    @staticmethod
    def _scalar(name: str, tag: str, types: frozenset[str] | None, label: str) -> Field:
        if types is None:
            return Field(name, tag, ANY, nil=None)
        nil = None if "null" in types else OMIT
        if "string" in types or not types - {"null"}:
            return Field(name, tag, STRING, empty="" if "string" in types else nil, nil=nil)
        return Field(name, tag, TYPED, convert=_converter(types, label), empty=nil, nil=nil)

    def _learn_prefix(self, hints: Mapping[str, Any], namespace: str | None) -> None:
        prefix = hints.get("prefix")
        if namespace and isinstance(prefix, str) and prefix not in self.prefixes:
            self.prefixes[prefix] = namespace


def _hints(node: SchemaNode) -> Mapping[str, Any]:
    hints = node.keyword("xml")
    return hints if isinstance(hints, dict) else {}


def root_hints(node: SchemaNode) -> Mapping[str, Any]:
    """The ``xml`` keyword of a schema (empty when it has none)."""
    return _hints(node)
