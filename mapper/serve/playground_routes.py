"""The playground's endpoints: the page at ``/``, its assets, a sample to start from, and the real engine.

- ``GET /``: the page; ``GET /playground/static/NAME``: its script and style,
  shipped inside the package (``mapper/serve/static/``), so it works offline.
- ``GET /playground/sample[?mapping=NAME]``: the served mappings' names, and
  the texts of one mapping to start from: the one ``mapper playground`` was
  given, else the one asked for, else the first served.
- ``POST /playground/run`` ``{mapping, input, input_format, source_schema,
  target_schema}`` -> ``{output, problems, findings}`` (``playground.run``).
- ``POST /playground/eval`` ``{expression, input[, input_format, mapping,
  source_schema, target_schema, name]}`` -> ``{result}`` or ``{problems}``
  (``playground.evaluate``: the mapping's texts read an input other than JSON).

Both POST endpoints run in a worker thread within every limit of the server
(size, time, concurrency), as conversions do.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import PayloadError
from ..formats.json import dumps, loads
from .answers import Refusal
from .catalog import Catalog
from .playground import MAPPING_TEXTS, Sample, evaluate, run, sample_of
from .routes import within_limits

#: The assets of the page, by name, with their media types.
ASSETS = {"playground.html": "text/html; charset=utf-8", "playground.js": "text/javascript; charset=utf-8",
          "playground.css": "text/css; charset=utf-8"}
_RUN_FIELDS = ("mapping", "input", "source_schema", "target_schema")


def asset(name: str) -> bytes:
    """The bytes of one of the page's ``ASSETS``, from inside the package."""
    return (files(__package__) / "static" / name).read_bytes()


async def page(request: Request) -> Response:
    return Response(asset("playground.html"), media_type=ASSETS["playground.html"])


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ASSETS:
        raise Refusal(404, "not-found", f"no such asset: {name} (assets: {', '.join(ASSETS)})")
    return Response(asset(name), media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})


async def sample(request: Request) -> Response:
    """``GET /playground/sample``: the served mappings' names and the texts of one of them."""
    catalog: Catalog = request.app.state.served.catalog
    preset: Sample | None = request.app.state.sample
    asked = request.query_params.get("mapping")
    found: Sample | None = preset if preset is not None and asked in (None, preset.name) else None
    if found is None and catalog.mappings:
        mapping = request.app.state.served.mapping(asked) if asked else next(iter(catalog.mappings.values()))
        found = await anyio.to_thread.run_sync(lambda: sample_of(Path(mapping.spec.file), mapping=mapping))
    names = list(catalog.mappings)
    if preset is not None and preset.name not in names:
        names.insert(0, preset.name)
    return _json({"mappings": names, "sample": found.to_dict() if found else None})


async def run_texts(request: Request) -> Response:
    """``POST /playground/run``: the page's texts through the engine and ``check``."""
    catalog: Catalog = request.app.state.served.catalog

    def work(body: bytes) -> dict[str, Any]:
        texts = _fields(body, _RUN_FIELDS, ("name", "input_format"))
        return run(catalog.directory, texts, functions=catalog.functions)

    return _json(await within_limits(request, work))


async def evaluate_expression(request: Request) -> Response:
    """``POST /playground/eval``: one expression against the input, as ``mapper eval``."""
    catalog: Catalog = request.app.state.served.catalog

    def work(body: bytes) -> dict[str, Any]:
        texts = _fields(body, ("expression", "input"), ("input_format", "name", *MAPPING_TEXTS))
        return evaluate(texts["expression"], texts["input"], functions=catalog.functions,
                        input_format=texts.get("input_format", "json"), folder=catalog.directory, texts=texts)

    return _json(await within_limits(request, work))


def _fields(body: bytes, required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, str]:
    """The string fields of a JSON object body; raises a 400 ``Refusal`` for anything else."""
    try:
        data = loads(body)
    except (PayloadError, ValueError) as error:
        raise Refusal(400, "malformed-body", f"the body is not JSON: {error}") from error
    wanted = ", ".join(required)
    if not isinstance(data, dict) or any(not isinstance(data.get(name), str) for name in required):
        raise Refusal(400, "malformed-body", f"the body must be a JSON object with the strings {wanted}")
    if any(name in data and not isinstance(data[name], str) for name in optional):
        raise Refusal(400, "malformed-body", f"{', '.join(optional)}, when given, must be strings")
    return {name: data[name] for name in (*required, *optional) if name in data}


def _json(data: Any) -> Response:
    return Response(dumps(data), media_type="application/json")


PLAYGROUND_ROUTES = [
    Route("/", page, methods=["GET"]),
    Route("/playground/static/{name}", static, methods=["GET"]),
    Route("/playground/sample", sample, methods=["GET"]),
    Route("/playground/run", run_texts, methods=["POST"]),
    Route("/playground/eval", evaluate_expression, methods=["POST"]),
]
