"""Writing records as XML, laid out by the target schema's ``xml`` hints.

The mirror of ``xml_read``: what the writer makes of a record valid under the
schema, the reader turns back into the same record. Properties the schema does
not describe are written with the xmltodict convention (``@attr`` keys are
attributes, ``#text`` is text, a list is a repeated element).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any, cast

from lxml import etree

from ..errors import Problem, RecordError
from ..schemas import Schema

if TYPE_CHECKING:
    from ..mapping import Mapping as MapperMapping
from .xml_plan import (
    ANY,
    NIL,
    OBJECT,
    TEXT_KEY,
    WELL_KNOWN_PREFIXES,
    Field,
    ObjectPlan,
    PlanBuilder,
    clark,
    root_hints,
    split_clark,
)


class XmlWriter:
    """Writes records as one XML document.

    With ``root`` every record is an element under it (``root`` ``Claims``,
    records ``Claim``); without, the one record is the document element. The
    record element is ``record_element``, else the schema's ``xml.name``, else
    ``record``. Names may carry a prefix bound in ``namespaces`` (prefix ->
    URI), which also names the prefixes to declare.
    """

    def __init__(self, schema: Schema | None = None, *, root: str | None = None, record_element: str | None = None,
                 encoding: str = "utf-8", declaration: bool = True, pretty: bool = True,
                 namespaces: Mapping[str, str] | None = None) -> None:
        self.encoding = encoding
        self.declaration = declaration
        self.pretty = pretty
        builder = PlanBuilder()
        hints = root_hints(schema.root) if schema is not None else {}
        known = dict(namespaces or {})
        self.record_tag = _record_tag(record_element, hints, known)
        namespace = split_clark(self.record_tag)[0]
        self._plan = builder.object_plan(schema.root, namespace) if schema is not None else None
        prefixes = {**WELL_KNOWN_PREFIXES, **builder.prefixes, **known}
        prefixes.pop("xml")  # always bound; lxml refuses to declare it
        self._prefixes = {uri: prefix for prefix, uri in prefixes.items()}
        self.nsmap: dict[str | None, str] = {prefix: uri for prefix, uri in prefixes.items()}
        if namespace and namespace not in self.nsmap.values():
            self.nsmap[hints.get("prefix") if isinstance(hints.get("prefix"), str) else None] = namespace
        self.root_tag = _resolve(root, known, namespace) if root else None
        self._root_start, self._root_end, self._declared = self._root_markup()
        self._stream: IO[bytes] | None = None
        self._encoder = codecs.getincrementalencoder(encoding)("xmlcharrefreplace")
        self._count = 0

    @classmethod
    def for_mapping(cls, mapping: MapperMapping) -> XmlWriter:
        """The writer for a mapping's target side (schema, ``namespaces`` and the ``xml`` options)."""
        side = mapping.spec.target
        options = dict(side.xml)
        return cls(mapping.target_schema, namespaces=side.namespaces, **options)

    def begin(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._encoder = codecs.getincrementalencoder(self.encoding)("xmlcharrefreplace")
        self._count = 0
        if self.declaration:
            self._put(f"<?xml version='1.0' encoding='{self.encoding}'?>\n")
        if self.root_tag is not None:
            self._put(self._root_start)

    def write(self, record: Any) -> None:
        assert self._stream is not None, "begin() first"
        if self.root_tag is None and self._count:
            raise ValueError("an XML document has one document element: give the writer a root for several records")
        element = self.element(record)
        if self.pretty:
            etree.indent(element, space="  ", level=1 if self.root_tag else 0)
        text = etree.tostring(element, encoding="unicode")
        if self.root_tag is not None:
            # The document element declares these once; lxml would repeat them on every record.
            start = text.index(">")
            text = self._declared.sub("", text[:start]) + text[start:]
            if self.pretty:
                text = "\n  " + text
        self._put(text)
        self._count += 1

    def end(self) -> None:
        assert self._stream is not None, "begin() first"
        if self.root_tag is not None:
            self._put(("\n" if self.pretty and self._count else "") + self._root_end)
        if self.pretty:
            self._put("\n")
        self._put("", final=True)
        self._stream = None

    def close(self) -> None:
        """Let go of an output that will not be ended (after an error); nothing when ended."""
        self._stream = None

    def _put(self, text: str, *, final: bool = False) -> None:
        assert self._stream is not None
        self._stream.write(self._encoder.encode(text, final))

    def element(self, record: Any) -> etree._Element:
        """The element of one record. Raises ``RecordError`` when XML cannot hold it."""
        try:
            element = etree.Element(self.record_tag, nsmap=cast(Any, self.nsmap))  # None: the default namespace
            if self._plan is not None and isinstance(record, dict):
                _Builder(self._prefixes).object(element, self._plan, record)
            else:
                _Builder(self._prefixes).fill_any(element, record)
            etree.cleanup_namespaces(element)
        except (ValueError, TypeError) as error:
            raise RecordError([Problem(f"cannot be written as XML: {error}", stage="target")]) from error
        return element

    def _root_markup(self) -> tuple[str, str, re.Pattern[str]]:
        """The document element's start and end tags, and what matches the declarations it makes."""
        if self.root_tag is None:
            return "", "", re.compile(r"(?!)")
        # xsi is declared only by the records that use it (xsi:nil), as before.
        nsmap = {prefix: uri for prefix, uri in self.nsmap.items() if prefix != "xsi"}
        empty = etree.tostring(etree.Element(self.root_tag, nsmap=cast(Any, nsmap)), encoding="unicode")
        start = empty[:-2] + ">"
        name = start[1:].split(None, 1)[0].rstrip(">")
        declared = "|".join(map(re.escape, _DECLARATION.findall(start)))
        return start, f"</{name}>", re.compile(declared or r"(?!)")


#: A namespace declaration as lxml writes it in a start tag (values quoted with ", which they never hold).
_DECLARATION = re.compile(r' xmlns(?::[^\s=]+)?="[^"]*"')


def _record_tag(record_element: str | None, hints: Mapping[str, Any], known: Mapping[str, str]) -> str:
    namespace = hints.get("namespace") if isinstance(hints.get("namespace"), str) else None
    if record_element:
        return _resolve(record_element, known, namespace)
    return clark(namespace, str(hints.get("name", "record")))


def _resolve(name: str, known: Mapping[str, str], namespace: str | None) -> str:
    """``p:local`` (``p`` bound in ``known``), ``{uri}local`` or ``local`` (in ``namespace``) -> Clark tag."""
    if name.startswith("{"):
        return name
    prefix, _, local = name.rpartition(":")
    if prefix:
        if prefix not in known:
            raise ValueError(f"the prefix {prefix!r} of {name!r} is not bound in namespaces")
        return clark(known[prefix], local)
    return clark(namespace, local)


def text_of(value: Any) -> str:
    """XML text of a scalar: ``true``/``false``, numbers as JSON writes them, strings as they are."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    raise TypeError(f"{type(value).__name__} value {value!r} where the schema expects a scalar")


class _Builder:
    """Builds the element tree of one record."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes  # URI -> prefix

    def object(self, element: etree._Element, plan: ObjectPlan, record: dict[str, Any]) -> None:
        """Fill ``element`` from ``record`` by ``plan``: schema order first, then undeclared keys."""
        for entry in plan.fields:
            if entry.key in record:
                self.field(element, entry, record[entry.key])
        text = plan.text
        if text is not None and text.key in record and record[text.key] is not None:
            element.text = text_of(record[text.key])
        namespace = plan.namespace
        for key, value in record.items():
            if key not in plan.by_key and key != TEXT_KEY:
                self.extra(element, key, value, namespace)

    def field(self, element: etree._Element, entry: Field, value: Any) -> None:
        if entry.attribute:
            if value is not None:
                element.set(entry.tag, text_of(value))
            return
        parent = element
        if entry.wrapper is not None:
            parent = etree.SubElement(element, entry.wrapper)
        if entry.is_list and isinstance(value, list):
            for item in value:
                self.value(etree.SubElement(parent, entry.tag), entry, item)
        else:
            self.value(etree.SubElement(parent, entry.tag), entry, value)

    def value(self, element: etree._Element, entry: Field, value: Any) -> None:
        if value is None:
            element.set(NIL, "true")
        elif entry.kind == OBJECT and isinstance(value, dict):
            self.object(element, entry.plan, value)  # type: ignore[arg-type]
        elif entry.kind == ANY or isinstance(value, (dict, list)):
            self.fill_any(element, value)
        else:
            element.text = text_of(value)

    def extra(self, element: etree._Element, key: str, value: Any, namespace: str | None) -> None:
        """A property the schema does not describe, by the xmltodict convention."""
        if key.startswith("@"):
            if value is not None:
                element.set(self.tag(key[1:], None), text_of(value))
            return
        tag = self.tag(key, namespace)
        for item in value if isinstance(value, list) else [value]:
            self.fill_any(etree.SubElement(element, tag), item)

    def fill_any(self, element: etree._Element, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, dict):
            element.text = text_of(value)
            return
        namespace = split_clark(str(element.tag))[0]
        for key, item in value.items():
            if key == TEXT_KEY:
                if item is not None:
                    element.text = text_of(item)
            else:
                self.extra(element, key, item, namespace)

    def tag(self, key: str, namespace: str | None) -> str:
        """A fallback key (``local``, ``prefix:local``, ``{uri}local``) as a Clark name."""
        if key.startswith("{"):
            return key
        prefix, _, local = key.rpartition(":")
        if prefix:
            for uri, known in self.prefixes.items():
                if known == prefix:
                    return clark(uri, local)
            if prefix == "xml":
                return clark("http://www.w3.org/XML/1998/namespace", local)
        return clark(namespace, key)
