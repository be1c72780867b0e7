"""Refusals: every error the server answers is a JSON object that says what and where.

The body of an error is ``{"error": CODE, "message": TEXT, ...}``: ``CODE`` is
a short stable name (``malformed-body``, ``too-large``...), ``TEXT`` a
sentence that says where (record number, line and column, JSON pointer), and
further fields carry the same facts for programs (``line``, ``column``,
``record``, ``limit``...). docs/serve.md lists them.

``Refusal`` is Starlette's ``HTTPException`` with such a body, so a route
refuses by raising it and the handlers below turn it, Starlette's own
exceptions (404, 405) and any bug (500) into JSON alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

#: The error code of a status Starlette raises on its own (an unknown path, a wrong method).
_CODES = {404: "not-found", 405: "method-not-allowed"}


class Refusal(HTTPException):
    """A request the server will not answer as asked: a status, a code, a message and its facts
    (those that are None are left out)."""

    def __init__(self, status: int, error: str, message: str, *, headers: Mapping[str, str] | None = None,
                 **facts: Any) -> None:
        super().__init__(status, message, dict(headers) if headers else None)
        self.body: dict[str, Any] = {"error": error, "message": message,
                                     **{name: value for name, value in facts.items() if value is not None}}


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """A ``Refusal`` or one of Starlette's ``HTTPException`` as a JSON answer."""
    assert isinstance(exc, HTTPException)
    if isinstance(exc, Refusal):
        body = exc.body
    else:
        message = exc.detail
        if exc.status_code == 404:
            message = f"no such path: {request.url.path} (see /docs or /openapi.json)"
        elif exc.status_code == 405:
            allowed = ", ".join(sorted((exc.headers or {}).get("Allow", "").split(", ")))  # a set: say it in order
            message = f"{request.method} is not allowed on {request.url.path} (allowed: {allowed})"
        body = {"error": _CODES.get(exc.status_code, "http-error"), "message": message}
    return JSONResponse(body, exc.status_code, headers=exc.headers)


async def on_bug(request: Request, exc: Exception) -> Response:
    """A bug (an exception nothing expected) as a JSON 500; the server logs the traceback."""
    message = f"internal error: {type(exc).__name__}: {exc} (see the server's log, and report it)"
    return JSONResponse({"error": "internal-error", "message": message}, 500)
