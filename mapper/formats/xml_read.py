"""Reading XML payloads into records, through the source schema.

``XmlReader`` streams: with a ``records`` path (``/Export/Patients/Patient``)
it converts each record element as soon as it ends, then clears it and drops
the siblings parsed before it, so memory stays flat however large the
document. Conversion follows a plan compiled once from the schema
(``xml_plan``); what the schema does not describe falls back to the
xmltodict convention (``@attr``, ``#text``, repeated elements as lists).

Parsing is locked down: no DTD (any ``<!DOCTYPE>`` is refused), no entity
expansion, no network, libxml2's limits on depth and amplification on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import IO, TYPE_CHECKING, Any, Final, cast

from lxml import etree

from ..errors import HostileInputError, PayloadError, PayloadSyntaxError, TooDeepError
from ..schemas import Schema
from . import MAX_ATTRIBUTES, MAX_DEPTH, MAX_ELEMENTS, SKIPPED
from .xml_needs import fallback_keys

if TYPE_CHECKING:
    from ..mapping import Mapping as MapperMapping
from .xml_plan import (
    NIL,
    OBJECT,
    OMIT,
    STRING,
    TEXT_KEY,
    TYPED,
    WELL_KNOWN_PREFIXES,
    Field,
    NotBoolean,
    ObjectPlan,
    PlanBuilder,
    Step,
    clark,
    root_hints,
    split_clark,
)

#: libxml2 refuses deeper documents whatever ``max_depth`` says (we never set XML_PARSE_HUGE).
LIBXML2_MAX_DEPTH: Final = 256

#: Parser options: nothing is fetched, expanded or loaded.
_SAFE: Final[dict[str, Any]] = dict(
    resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, dtd_validation=False,
    remove_comments=True, remove_pis=True, remove_blank_text=True, collect_ids=False,
)
_TRUE: Final = frozenset({"true", "1"})
_HOSTILE_MESSAGES: Final = ("Excessive depth", "amplification", "entity reference loop", "Detected an entity",
                             "the parser's limit")
#: libxml2's advice names parser options and functions the user cannot reach: it goes, and its limits are
#: said in the user's terms (the limits themselves hold on purpose).
_LIBXML2_ADVICE: Final = re.compile(r",? *(?:use|try|see) (?:XML_PARSE_\w+|xml\w+)(?: option)?\.?")
_REWORDED: Final = (
    ("Excessive depth in document: 256", "Excessive depth in document: 256 nested elements at most"),
    ("Resource limit exceeded: Text node too long", "a text longer than 10,000,000 bytes, the parser's limit"),
    ("Resource limit exceeded: Buffer size limit exceeded",
     "a text, attribute value or name longer than 10,000,000 bytes, the parser's limit"),
)
_POSITION_SUFFIX: Final = re.compile(r", line \d+, column \d+$")


class XmlReader:
    """Reads records from an XML document, typed and shaped by ``schema``.

    ``records`` is the path of the record element, e.g. ``/response/data/METAR``
    or ``/hl7:ClinicalDocument``, its prefixes bound in ``namespaces`` (prefix
    -> URI; a step without prefix is in no namespace, as in XPath). Without it
    the document element is the one record. ``max_depth`` limits the nesting
    of elements in a record (the record element is level 1): a deeper record
    is yielded as a ``TooDeepError`` and reading goes on. libxml2 stops the
    whole document at 256 levels from the document element. A record with an
    element of more than ``max_attributes`` attributes is yielded as a
    ``HostileInputError`` in its place; one of more than ``max_elements``
    elements refuses the document there (``HostileInputError``), before its
    parsed part outgrows memory.
    """

    def __init__(self, schema: Schema | None = None, records: str | None = None,
                 namespaces: Mapping[str, str] | None = None, *, max_depth: int = MAX_DEPTH,
                 max_attributes: int = MAX_ATTRIBUTES, max_elements: int = MAX_ELEMENTS,
                 fallback_keys: frozenset[str] | None = None) -> None:
        self.namespaces = dict(namespaces or {})
        self.records_path = records
        self.max_depth = max_depth
        self.max_attributes = max_attributes
        self.max_elements = max_elements
        self._path = _parse_path(records, self.namespaces) if records else None
        #: The line of the record element last yielded (where its start tag is), for messages.
        self.record_line: int | None = None
        #: The element of the record yielded last, until reading goes on (``line_of``).
        self._element: etree._Element | None = None
        #: As for ``JsonReader``: whether the document is one record (no ``records``, or a path naming the
        #: document element), so that a conversion writes that record rather than an array of it.
        self.document_is_record: bool | None = None
        builder = PlanBuilder()
        self._plan: ObjectPlan | None = None
        #: Without ``records``: what the schema's xml hints say of the document element (name, namespace).
        self._root: tuple[str | None, str | None] | None = None
        if schema is not None:
            root = schema.root
            hints = root_hints(root)
            namespace = hints.get("namespace") if isinstance(hints.get("namespace"), str) else None
            name = hints.get("name") if isinstance(hints.get("name"), str) else None
            if self._path is None and (namespace or name):
                self._root = (namespace, name)
            if namespace is None:
                namespace = split_clark(self._path[-1])[0] if self._path else None
            self._plan = builder.object_plan(root, namespace)
        prefixes = {**WELL_KNOWN_PREFIXES, **builder.prefixes, **self.namespaces}
        keep = fallback_keys if self._plan is not None else None
        self._names = _Names({uri: prefix for prefix, uri in prefixes.items()}, max_attributes, keep)

    def line_of(self, pointer: str) -> int | None:
        """The line of the element that ``pointer`` (a JSON pointer into the record yielded last) names, or of
        an attribute's element; where the pointer goes on into what the schema leaves open, of the last
        described element on its way. Valid only until reading goes on (the element is freed then); None
        without a schema, or once it is freed.

        Only a record that is rejected pays for this: the element is walked through the reading plan.
        """
        element, plan = self._element, self._plan
        if element is None or plan is None:
            return None
        parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]
        found = element
        while parts and plan is not None:
            entry = plan.by_key.get(parts.pop(0))
            if entry is None or entry.attribute or entry is plan.text:
                break
            holder: etree._Element | None = found
            if entry.wrapper is not None:
                holder = next((child for child in found if child.tag == entry.wrapper), None)
            if holder is None:
                break
            items = [child for child in holder if child.tag == entry.tag]
            if entry.is_list or entry.wrapper is not None:
                if not parts or not parts[0].isdigit():  # the array itself: where its items are
                    found = holder if entry.wrapper is not None else (items[0] if items else found)
                    break
                index = int(parts.pop(0))
                kept = [item for item in items if not _left_out(item, entry)]  # as the record's indexes count
                if index >= len(kept):
                    break
                found = kept[index]
            elif items:
                found = items[-1]  # a property given twice takes the last one
            else:
                break
            plan = entry.plan
        return _line(found)

    @property
    def records_below_root(self) -> bool:
        """Whether the records are elements below the document element (a ``records`` path of two steps or
        more), read one after another."""
        return self._path is not None and len(self._path) > 1

    @classmethod
    def for_mapping(cls, mapping: MapperMapping) -> XmlReader:
        """The reader for a mapping's source side (schema, ``records``, ``namespaces``), reading of what the
        schema does not describe only what the mapping can see (``xml_needs``)."""
        side = mapping.spec.source
        return cls(mapping.source_schema, side.records, side.namespaces, fallback_keys=fallback_keys(mapping))

    def records(self, stream: IO[bytes], source: str, wanted: Callable[[int], bool] | None = None) -> Iterator[Any]:
        """Yield each record (a ``TooDeepError`` for one nested too deep); raise ``PayloadError`` after the last
        good one if the document breaks.

        ``wanted(n)`` (records counted from 1) false: record n is yielded as ``SKIPPED``, parsed by libxml2
        but neither converted nor checked for depth and attributes (``--jobs``: each worker converts its
        share). The document is checked as a whole all the same, so it breaks where it would.
        """
        self.document_is_record = self._path is None or len(self._path) == 1
        if self._path is None:
            yield self._whole_document(stream, source)
            self._element = None
        else:
            yield from self._stream(stream, source, self._path, wanted)

    def convert(self, element: etree._Element) -> Any:
        """The record of one element."""
        left = self.max_depth - 1
        if self._plan is None:
            return _read_any(element, left, self._names)
        record = _read_object(element, self._plan, left, self._names)
        if self._names.keep is not None:  # parts were skipped unread: the depth limit holds for them too
            deep = _too_deep_element(element, self.max_depth)
            if deep is not None:
                raise _TooDeep(_line(deep))
        return None if record is _NILLED else record

    def _whole_document(self, stream: IO[bytes], source: str) -> Any:
        stream = _refuse_doctype_early(stream, source)
        try:
            tree = etree.parse(stream, etree.XMLParser(**_SAFE))
        except etree.XMLSyntaxError as error:
            raise _parse_error(error, source, 0) from error
        _refuse_doctype(tree.docinfo, source)
        root = tree.getroot()
        self._check_root(root, source)
        if _elements_over(root, self.max_elements):
            raise self._too_many_elements(root, source, None)
        self.record_line = _line(root)
        self._element = root
        return self._convert_at(root, source)

    def _stream(self, stream: IO[bytes], source: str, path: tuple[str, ...],
                wanted: Callable[[int], bool] | None) -> Iterator[Any]:
        stream = _refuse_doctype_early(stream, source)
        # A document too short to hold a record of more than max_elements needs no counting, and no start
        # events (which cost libxml2 a third more time on C-CDA): the common case, read on its own.
        most = self.max_elements * _ELEMENT_BYTES
        head = _read_up_to(stream, most + 1)
        small = len(head) <= most
        bounded = _Bounded(cast(IO[bytes], _Replay(head, stream)), self.max_elements)
        tags = sorted({path[0], path[-1]})
        etree.clear_error_log()  # iterparse falls back on it for its own bare messages
        count = 0
        checked = False
        try:
            context = etree.iterparse(bounded, events=("end",) if small else ("start", "end"), tag=tags, **_SAFE)
            for event, element in context:
                if not checked:
                    _refuse_doctype(element.getroottree().docinfo, source)
                    checked = True
                if event == "start":
                    if element.tag == path[-1] and _at(element, path):
                        bounded.begin(element)
                    continue
                if not _at(element, path):
                    continue
                if not small and bounded.may_be_over() and _elements_over(element, self.max_elements):
                    raise _TooManyElements(element)
                bounded.record = None
                count += 1
                if wanted is None or wanted(count):
                    record = self._convert_at(element, source, count)
                    self.record_line = _line(element)
                    self._element = element
                else:
                    record = SKIPPED
                yield record
                self._element = None
                if len(path) > 1:  # else the document ends here, and goes whole
                    _forget(element)
            root = context.root
        except etree.XMLSyntaxError as error:
            raise _parse_error(error, source, count) from error
        except _TooManyElements as error:
            raise self._too_many_elements(error.record, source, count + 1) from None
        _refuse_doctype(root.getroottree().docinfo, source)
        if root.tag != path[0]:
            raise PayloadError(f"the document element is <{self._names.show(str(root.tag))}>, "
                               f"but records {self.records_path} starts at <{self._names.show(path[0])}>",
                               source=source, line=_line(root) or 1)

    def _check_root(self, root: etree._Element, source: str) -> None:
        """Refuse a document element other than the one the schema's xml hints name (``name`` and
        ``namespace``; a name without a namespace is in none)."""
        if self._root is None:
            return
        namespace, name = self._root
        uri, local = split_clark(str(root.tag))
        if uri == namespace and local == (name or local):
            return
        expected = _describe(namespace, name) if name else f"an element in {_namespace(namespace)}"
        raise PayloadError(f"the document element is {_describe(uri, local)}, but the source schema's xml "
                           f"hints say {expected}", source=source, line=_line(root) or 1)

    def _convert_at(self, element: etree._Element, source: str, number: int | None = None) -> Any:
        """The record of ``element``, or the error that refuses it (too deep, too many attributes)."""
        try:
            return self.convert(element)
        except _TooDeep as error:
            return TooDeepError(self.max_depth, source=source, line=error.line, record_number=number)
        except _TooManyAttributes as error:
            return HostileInputError(f"refused XML: an element with more than {self.max_attributes} attributes",
                                     source=source, line=error.line, record_number=number)
        except NotBoolean as error:
            return PayloadError(f"refused XML: {error}", source=source, line=error.line, record_number=number)

    def _too_many_elements(self, record: etree._Element, source: str, number: int | None) -> HostileInputError:
        return HostileInputError(f"refused XML: a record of more than {self.max_elements} elements",
                                 source=source, line=_line(record), record_number=number)


#: The fewest bytes an element takes (``<a/>``): a record of n bytes holds n / 4 elements at most.
_ELEMENT_BYTES: Final = 4
_NILLED: Final = object()
_UNSEEN: Final = object()


class _Refused(Exception):
    """An element a record may not hold; ``line`` is the element's."""

    def __init__(self, line: int | None) -> None:
        super().__init__(line)
        self.line = line


