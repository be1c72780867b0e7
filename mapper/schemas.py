"""Load JSON Schemas from disk, resolve ``$ref`` across files, and walk them.

``load_schema`` reads a schema file (draft 2020-12 or draft-07, chosen by its
``$schema``), checks it against its meta-schema, and resolves every ``$ref``
once, at load time, relative to the schema's own location, so a missing
referenced file is reported when the mapping is loaded, not per record.
Nothing is ever fetched from the network: a ``$ref`` to an ``http(s)`` URI is
looked up on disk beside the schema whose ``$id`` shares its base.

``SchemaNode`` is a subschema together with the scope of its place (the base
URI its ``$ref`` resolve against), and the one walker of schema structure: it
answers the questions the rest of mapper asks of a schema (allowed types,
properties, required names, items, the ``xml`` hints), the compiler and the
checker alike. Local ``$ref``s are resolved here, in plain Python; the
``referencing`` registry is built only for the reference validator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import jsonschema_rs

from .documents import DocPath, Document, load_document
from .errors import Location, MappingSyntaxError, SchemaError
from .jsontypes import schema_type, type_allows

if TYPE_CHECKING:  # the reference validator and its registry are imported only to explain (a third of a start-up)
    import jsonschema
    import referencing


@dataclass
class Schema:
    """A loaded schema file with every schema it references.

    Picklable: the registry is rebuilt from ``documents`` (URI -> contents).
    """

    uri: str
    path: str
    contents: Any
    documents: dict[str, Any] = field(repr=False)

    @cached_property
    def registry(self) -> referencing.Registry[Any]:
        """The ``referencing`` registry of ``documents``, for the reference validator alone."""
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        resources = [
            (uri, Resource.from_contents(contents, default_specification=DRAFT202012))
            for uri, contents in self.documents.items()
        ]
        return Registry().with_resources(resources).crawl()

    @cached_property
    def _resources(self) -> dict[str, tuple[Any, str]]:
        """Every schema a ``$ref`` may name without a JSON pointer (URI -> schema, base URI in force at it)."""
        return _index_resources(self.documents)

    @cached_property
    def validator_class(self) -> type[jsonschema.protocols.Validator]:
        import jsonschema.validators

        cls: type[jsonschema.protocols.Validator] = jsonschema.validators.validator_for(
            self.contents, default=jsonschema.Draft202012Validator
        )
        return cls

    def validator(self, *, check_formats: bool = True) -> jsonschema.protocols.Validator:
        """A reference validator for this schema (reuse it: building one costs).

        Its ``format`` checks are jsonschema-rs's (``format_checker``), so that
        every part of mapper gives one verdict on a value.
        """
        checker = self.format_checker() if check_formats else None
        contents = self.contents
        if isinstance(contents, dict) and "$id" not in contents:
            # Anchor relative $refs at the file's own location.
            contents = {"$id": self.uri, **contents}
        return self.validator_class(contents, registry=self.registry, format_checker=checker)

    def format_checker(self) -> jsonschema.FormatChecker:
        """A ``FormatChecker`` for every ``format`` this schema uses, decided by jsonschema-rs.

        jsonschema-rs is the judge of formats: the reference ``jsonschema``
        leaves ``uri``, ``hostname`` and others unchecked unless optional
        packages are installed, and refuses leap seconds that RFC 3339 allows.
        """
        import jsonschema

        checker = jsonschema.FormatChecker(formats=())
        for name in sorted(_formats_used(self.documents.values())):
            is_valid = jsonschema_rs.validator_for({"format": name}, validate_formats=True).is_valid
            checker.checks(name)(_string_check(is_valid))
        return checker

    @property
    def root(self) -> SchemaNode:
        return SchemaNode(self.contents, _Scope(self, self.uri).at(self.contents))

    def __getstate__(self) -> dict[str, Any]:
        return {"uri": self.uri, "path": self.path, "contents": self.contents, "documents": self.documents}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class _Unresolvable(LookupError):
    """A ``$ref`` names nothing in the loaded schema files (``load_schema`` reports it as a ``SchemaError``)."""


class _Scope:
    """Where a subschema sits: the loaded schema files and the base URI its ``$ref`` resolve against.

    Resolves local references (``#/...`` pointers, ``$anchor`` names, other
    loaded files and their ``$id``) in plain Python: ``referencing`` costs a
    sixth of a start-up and is built only for the reference validator.
    """

    __slots__ = ("base", "schema")

    def __init__(self, schema: Schema, base: str) -> None:
        self.schema = schema
        self.base = base

    def at(self, contents: Any) -> _Scope:
        """The scope inside ``contents``: a new base when it declares an ``$id``."""
        if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
            base, fragment = urldefrag(urljoin(self.base, contents["$id"]))
            if not fragment:  # a draft-07 "$id": "#name" names an anchor, not a base
                return _Scope(self.schema, base)
        return self

    def lookup(self, ref: str) -> tuple[Any, _Scope]:
        """The schema ``ref`` names and the scope inside it; raises ``_Unresolvable``."""
        uri, fragment = urldefrag(urljoin(self.base, ref))
        resources = self.schema._resources
        if fragment and not fragment.startswith("/"):
            found = resources.get(f"{uri}#{unquote(fragment)}")
            if found is None:
                raise _Unresolvable(ref)
            return found[0], _Scope(self.schema, found[1])
        if uri not in resources:
            raise _Unresolvable(ref)
        node, base = resources[uri]
        scope = _Scope(self.schema, base)
        for token in fragment.split("/")[1:]:
            token = unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise _Unresolvable(ref)
            scope = scope.at(node)
        return node, scope


class SchemaNode:
    """A subschema and the scope for ``$ref`` at its place in the document.

    The one walker of schema structure: the compiler, the XML formats and the
    checker all ask it what describes a property, the items or the node, so
    they cannot disagree about a field. The keywords combine so:

    - ``$ref`` is followed (``resolved``); keywords beside it are read as an ``allOf``.
    - ``allOf`` members are *parts*: what a part says, the node says (``parts``).
    - ``anyOf`` / ``oneOf`` members and the ``then`` / ``else`` of an ``if``
      are *branches*: the instance may be described by any of them
      (``branches``). A property or the items declared only in branches are
      described by every branch that declares them.
    - A property is described by the ``properties`` of a part, else by the
      first ``patternProperties`` of a part that matches its name, else by
      the branches that describe it, else by ``additionalProperties`` when it
      is a schema.

    A question with one answer (``property``, ``items``) gets the first
    candidate in schema order. In particular a property declared only under
    ``if``/``then`` is described by the ``then`` schema, whatever the ``if``
    says of a record: the compiler converts its values to that schema's type
    and orders it as that schema does, and the checker checks rules against it.
    """

    __slots__ = ("schema", "scope")

    def __init__(self, schema: Any, scope: _Scope) -> None:
        self.schema = schema
        self.scope = scope

    def __repr__(self) -> str:
        return f"SchemaNode({self.schema!r})"

    @property
    def resolver(self) -> referencing._core.Resolver[Any]:
        """A ``referencing`` resolver at this node's place, for the reference validator's ``descend``."""
        return self.scope.schema.registry.resolver(base_uri=self.scope.base)

    def _child(self, schema: Any) -> SchemaNode:
        return SchemaNode(schema, self.scope.at(schema))

    # -- structure ------------------------------------------------------------------------------

    def resolved(self) -> SchemaNode:
        """Follow ``$ref`` while the schema is nothing but a reference."""
        node = self
        for _ in range(64):
            schema = node.schema
            if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
                return node
            resolved = SchemaNode(*node.scope.lookup(schema["$ref"]))
            siblings = {k: v for k, v in schema.items() if k not in ("$ref", "$schema", "$id", "$comment")}
            if siblings and isinstance(resolved.schema, dict):
                # 2020-12 allows keywords beside $ref: read them as an allOf.
                return SchemaNode({"allOf": [siblings, resolved.schema]}, resolved.scope)
            node = resolved
        raise SchemaError(f"$ref chain too long at {self.schema!r}")

    def parts(self) -> Iterator[SchemaNode]:
        """This node and, recursively, its ``allOf`` members, all resolved."""
        node = self.resolved()
        yield node
        if isinstance(node.schema, dict):
            for member in node.schema.get("allOf", ()):
                yield from node._child(member).parts()

    def alternatives(self) -> list[SchemaNode]:
        """The ``anyOf`` / ``oneOf`` branches of this node (resolved), if any."""
        found: list[SchemaNode] = []
        for part in self.parts():
            if isinstance(part.schema, dict):
                for keyword in ("anyOf", "oneOf"):
                    found.extend(part._child(branch).resolved() for branch in part.schema.get(keyword, ()))
        return found

    def conditional_branches(self, facts: Mapping[str, Any] | None = None) -> list[SchemaNode]:
        """The ``then`` / ``else`` schemas of this node's ``if`` parts (resolved).

        With ``facts`` (property name -> known value), only the branches that
        can apply: ``if: {properties: {kind: {const: A}}}`` gives its ``then``
        when ``kind`` is ``A`` and its ``else`` when ``kind`` is known to be
        something else (FHIR-style discriminated resources).
        """
        found: list[SchemaNode] = []
        for part in self.parts():
            if not (isinstance(part.schema, dict) and "if" in part.schema):
                continue
            holds = _condition_holds(part._child(part.schema["if"]), facts or {})
            for keyword in ("then", "else"):
                if keyword in part.schema and holds is not (keyword == "else"):
                    found.append(part._child(part.schema[keyword]).resolved())
        return found

    def branches(self, conditional: Sequence[SchemaNode] | None = None) -> list[SchemaNode]:
        """Every schema that may describe an instance besides the node's parts: the ``anyOf`` / ``oneOf``
        members, then the ``if`` branches (``conditional`` when given, see ``conditional_branches``)."""
        return [*self.alternatives(), *(self.conditional_branches() if conditional is None else conditional)]

    def keywords(self) -> set[str]:
        """Every keyword the node's parts use."""
        found: set[str] = set()
        for part in self.parts():
            if isinstance(part.schema, dict):
                found.update(part.schema)
        return found

    def keyword(self, name: str) -> Any:
        """The first value of a keyword across this node's ``allOf`` parts (e.g. ``xml``)."""
        for part in self.parts():
            if isinstance(part.schema, dict) and name in part.schema:
                return part.schema[name]
        return None

    # -- the instance ---------------------------------------------------------------------------

    def types(self) -> frozenset[str] | None:
        """JSON types a valid instance may have, or None when any type may do.

        ``integer`` is listed separately from ``number``: a set holding
        ``number`` accepts integers too. The ``if`` branches are left out:
        each holds only for the records its condition picks.
        """
        allowed: frozenset[str] | None = None
        for part in self.parts():
            schema = part.schema
            if schema is False:
                return frozenset()
            if not isinstance(schema, dict):
                continue
            own: frozenset[str] | None = None
            if "type" in schema:
                declared = schema["type"]
                own = frozenset([declared] if isinstance(declared, str) else declared)
            elif "const" in schema:
                own = frozenset([schema_type(schema["const"])])
            elif "enum" in schema:
                own = frozenset(schema_type(value) for value in schema["enum"])
            if own is not None:
                allowed = own if allowed is None else _intersect(allowed, own)
        branches = self.alternatives()
        if branches:
            union: set[str] = set()
            for branch in branches:
                branch_types = branch.types()
                if branch_types is None:
                    union = set()
                    break
                union |= branch_types
            else:
                allowed = frozenset(union) if allowed is None else _intersect(allowed, frozenset(union))
        return allowed

    def items(self) -> SchemaNode | None:
        """The schema of array items (2020-12 ``items``, or draft-07 single-schema ``items``): the parts'
        own, else the first branch's; None when nothing describes them."""
        for part in self.parts():
            schema = part.schema
            if isinstance(schema, dict) and isinstance(schema.get("items"), (dict, bool)):
                return part._child(schema["items"])
        for branch in self.branches():
            found = branch.items()
            if found is not None:
                return found
        return None

    # -- properties -----------------------------------------------------------------------------

    def property(self, name: str) -> SchemaNode | None:
        """The schema of property ``name``: the first of ``property_schemas`` (None when nothing describes it)."""
        found = self.property_schemas(name)
        return found[0] if found else None

    def property_schemas(self, name: str, conditional: Sequence[SchemaNode] | None = None) -> list[SchemaNode]:
        """Every schema that may describe property ``name`` (the value may be valid under any one of them).

        One schema when the node's parts describe it (``properties``, else a
        matching ``patternProperties``); else one per branch that describes
        it, in schema order; else ``additionalProperties`` when it is a
        schema; else none. ``conditional`` stands for the ``if`` branches of
        this node when given (those a known discriminator leaves, see
        ``conditional_branches``).
        """
        for part in self.parts():
            if isinstance(part.schema, dict) and name in part.schema.get("properties", {}):
                return [part._child(part.schema["properties"][name])]
        pattern = self.pattern_property(name)
        if pattern is not None:
            return [pattern]
        found = [schema for branch in self.branches(conditional) for schema in branch.property_schemas(name)]
        if found:
            return found
        for part in self.parts():
            if isinstance(part.schema, dict) and isinstance(part.schema.get("additionalProperties"), dict):
                return [part._child(part.schema["additionalProperties"])]
        return []

    def pattern_property(self, name: str) -> SchemaNode | None:
        """The schema of the first ``patternProperties`` of the node's parts that matches ``name``."""
        for part in self.parts():
            if isinstance(part.schema, dict):
                for pattern, subschema in part.schema.get("patternProperties", {}).items():
                    if re.search(pattern, name):
                        return part._child(subschema)
        return None

    def property_names(self) -> list[str]:
        """Declared property names, branches included, in the order the schema lists them."""
        names: dict[str, None] = {}
        for part in self.parts():
            if isinstance(part.schema, dict):
                names.update(dict.fromkeys(part.schema.get("properties", {})))
        for branch in self.branches():
            names.update(dict.fromkeys(branch.property_names()))
        return list(names)

    def required(self) -> frozenset[str]:
        """Property names every valid instance must have (those only a branch requires are not)."""
        names: set[str] = set()
        for part in self.parts():
            if isinstance(part.schema, dict):
                names.update(part.schema.get("required", ()))
        return frozenset(names)

    def allows_additional(self) -> bool:
        """Whether properties not declared in ``properties`` may appear."""
        for part in self.parts():
            if isinstance(part.schema, dict):
                if part.schema.get("additionalProperties") is False:
                    return False
                if part.schema.get("unevaluatedProperties") is False:
                    return False
        return True


