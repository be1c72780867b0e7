"""The ASGI application of ``mapper serve``, and running it with uvicorn.

``create_app(catalog)`` serves a loaded ``Catalog``; with ``reload`` it
watches the catalog's files (``Catalog.changed``) and swaps in a fresh
catalog when one changes, logging a JSON line. ``bind`` and ``run`` start
uvicorn on a socket bound beforehand, so a port in use is an ``OSError`` for
the caller and port 0 tells the port it got.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from ..formats.json import dumps
from .access_log import AccessLog, now
from .answers import on_bug, on_http_exception
from .catalog import Catalog
from .limits import Gate, Limits
from .playground import Sample
from .playground_routes import PLAYGROUND_ROUTES
from .routes import ROUTES, Served

#: Seconds between two looks at the files, with ``reload``.
RELOAD_INTERVAL = 0.5


def create_app(catalog: Catalog, *, limits: Limits = Limits(), reload: bool = False,
               log: Callable[[str], None] = lambda line: None, reload_interval: float = RELOAD_INTERVAL,
               sample: Sample | None = None) -> Starlette:
    """The application serving ``catalog``; ``log`` receives each access-log and reload line; the playground
    at ``/`` opens with ``sample`` (``mapper playground``), else with a served mapping."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            if reload:
                tasks.start_soon(_watch, app, log, reload_interval)
            yield
            tasks.cancel_scope.cancel()
        app.state.gate.close()

    app = Starlette(routes=ROUTES + PLAYGROUND_ROUTES, lifespan=lifespan, middleware=[Middleware(AccessLog, write=log)],
                    exception_handlers={HTTPException: on_http_exception, Exception: on_bug})
    app.state.served = Served(catalog)
    app.state.limits = limits
    app.state.sample = sample
    app.state.gate = Gate(limits.concurrency, limits.retry_after)
    return app


async def _watch(app: Starlette, log: Callable[[str], None], interval: float) -> None:
    while True:
        await anyio.sleep(interval)
        catalog: Catalog = app.state.served.catalog
        if not await anyio.to_thread.run_sync(catalog.changed):
            continue
        catalog = await anyio.to_thread.run_sync(catalog.reload)
        app.state.served = Served(catalog)
        log(dumps({"time": now(),
                   "event": "reloaded", "mappings": list(catalog.mappings),
                   "broken": [broken.to_dict() for broken in catalog.broken]}).decode() + "\n")


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0: any free port); raises ``OSError``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP said outright: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on sockets that say it,
    # and with it on, every answer written in two parts waited 40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def run(app: Starlette, sock: socket.socket) -> None:
    """Serve ``app`` on ``sock`` until SIGINT or SIGTERM; uvicorn logs only warnings (the access log is ours)."""
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])