class _TooDeep(_Refused):
    """The element is nested deeper than the reader allows."""


class _TooManyAttributes(_Refused):
    """The element has more attributes than the reader allows."""


class _TooManyElements(Exception):
    def __init__(self, record: etree._Element) -> None:
        super().__init__(record)
        self.record = record


_DEPTH_PATHS: dict[int, etree.XPath] = {}


def _too_deep_element(record: etree._Element, max_depth: int) -> etree._Element | None:
    """The first element of ``record`` nested past ``max_depth`` levels (the record is level 1), found by
    libxml2 without a Python object for every element."""
    find = _DEPTH_PATHS.get(max_depth)
    if find is None:
        find = _DEPTH_PATHS[max_depth] = etree.XPath("(" + "/".join(["*"] * max_depth) + ")[1]")
    found: Any = find(record)
    return found[0] if found else None


def _elements_over(record: etree._Element, limit: int) -> bool:
    """Whether ``record`` holds more than ``limit`` elements, itself included (counting no further than that)."""
    return sum(1 for _ in islice(record.iter(), limit + 1)) > limit


class _Bounded:
    """The input of ``iterparse``: before each chunk it reads, the record being parsed (``record``, set by
    the reader with ``begin``) must hold at most ``limit`` elements, so that a huge record is refused early.

    Counting is skipped while the record spans too few bytes to hold that many elements (an element takes
    ``_ELEMENT_BYTES`` at least), so that an ordinary record costs no count at all.
    """

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self.limit = limit
        self.record: etree._Element | None = None
        self._read = 0  # bytes read so far
        self._before_last = 0  # bytes read before the last chunk (the one that holds what was just parsed)
        self._record_from = 0

    def begin(self, record: etree._Element) -> None:
        self.record = record
        self._record_from = self._before_last

    def may_be_over(self) -> bool:
        """Whether the record being parsed spans enough bytes to hold more than ``limit`` elements."""
        return self._read - self._record_from > self.limit * _ELEMENT_BYTES

    def read(self, size: int = -1) -> bytes:
        if self.record is not None and self.may_be_over() and _elements_over(self.record, self.limit):
            raise _TooManyElements(self.record)
        data = self._stream.read(size)
        self._before_last = self._read
        self._read += len(data)
        return data


