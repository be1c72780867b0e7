"""The OpenAPI 3.1 document of a catalog, built from the mappings' own JSON Schemas.

One operation per mapping, ``POST /mappings/{name}``: its request body is the
source schema (a record, an array or NDJSON of records, XML where the source
side is XML), its 200 response the target schema (or the batch answer of
``payloads``), and every error the JSON error object of ``answers``.

The schema files are bundled into ``components/schemas``, one component per
file, named after its path below the folder common to all of them
(``schemas/crm/contact.schema.json`` is ``crm.contact``); every ``$ref``
between files or inside one is rewritten to point at the component, so the
document stands on its own. ``bundled_schema`` does the same for one schema,
embedding the files it references under ``$defs``, for ``GET /mappings/{name}``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from .. import __version__
from ..mapping import Mapping
from ..schemas import Schema
from ..schemas import _base_of as base_of  # the base a file's $ref resolve against, as loading resolved them
from .catalog import Catalog

COMPONENTS = "#/components/schemas/"
#: Keywords whose values are data, not subschemas: a "$ref" inside them is not a reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "examples", "default"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")

ERROR = {
    "type": "object", "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "a short, stable code: malformed-body, too-large, busy..."},
        "message": {"type": "string", "description": "what went wrong and where"},
        "line": {"type": "integer"}, "column": {"type": "integer"}, "record": {"type": "integer"},
        "limit": {"type": "number", "description": "the limit a request passed"},
    },
}
PROBLEM = {
    "type": "object", "required": ["stage", "pointer", "message"],
    "properties": {
        "stage": {"enum": ["input", "source", "rule", "target"]},
        "pointer": {"type": "string", "description": "JSON pointer into the output (the input for source)"},
        "message": {"type": "string"}, "rule": {"type": "string"}, "rule_location": {"type": "string"},
        "source_path": {"type": "string"}, "schema_path": {"type": "string"},
    },
}
REJECT = {
    "type": "object", "required": ["message", "record", "input", "errors"],
    "description": "a rejected record, as --rejects writes it, with a message",
    "properties": {
        "message": {"type": "string"}, "record": {"type": "integer", "description": "from 1, in the body"},
        "line": {"type": "integer", "description": "the NDJSON line"}, "input": {},
        "errors": {"type": "array", "items": {"$ref": f"{COMPONENTS}Problem"}},
    },
}
_ERRORS = {
    "400": "the body is not JSON, NDJSON or XML (line and column)",
    "404": "no such mapping",
    "406": "the answer cannot have the format Accept asks for",
    "413": "the body is larger than the server's limit",
    "415": "the body's Content-Type is not one the mapping reads",
    "503": "the server runs as many conversions as it takes (Retry-After)",
    "504": "the request took longer than the server's time limit",
}


def component_names(schemas: Iterable[Schema]) -> dict[int, str]:
    """A component name for each schema file, keyed by the ``id()`` of its contents (its URIs are aliases)."""
    files: dict[int, Path] = {}
    for schema in schemas:
        for uri, contents in schema.documents.items():
            if uri.startswith("file:"):
                files[id(contents)] = Path(unquote(urlsplit(uri).path))
    if not files:
        return {}
    common = Path(os.path.commonpath([path.parent for path in files.values()]))
    names = {}
    for key, path in files.items():
        stem = path.relative_to(common).as_posix()
        for suffix in (".json", ".yaml", ".yml", ".schema"):
            stem = stem.removesuffix(suffix)
        names[key] = _UNSAFE.sub("_", stem.replace("/", "."))
    return names


def bundle(schema: Schema, names: dict[int, str], place: Callable[[str], str]) -> dict[str, Any]:
    """Each file of ``schema`` by component name, ``$id`` removed and each ``$ref`` rewritten to
    ``place(name)`` followed by its JSON pointer."""
    return {names[id(contents)]: _rewrite(contents, base_of(uri, contents), schema, names, place)
            for uri, contents in schema.documents.items() if uri.startswith("file:")}


def bundled_schema(schema: Schema) -> Any:
    """``schema`` as one document: the files it references under ``$defs``, every ``$ref`` inside it."""
    names = component_names([schema])
    root = names[id(schema.contents)]
    files = bundle(schema, names, lambda name: "#" if name == root else f"#/$defs/{name}")
    document = files.pop(root)
    if files and isinstance(document, dict):
        embedded = {name: _without(contents, "$schema") for name, contents in files.items()}
        document["$defs"] = {**document.get("$defs", {}), **embedded}
    return document


def openapi_document(catalog: Catalog) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every mapping the catalog serves."""
    schemas = [schema for mapping in catalog.mappings.values()
               for schema in (mapping.source_schema, mapping.target_schema)]
    names = component_names(schemas)
    components: dict[str, Any] = {}
    for schema in schemas:
        components.update(bundle(schema, names, lambda name: COMPONENTS + name))
    components.update({"Error": ERROR, "Problem": PROBLEM, "Reject": REJECT})
    paths: dict[str, Any] = {f"/mappings/{name}": {"post": _operation(mapping, names)}
                             for name, mapping in catalog.mappings.items()}
    paths.update(_service_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "mapper serve", "version": __version__,
                 "description": f"The mappings of {catalog.directory}: POST a record, an array of records or "
                                "NDJSON to /mappings/{name}. docs/serve.md describes the answers."},
        "paths": paths,
        "components": {"schemas": components},
    }