def _condition_holds(condition: SchemaNode, facts: Mapping[str, Any]) -> bool | None:
    """Whether a discriminating ``if`` holds given ``facts``; None when unknown."""
    schema = condition.resolved().schema
    if not isinstance(schema, dict) or set(schema) - {"properties", "required"}:
        return None
    verdicts: list[bool] = []
    for name, subschema in schema.get("properties", {}).items():
        if name not in facts or not isinstance(subschema, dict):
            return None
        if "const" in subschema and set(subschema) <= {"const"}:
            verdicts.append(subschema["const"] == facts[name])
        elif "enum" in subschema and set(subschema) <= {"enum"}:
            verdicts.append(facts[name] in subschema["enum"])
        else:
            return None
    return all(verdicts) if verdicts else None


def _intersect(left: frozenset[str], right: frozenset[str]) -> frozenset[str]:
    """The types both ``left`` and ``right`` allow (``number`` and ``integer`` give ``integer``)."""
    return frozenset(kind for kind in left | right if type_allows(left, kind) and type_allows(right, kind))


def load_schema(path: str | Path, *, referenced_from: Location | None = None) -> Schema:
    """Load a schema file and every file its ``$ref`` reach; check each.

    Raises ``SchemaError`` (with file, line and column where known) when a file
    is missing, does not parse, is not a valid schema, or a ``$ref`` does not
    resolve.
    """
    path = Path(path).resolve()
    documents: dict[str, Any] = {}
    loaded: dict[str, Document] = {}
    root_uri = path.as_uri()

    def read(uri: str, at: Location | None) -> Document:
        file_path = Path(unquote(urlsplit(uri).path))
        try:
            document = load_document(file_path, label=display_path(file_path))
        except FileNotFoundError:
            raise SchemaError(f"schema file not found: {display_path(file_path)}", at) from None
        except MappingSyntaxError as error:
            raise SchemaError(f"schema file does not parse: {error.message}", error.location) from error
        except OSError as error:
            raise SchemaError(f"cannot read schema file {display_path(file_path)}: {error.strerror}", at) from error
        if not isinstance(document.data, (dict, bool)):
            raise SchemaError("a JSON Schema must be an object or a boolean", document.locate())
        check_schema(document)
        loaded[uri] = document
        documents[uri] = document.data
        if isinstance(document.data, dict) and isinstance(document.data.get("$id"), str):
            documents[urldefrag(urljoin(uri, document.data["$id"]))[0]] = document.data
        id_bases.extend(_id_bases(uri, document.data))
        return document

    id_bases: list[tuple[str, str]] = []
    root = read(root_uri, referenced_from)
    pending = [root_uri]
    while pending:
        uri = pending.pop()
        document = loaded[uri]
        for ref, base, doc_path in _refs(document.data, _base_of(uri, document.data)):
            target = urldefrag(urljoin(base, ref))[0]
            if not target or target in documents:
                continue
            local = _local_uri(target, id_bases)
            if local is None:
                raise SchemaError(
                    f"$ref {ref!r} points outside the local schema files (mapper never fetches schemas)",
                    document.locate(doc_path),
                )
            if local not in loaded:
                read(local, document.locate(doc_path))
                pending.append(local)
            documents[target] = loaded[local].data
    schema = Schema(uri=root_uri, path=str(path), contents=root.data, documents=documents)
    _check_refs_resolve(schema, loaded)
    return schema