class _Names:
    """Keys of elements and attributes the schema does not describe (and the attributes of an element,
    within the reader's limit).

    Same namespace as the parent element (or none): the local name. Otherwise
    ``prefix:local`` with the prefix the mapping (or a schema hint) binds to
    that URI, else ``{uri}local``. Never the document's own prefixes.
    """

    def __init__(self, prefixes: dict[str, str], max_attributes: int, keep: frozenset[str] | None = None) -> None:
        self.prefixes = prefixes  # URI -> prefix
        self.max_attributes = max_attributes
        self.keep = keep
        self._cache: dict[tuple[str, str | None], str] = {}
        self._undescribed: dict[tuple[str, ObjectPlan, bool], str | None] = {}

    def child_key(self, tag: str, plan: ObjectPlan) -> str | None:
        """The key of an undescribed child element of an object ``plan`` reads, or None to skip it (not in
        ``keep``). Never a key the plan gives a property (docs/xml.md)."""
        return self._undescribed_key(tag, plan, False)

    def attribute_key(self, name: str, plan: ObjectPlan) -> str | None:
        """The key (``@name``) of an undescribed attribute, or None to skip it."""
        return self._undescribed_key(name, plan, True)

    def _undescribed_key(self, name: str, plan: ObjectPlan, attribute: bool) -> str | None:
        cache_key = (name, plan, attribute)
        found = self._undescribed.get(cache_key, _UNSEEN)
        if found is _UNSEEN:
            prefix = "@" if attribute else ""
            found = prefix + self.key(name, None if attribute else plan.namespace)
            if found in plan.by_key:
                found = prefix + self.qualified(name)
            if self.keep is not None and found not in self.keep:
                found = None
            self._undescribed[cache_key] = found
        return found  # type: ignore[return-value]  # _UNSEEN is replaced above

    def attributes(self, element: etree._Element) -> list[tuple[str, str]]:
        """The attributes of ``element``; raises ``_TooManyAttributes`` past ``max_attributes``, before lxml
        spends time quadratic in their number to list them."""
        if len(element.attrib) > self.max_attributes:
            raise _TooManyAttributes(_line(element))
        return element.items()  # type: ignore[return-value]  # lxml-stubs say bytes too

    def key(self, tag: str, namespace: str | None) -> str:
        found = self._cache.get((tag, namespace))
        if found is None:
            uri, local = split_clark(tag)
            if uri is None or uri == namespace:
                found = local
            elif uri in self.prefixes:
                found = f"{self.prefixes[uri]}:{local}"
            else:
                found = tag
            self._cache[(tag, namespace)] = found
        return found

    def qualified(self, tag: str) -> str:
        """The key of an undescribed element or attribute whose plain key a described property already has:
        ``prefix:local`` with the mapping's prefix for its URI, else ``{uri}local``, ``{}local`` in no
        namespace."""
        uri, local = split_clark(tag)
        if uri is None:
            return "{}" + local
        return f"{self.prefixes[uri]}:{local}" if uri in self.prefixes else tag

    def show(self, tag: str) -> str:
        return self.key(tag, None)


