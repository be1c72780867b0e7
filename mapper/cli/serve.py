"""``mapper serve``: the mappings of a folder as HTTP endpoints, on uvicorn (docs/serve.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._common import EXIT_OK, Streams, UsageError, positive
from .check import add_functions_option, user_functions

if TYPE_CHECKING:
    import socket

DEFAULT_DIRECTORY = "mappings"
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}

EXAMPLE = """\
examples:
  mapper serve                                   every mapping under mappings/, on http://127.0.0.1:8000
  mapper serve mappings --port 8080 --reload     reload the mappings when their files change
  curl -s localhost:8000/mappings/crm-contact-to-member -H 'Content-Type: application/json' -d @contact.json

endpoints: POST /mappings/NAME (a record, an array or NDJSON), GET /mappings, GET /mappings/NAME,
GET / (the playground), GET /openapi.json, GET /docs, GET /health, GET /ready. Needs: pip install 'mapper[serve]'
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve", help="serve mappings as HTTP endpoints", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Load every mapping of a folder once and serve each as POST /mappings/NAME, with an "
                    "OpenAPI document built from the mappings' schemas. A mapping that does not load is "
                    "reported here and on /health, and the others are served. One JSON line per request "
                    "on standard error.",
    )
    parser.add_argument("directory", nargs="?", default=DEFAULT_DIRECTORY, metavar="MAPPINGS_DIR",
                        help=f"the folder of mapping files (default: {DEFAULT_DIRECTORY})")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=port, default=8000, help="the port (default: 8000; 0: any free port)")
    add_functions_option(parser)
    parser.add_argument("--reload", action="store_true",
                        help="reload the mappings when a mapping or schema file changes")
    limits = parser.add_argument_group("limits")
    limits.add_argument("--max-body", type=size, default="10M", metavar="SIZE",
                        help="the largest request body, in bytes, or with k, M or G (default: 10M)")
    limits.add_argument("--timeout", type=seconds, default=30.0, metavar="SECONDS",
                        help="the longest a conversion request may take (default: 30)")
    limits.add_argument("--max-concurrency", type=positive, default=8, metavar="N",
                        help="conversions at once; more are answered 503 (default: 8)")
    parser.set_defaults(execute=execute)
    return parser


def port(text: str) -> int:
    """An argparse type: a TCP port, 0 to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return int(text)


def size(text: str) -> int:
    """An argparse type: a number of bytes, with an optional k, M or G (powers of 1024)."""
    number, unit = text.rstrip("kKmMgGbB"), text[len(text.rstrip("kKmMgGbB")):].lower().rstrip("b")
    if not number.isdigit() or unit not in _UNITS or int(number) == 0:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (say 512k, 10M or 1048576)")
    return int(number) * _UNITS[unit]


def seconds(text: str) -> float:
    """An argparse type: a positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def serve_package(command: str) -> ModuleType:
    """``mapper.serve``, or a ``UsageError`` saying how to install the extra it needs."""
    try:
        from .. import serve
    except ImportError as error:
        if (error.name or "").partition(".")[0] not in ("starlette", "uvicorn", "anyio"):
            raise
        raise UsageError(f"mapper {command} needs the serve extra: pip install 'mapper[serve]' ({error})") from error
    return serve


def listen(host: str, port: int) -> tuple[socket.socket, str]:
    """A socket listening on ``host``:``port`` and its URL; a ``UsageError`` when it cannot be had."""
    from ..serve import bind

    try:
        sock = bind(host, port)
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    sock.listen()  # now: a client given the URL (a browser opened on it) waits for uvicorn instead of being refused
    bound_host, bound = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return sock, f"http://{shown}:{bound}"


def execute(args: argparse.Namespace, streams: Streams) -> int:
    serve = serve_package("serve")
    directory = Path(args.directory)
    if not directory.is_dir():
        raise UsageError(f"no such folder of mappings: {directory}")
    catalog = serve.load_catalog(directory, functions=user_functions(args.functions))
    if not catalog.mappings and not catalog.broken:
        raise UsageError(f"no mapping files (*.yaml) in {directory}")
    stderr = streams.stderr
    for broken in catalog.broken:
        stderr.write(f"mapper serve: warning: not serving {broken.file}: {broken.message}\n")

    def log(line: str) -> None:
        stderr.write(line)
        stderr.flush()

    app = serve.create_app(catalog, reload=args.reload, log=log, limits=serve.Limits(
        max_body=args.max_body, timeout=args.timeout, concurrency=args.max_concurrency))
    sock, url = listen(args.host, args.port)
    log(f"mapper serve: {len(catalog.mappings)} mapping{'s' if len(catalog.mappings) != 1 else ''} from "
        f"{directory} on {url} (docs: {url}/docs"
        f"{'; reloading on change' if args.reload else ''}; Ctrl-C to stop)\n")
    serve.run(app, sock)
    return EXIT_OK
