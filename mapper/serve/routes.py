"""The endpoints: conversions, the mappings, the OpenAPI document and its page, health and readiness.

Every route reads ``request.app.state.served`` once: a reload replaces it
whole, so a request sees one catalog from start to end.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, TypeVar

import anyio
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..mapping import Mapping
from .answers import Refusal
from .catalog import Catalog
from .docs_page import docs_page
from .limits import Gate, Limits, read_body
from .openapi import bundled_schema, openapi_document
from .payloads import convert, input_format, output_format

T = TypeVar("T")


class Served:
    """One catalog and what is derived from it once: the OpenAPI document, the docs page, each description."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._descriptions: dict[str, dict[str, Any]] = {}

    def mapping(self, name: str) -> Mapping:
        """The mapping called ``name``; raises a 404 ``Refusal`` naming those served."""
        try:
            return self.catalog.mappings[name]
        except KeyError:
            served = ", ".join(self.catalog.mappings) or "none"
            raise Refusal(404, "no-such-mapping", f"no mapping {name!r} is served here (served: {served})",
                          mapping=name) from None

    @cached_property
    def openapi(self) -> dict[str, Any]:
        return openapi_document(self.catalog)

    @cached_property
    def docs(self) -> str:
        return docs_page(self.openapi)

    def description(self, name: str) -> dict[str, Any]:
        if name not in self._descriptions:
            mapping = self.mapping(name)
            summary = _summary(mapping)
            summary["source"]["schema"] = bundled_schema(mapping.source_schema)
            summary["target"]["schema"] = bundled_schema(mapping.target_schema)
            self._descriptions[name] = summary
        return self._descriptions[name]


def _summary(mapping: Mapping) -> dict[str, Any]:
    source, target = mapping.spec.source, mapping.spec.target
    return {"name": mapping.name, "description": mapping.spec.description, "url": f"/mappings/{mapping.name}",
            "source": {"format": source.format, "records": source.records},
            "target": {"format": target.format}}


async def convert_records(request: Request) -> Response:
    """``POST /mappings/{name}``: the body's records through the mapping, within the server's limits."""
    mapping = request.app.state.served.mapping(request.path_params["name"])
    fmt = input_format(mapping, request.headers.get("content-type"))
    output = output_format(mapping, request.headers.get("accept"))
    answer = await within_limits(request, lambda body: convert(mapping, body, fmt, output))
    request.state.records = answer.records
    request.state.rejects = answer.rejects
    return Response(answer.body, answer.status, media_type=answer.media_type)


async def within_limits(request: Request, work: Callable[[bytes], T]) -> T:
    """``work`` on the request's body in a worker thread, within the server's limits: a slot of the gate
    (else 503), the body size (else 413) and the time, reading the body included (else 504)."""
    limits: Limits = request.app.state.limits
    gate: Gate = request.app.state.gate
    gate.enter()
    holding = True  # until the work's thread holds the slot
    try:
        with anyio.fail_after(limits.timeout):
            body = await read_body(request, limits.max_body)
            holding = False
            return await gate.run(lambda: work(body))
    except TimeoutError:
        raise Refusal(504, "timeout", f"the request took longer than the limit of {limits.timeout:g} s "
                                      "(--timeout); send smaller batches", limit=limits.timeout) from None
    finally:
        if holding:
            gate.leave()


async def list_mappings(request: Request) -> Response:
    """``GET /mappings``: name, description and formats of each mapping, and the files that did not load."""
    catalog: Catalog = request.app.state.served.catalog
    return JSONResponse({"mappings": [_summary(mapping) for mapping in catalog.mappings.values()],
                         "broken": [broken.to_dict() for broken in catalog.broken]})


async def describe_mapping(request: Request) -> Response:
    """``GET /mappings/{name}``: the summary with both schemas, each bundled into one document."""
    return JSONResponse(request.app.state.served.description(request.path_params["name"]))


async def mapping(request: Request) -> Response:
    # One route for both methods, so that a 405 names them both in Allow.
    return await (convert_records(request) if request.method == "POST" else describe_mapping(request))


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.served.openapi)


async def docs(request: Request) -> Response:
    return HTMLResponse(request.app.state.served.docs)


async def health(request: Request) -> Response:
    """``GET /health``: 200 while the process answers; ``degraded`` lists the files that did not load."""
    catalog: Catalog = request.app.state.served.catalog
    return JSONResponse({"status": "degraded" if catalog.broken else "ok", "mappings": len(catalog.mappings),
                         "broken": [broken.to_dict() for broken in catalog.broken]})


async def ready(request: Request) -> Response:
    """``GET /ready``: 200 when at least one mapping is served, else 503."""
    count = len(request.app.state.served.catalog.mappings)
    if not count:
        return JSONResponse({"status": "not ready", "message": "no mapping loaded: see /health", "mappings": 0}, 503)
    return JSONResponse({"status": "ready", "mappings": count})


ROUTES = [
    Route("/mappings", list_mappings, methods=["GET"]),
    Route("/mappings/{name}", mapping, methods=["GET", "POST"]),
    Route("/openapi.json", openapi, methods=["GET"]),
    Route("/docs", docs, methods=["GET"]),
    Route("/health", health, methods=["GET"]),
    Route("/ready", ready, methods=["GET"]),
]