def _namespace(uri: str | None) -> str:
    return f"namespace {uri}" if uri else "no namespace"


def _describe(uri: str | None, local: str) -> str:
    """``<local> in namespace urn:...`` (or ``in no namespace``), for messages."""
    return f"<{local}> in {_namespace(uri)}"


def _parse_path(records: str, namespaces: Mapping[str, str]) -> tuple[str, ...]:
    """``/a/p:b`` -> Clark tags; prefixes come from the mapping, not the document."""
    if not records.startswith("/") or records.endswith("/") or "//" in records:
        raise PayloadError(f"records must be an absolute path of element names like /Export/Patients/Patient, "
                           f"not {records!r}")
    tags = []
    for step in records[1:].split("/"):
        prefix, _, local = step.rpartition(":")
        if prefix and prefix not in namespaces:
            raise PayloadError(f"records {records!r} uses the prefix {prefix!r}, which namespaces does not bind")
        tags.append(clark(namespaces[prefix] if prefix else None, local))
    return tuple(tags)


def _at(element: etree._Element, path: tuple[str, ...]) -> bool:
    """Whether ``element`` sits exactly at ``path`` (its own tag already matches)."""
    node: etree._Element | None = element
    for tag in reversed(path):
        if node is None or node.tag != tag:
            return False
        node = node.getparent()
    return node is None