def display_path(path: Path) -> str:
    """A path as users like to read it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_SHIPPED_META_SCHEMAS = frozenset({
    "http://json-schema.org/draft-04/schema", "http://json-schema.org/draft-06/schema",
    "http://json-schema.org/draft-07/schema", "https://json-schema.org/draft/2019-09/schema",
    "https://json-schema.org/draft/2020-12/schema",
})


def check_schema(document: Document) -> None:
    """Check a document against the meta-schema its ``$schema`` names."""
    # jsonschema-rs answers "valid?" in microseconds; the reference, which walks the 2020-12
    # meta-schema's dynamic references in Python, took most of a mapping's load time. Only for the
    # drafts it ships: for any other $schema it would try to fetch it, and nothing is ever fetched.
    declared = document.data.get("$schema") if isinstance(document.data, dict) else None
    if declared is None or str(declared).rstrip("#") in _SHIPPED_META_SCHEMAS:
        try:
            if jsonschema_rs.meta.is_valid(document.data):
                return
        except (ValueError, jsonschema_rs.ReferencingError):
            pass  # the reference decides, and explains
    import jsonschema.exceptions
    import jsonschema.validators

    cls = jsonschema.validators.validator_for(document.data, default=jsonschema.Draft202012Validator)
    error = jsonschema.exceptions.best_match(cls(cls.META_SCHEMA).iter_errors(document.data))
    while error is not None and error.context:
        # "not valid under any of the given schemas" says little: show the closest branch's reason.
        error = jsonschema.exceptions.best_match(error.context)
    if error is not None:
        path: DocPath = tuple(error.absolute_path)
        message = json_spelling(error.message, error.instance, error.validator_value)
        raise SchemaError(f"not a valid JSON Schema: {message}", document.locate(path))


#: How many items or keys of a value ``json_spelling`` rewrites one by one (a payload may hold millions).
_SPELLED_ITEMS = 64


def json_spelling(message: str, *values: Any) -> str:
    """``message`` (a ``jsonschema`` error's) with the Python reprs of ``values``, and of their first
    items and keys, written as JSON: ``None`` as ``null``, ``{'a': True}`` as ``{"a": true}``."""
    named = list(values)
    for value in values:
        if isinstance(value, (dict, list)):
            named.extend(islice(value, _SPELLED_ITEMS))
    # The longest first: a value is rewritten whole, not piece by piece from inside.
    for value in sorted(named, key=lambda value: len(repr(value)), reverse=True):
        message = message.replace(repr(value), json.dumps(value, ensure_ascii=False, default=str))
    return message


def _base_of(uri: str, contents: Any) -> str:
    if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
        return urljoin(uri, str(contents["$id"]))
    return uri


def _id_bases(file_uri: str, contents: Any) -> list[tuple[str, str]]:
    """Pairs (base of $id, directory URI on disk) to map http $refs to local files."""
    if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
        id_uri = urljoin(file_uri, contents["$id"])
        return [(id_uri.rsplit("/", 1)[0] + "/", file_uri.rsplit("/", 1)[0] + "/")]
    return []


def _local_uri(target: str, id_bases: list[tuple[str, str]]) -> str | None:
    if target.startswith("file:"):
        return target
    for id_base, directory in id_bases:
        if target.startswith(id_base):
            return directory + target[len(id_base):]
    return None


def _refs(contents: Any, base: str, path: DocPath = ()) -> Iterator[tuple[str, str, DocPath]]:
    """Every ``$ref`` in a document with the base URI in force at its place."""
    if isinstance(contents, dict):
        if isinstance(contents.get("$id"), str) and path:
            base = urljoin(base, contents["$id"])
        ref = contents.get("$ref")
        if isinstance(ref, str):
            yield ref, base, path + ("$ref",)
        for key, value in contents.items():
            if key in _INSTANCE_KEYWORDS:
                continue
            yield from _refs(value, base, path + (key,))
    elif isinstance(contents, list):
        for index, value in enumerate(contents):
            yield from _refs(value, base, path + (index,))


def _check_refs_resolve(schema: Schema, loaded: dict[str, Document]) -> None:
    """Resolve every ``$ref`` once now, so a dangling one fails at load time."""
    for uri, document in loaded.items():
        for ref, base, doc_path in _refs(document.data, _base_of(uri, document.data)):
            try:
                _Scope(schema, base).lookup(ref)
            except _Unresolvable as error:
                raise SchemaError(f"$ref {ref!r} does not resolve", document.locate(doc_path)) from error


#: Keywords whose values are instances, not schemas: an ``$id`` or ``$anchor`` inside them names nothing.
_INSTANCE_KEYWORDS = frozenset({"const", "enum", "examples", "default"})


def _index_resources(documents: Mapping[str, Any]) -> dict[str, tuple[Any, str]]:
    """URI -> (schema, base URI inside it) for every document, ``$id`` and ``$anchor`` of ``documents``."""
    found: dict[str, tuple[Any, str]] = {}
    for uri, contents in documents.items():
        found.setdefault(uri, (contents, _base_of(uri, contents)))
        pending: list[tuple[Any, str]] = [(contents, uri)]
        while pending:
            node, base = pending.pop()
            if isinstance(node, list):
                pending.extend((item, base) for item in node)
                continue
            if not isinstance(node, dict):
                continue
            if isinstance(node.get("$id"), str):
                resource, fragment = urldefrag(urljoin(base, node["$id"]))
                if fragment:  # draft-07: "$id": "#name" is an anchor
                    found.setdefault(f"{resource}#{fragment}", (node, base))
                else:
                    base = resource
                    found.setdefault(base, (node, base))
            if isinstance(node.get("$anchor"), str):
                found.setdefault(f"{base}#{node['$anchor']}", (node, base))
            pending.extend((value, base) for key, value in node.items() if key not in _INSTANCE_KEYWORDS)
    return found


def _formats_used(documents: Iterable[Any]) -> set[str]:
    """Every ``format`` named anywhere in the schema documents."""
    found: set[str] = set()
    pending = list(documents)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                found.add(node["format"])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _string_check(is_valid: Callable[[Any], bool]) -> Callable[[object], bool]:
    def check(instance: object) -> bool:
        return not isinstance(instance, str) or bool(is_valid(instance))

    return check