def _operation(mapping: Mapping, names: dict[int, str]) -> dict[str, Any]:
    source = {"$ref": COMPONENTS + names[id(mapping.source_schema.contents)]}
    target = {"$ref": COMPONENTS + names[id(mapping.target_schema.contents)]}
    records = mapping.spec.source.records
    request: dict[str, Any] = {
        "application/json": {"schema": {"oneOf": [source, {"type": "array", "items": source}]}},
        "application/x-ndjson": {"schema": source, "description": "one record per line"},
    }
    for media_type, name in (("text/csv", "CSV"), ("text/tab-separated-values", "TSV")):
        request[media_type] = {"schema": {"type": "string"}, "description": f"{name} in UTF-8: a header naming the "
                               "source fields (dotted names for nested ones), then one record a row (docs/csv.md)"}
    if mapping.spec.source.format == "xml":
        request["application/xml"] = {"schema": source, "description": f"records at {records or 'the root'}"}
    batch = {"type": "object", "required": ["results", "rejects", "counts"], "properties": {
        "results": {"type": "array", "items": {"type": "object", "required": ["record", "output"],
                                               "properties": {"record": {"type": "integer"}, "output": target}}},
        "rejects": {"type": "array", "items": {"$ref": COMPONENTS + "Reject"}},
        "counts": {"type": "object", "properties": {key: {"type": "integer"}
                                                    for key in ("read", "written", "rejected")}},
    }}
    answers: dict[str, Any] = {"application/json": {"schema": {"oneOf": [target, batch]}}}
    if mapping.spec.target.format == "xml":
        answers["application/xml"] = {"schema": target}
    for media_type, name in (("text/csv", "CSV"), ("text/tab-separated-values", "TSV")):
        answers[media_type] = {"schema": {"type": "string"}, "description": f"the records as {name}, columns in the "
                               "target schema's order (a rejected record answers 422 with the rejects in JSON)"}
    where = f" The records of a JSON body are at {records!r}." if records and mapping.spec.source.format == "json" \
        else ""
    error = {"application/json": {"schema": {"$ref": COMPONENTS + "Error"}}}
    return {
        "operationId": mapping.name,
        "summary": mapping.spec.description or mapping.name,
        "description": f"Convert records with mapping {mapping.name}. A JSON object is one record: the answer is "
                       "its output (200) or its reject (422). An array, NDJSON or XML is a batch: 200 with the "
                       f"results and the rejects apart.{where}",
        "requestBody": {"required": True, "content": request},
        "responses": {
            "200": {"description": "the output record, or the results and rejects of a batch", "content": answers},
            "422": {"description": "the record was rejected",
                    "content": {"application/json": {"schema": {"$ref": COMPONENTS + "Reject"}}}},
            **{status: {"description": text, "content": error} for status, text in _ERRORS.items()},
        },
    }


def _service_paths() -> dict[str, Any]:
    def get(summary: str) -> dict[str, Any]:
        return {"get": {"summary": summary, "responses": {"200": {
            "description": summary, "content": {"application/json": {"schema": {"type": "object"}}}}}}}

    return {
        "/mappings": get("the mappings served: name, description, formats, and those that did not load"),
        "/mappings/{name}": {**get("one mapping: its name, description and both schemas"),
                             "parameters": [{"name": "name", "in": "path", "required": True,
                                             "schema": {"type": "string"}}]},
        "/health": get("alive; status degraded, with each mapping file that did not load, when any did not"),
        "/ready": get("200 once at least one mapping is served, else 503"),
    }


def _rewrite(node: Any, base: str, schema: Schema, names: dict[int, str], place: Callable[[str], str]) -> Any:
    # A nested "$id" (rare in schema files) would change the base below it; the shipped schemas have none.
    if isinstance(node, list):
        return [_rewrite(item, base, schema, names, place) for item in node]
    if not isinstance(node, dict):
        return node
    rewritten: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$id":
            continue
        if key == "$ref" and isinstance(value, str):
            document, pointer = urldefrag(urljoin(base, value))
            target = schema.documents.get(document)
            rewritten[key] = place(names[id(target)]) + pointer if target is not None else value
        elif key in _DATA_KEYWORDS:
            rewritten[key] = value
        else:
            rewritten[key] = _rewrite(value, base, schema, names, place)
    return rewritten


def _without(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return {name: value for name, value in node.items() if name != key}
    return node


__all__ = ["bundle", "bundled_schema", "component_names", "openapi_document"]