def _forget(element: etree._Element) -> None:
    """Free a converted record and every sibling parsed before it (clear() alone lets memory creep)."""
    element.clear()  # the tail too
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


class _Replay:
    """A binary stream whose first bytes were already read (and checked)."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        return self._rest.read(size)


def _read_up_to(stream: IO[bytes], size: int) -> bytes:
    """The next ``size`` bytes of ``stream`` (fewer only at its end), however few each read gives."""
    chunks, left = [], size
    while left > 0 and (chunk := stream.read(left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


_PROLOG_HEAD: Final = 1 << 16
_COMMENT: Final = re.compile(r"<!--.*?-->", re.DOTALL)
_ROOT_START: Final = re.compile(r"<[^?!]")


def _refuse_doctype_early(stream: IO[bytes], source: str) -> IO[bytes]:
    """Refuse a DOCTYPE before libxml2 sees it: it would otherwise try to load an external subset."""
    head = stream.read(_PROLOG_HEAD)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:2] == b"\x00<" or head[1:2] == b"\x00":
        text = head.decode("utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else
                           "utf-16-be" if head[:1] == b"\x00" else "utf-16-le", errors="ignore")
    elif b"<!DOCTYPE" not in head:
        return cast(IO[bytes], _Replay(head, stream))  # the common case, found without decoding
    else:
        text = head.decode("latin-1")  # every ASCII-compatible encoding spells the markup alike
    prolog = _COMMENT.sub("", text)
    root = _ROOT_START.search(prolog)
    if "<!DOCTYPE" in (prolog[:root.start()] if root else prolog):
        raise HostileInputError("refused XML: a DOCTYPE (DTD, entity declarations) is not accepted",
                                source=source, line=1)
    return cast(IO[bytes], _Replay(head, stream))


def _refuse_doctype(docinfo: etree.DocInfo, source: str) -> None:
    if cast(Any, docinfo).doctype or docinfo.internalDTD is not None:
        raise HostileInputError("refused XML: a DOCTYPE (DTD, entity declarations) is not accepted",
                                source=source, line=1)


def _parse_error(error: etree.XMLSyntaxError, source: str, count: int) -> PayloadError:
    message = _POSITION_SUFFIX.sub("", error.msg or str(error))
    line, column = error.position if error.position else (0, 0)
    log: Any = error.error_log
    if not line and len(log):
        # iterparse can report a bare "no element found" where libxml2 logged the real fault.
        message, line, column = log[-1].message, log[-1].line, log[-1].column
    elif not line and message == "no element found":
        message, line, column = "Document is empty", 1, 1
    message = _user_terms(message)
    after = f" (after record {count})" if count else ""
    if any(marker in message for marker in _HOSTILE_MESSAGES):
        return HostileInputError(f"refused XML: {message}{after}", source=source, line=line or None,
                                 column=column or None)
    return PayloadSyntaxError(f"malformed XML: {message}{after}", source=source, line=line or None,
                              column=column or None)


def _user_terms(message: str) -> str:
    """libxml2's message without advice the user cannot follow, its limits said plainly."""
    message = _LIBXML2_ADVICE.sub("", message).strip()
    for start, plain in _REWORDED:
        if message.startswith(start):
            return plain
    return message


