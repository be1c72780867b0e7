"""Structured access logs: one JSON line per request.

Each line holds ``time`` (UTC, ISO 8601), ``method``, ``path``, ``status``,
``duration_ms``, and for conversions ``records`` and ``rejects`` (what the
route put in the request's state; null for other requests). A request that
failed with a bug is logged with status 500.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..formats.json import dumps


def now() -> str:
    """The time of a log line: UTC, ISO 8601, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AccessLog:
    """ASGI middleware that hands ``write`` one JSON line (newline included) per HTTP request."""

    def __init__(self, app: ASGIApp, write: Callable[[str], None]) -> None:
        self.app = app
        self.write = write

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            line = {"time": now(),
                    "method": scope["method"], "path": scope["path"], "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "records": state.get("records"), "rejects": state.get("rejects")}
            self.write(dumps(line).decode() + "\n")