def _read_object(element: etree._Element, plan: ObjectPlan, left: int, names: _Names) -> Any:
    """An element described by an object schema (``_NILLED`` when it says ``xsi:nil="true"``).

    The hot path of reading: one dict lookup per attribute and per child, the
    scalar cases inlined.
    """
    try:
        if left < 0:
            raise _TooDeep(_line(element))
        record: dict[str, Any] = {}
        attribute_steps = plan.attribute_steps
        for name, attribute_value in names.attributes(element):
            attribute = attribute_steps.get(name)
            if attribute is not None:
                record[attribute[0]] = attribute_value if attribute[1] is None else attribute[1](attribute_value)
            elif name != NIL:
                key = names.attribute_key(name, plan)
                if key is not None:
                    record[key] = attribute_value
            elif attribute_value in _TRUE:
                return _NILLED
        steps = plan.steps
        tails: list[str] | None = None
        for child in element:
            tag: Any = child.tag
            step = steps.get(tag)
            if step is None:
                key = names.child_key(tag, plan)
                if key is not None:
                    _add(record, key, _read_any(child, left - 1, names))
                elif len(child.attrib) > names.max_attributes:  # skipped unread, but not an attack
                    raise _TooManyAttributes(_line(child))
            else:
                key, kind, is_list, arg, empty, nil, item_tag = step
                if item_tag is not None:
                    record[key] = _read_items(child, step, left - 1, names)
                else:
                    value: Any
                    if kind == TYPED:
                        value = child.text if not len(child) else _string_value(child)
                        value = (nil if child.get(NIL) in _TRUE else empty) if value is None else arg(value)
                    elif kind == STRING:
                        value = child.text if not len(child) else _string_value(child)
                        if value is None:
                            value = nil if child.get(NIL) in _TRUE else empty
                    elif kind == OBJECT:
                        value = _read_object(child, arg, left - 1, names)
                        if value is _NILLED:
                            value = nil
                    else:
                        value = _read_any(child, left - 1, names)
                    if value is OMIT:
                        pass
                    elif is_list:
                        items = record.get(key)
                        if items is None:
                            record[key] = [value]
                        else:
                            items.append(value)
                    else:
                        record[key] = value
            tail = child.tail
            if tail is not None and not tail.isspace():
                tails = [tail] if tails is None else [*tails, tail]
        text = element.text
        if tails is not None or (text is not None and not text.isspace()):
            _set_text(record, plan, text, tails)
        return record
    except NotBoolean as error:
        if error.line is None:
            error.line = _culprit_line(element, error)
        raise


def _culprit_line(element: etree._Element, error: NotBoolean) -> int | None:
    """The line of the element that holds the text ``error`` refuses: a child of ``element``, or itself."""
    if not error.name.startswith("the attribute"):
        for child in element:
            if child.text == error.text:
                return _line(child)
    return _line(element)


def _string_value(element: etree._Element) -> str:
    """The whole text of an element with child markup, as XPath ``string()`` gives it: ``BUR<b>K</b>E`` is
    ``BURKE``. A scalar never loses the text after a child element."""
    return "".join(cast(Iterator[str], element.itertext()))  # lxml-stubs say bytes too


def _set_text(record: dict[str, Any], plan: ObjectPlan, text: str | None, tails: list[str] | None) -> None:
    """Text of an object element: the pieces that are not bare indentation, joined."""
    entry = plan.text
    if entry is not None:
        content = "".join(piece for piece in (text, *(tails or ())) if piece and not piece.isspace())
        record[entry.key] = content if entry.convert is None else entry.convert(content)


def _read_items(wrapper: etree._Element, step: Step, left: int, names: _Names) -> list[Any]:
    """The items of a wrapped array (other children of the wrapper are ignored)."""
    items = []
    for item in wrapper:
        if item.tag == step[6]:
            value = _read_value(item, step, left, names)
            if value is not OMIT:
                items.append(value)
    return items


def _read_value(element: etree._Element, step: Step, left: int, names: _Names) -> Any:
    """One described element's value: a scalar from its text, an object, or the fallback."""
    _, kind, _, arg, empty, nil, _ = step
    if kind <= TYPED:
        text = element.text if not len(element) else _string_value(element)
        if text is None:
            return nil if element.get(NIL) in _TRUE else empty
        return text if kind == STRING else arg(text)
    if kind == OBJECT:
        value = _read_object(element, arg, left, names)
        return nil if value is _NILLED else value
    return _read_any(element, left, names)


def _read_any(element: etree._Element, left: int, names: _Names) -> Any:
    """The xmltodict convention: ``@attr``, ``#text``, repeats as lists, stripped text, empty as null."""
    if left < 0:
        raise _TooDeep(_line(element))
    attributes = names.attributes(element)
    text = element.text
    if not attributes and not len(element):
        stripped = text.strip() if text is not None else ""
        return stripped or None
    if element.get(NIL) in _TRUE:
        return None
    own = split_clark(str(element.tag))[0]
    record: dict[str, Any] = {}
    for name, value in attributes:
        record["@" + names.key(name, None)] = value
    pieces = [text.strip()] if text is not None and not text.isspace() else []
    for child in element:
        _add(record, names.key(str(child.tag), own), _read_any(child, left - 1, names))
        if child.tail is not None and not child.tail.isspace():
            pieces.append(child.tail.strip())
    if pieces:
        record[TEXT_KEY] = "".join(pieces)
    return record


def _left_out(element: etree._Element, entry: Field) -> bool:
    """Whether the reader leaves the item ``element`` of an array out of the record (an empty or nilled item
    whose value is ``OMIT``)."""
    nilled = element.get(NIL) in _TRUE
    if entry.kind == OBJECT:
        return nilled and entry.nil is OMIT
    if entry.kind <= TYPED and element.text is None and not len(element):
        return (entry.nil if nilled else entry.empty) is OMIT
    return False


def _line(element: etree._Element) -> int | None:
    line: Any = element.sourceline
    return line if isinstance(line, int) else None


def _add(record: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key``; a second value for it turns it into a list (xmltodict's rule)."""
    if key not in record:
        record[key] = value
        return
    current = record[key]
    if isinstance(current, list):
        current.append(value)
    else:
        record[key] = [current, value]
