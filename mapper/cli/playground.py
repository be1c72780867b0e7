"""``mapper playground``: one mapping in the browser, run by the real engine on a local server (docs/serve.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, Streams, UsageError
from .check import add_functions_option, user_functions
from .serve import listen, port, serve_package

EXAMPLE = """\
examples:
  mapper playground mappings/crm-contact-to-member.yaml
  mapper playground mappings/crm-contact-to-member.yaml contact.json --port 8001 --no-browser

The page edits the mapping, the input and both schemas, and shows the output, every problem at its
line, check's findings, and single expressions evaluated against the input (Ctrl-Enter runs).
It listens on 127.0.0.1 only. Needs: pip install 'mapper[serve]'
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "playground", help="try a mapping in the browser", epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start mapper serve's server on 127.0.0.1 with the playground at / opened on MAPPING "
                    "(and INPUT, else the mapping's first fixture input), print its URL, and open it in a "
                    "browser when standard output is a terminal. A mapping that does not load opens too, "
                    "with its problem shown. One JSON line per request on standard error.",
    )
    parser.add_argument("mapping", metavar="MAPPING", help="the mapping file to open")
    parser.add_argument("input", nargs="?", metavar="INPUT", help="an input file to open (JSON, NDJSON or XML)")
    parser.add_argument("--port", type=port, default=0, help="the port (default: 0, any free port)")
    parser.add_argument("--no-browser", action="store_true", help="print the URL, open no browser")
    add_functions_option(parser)
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    serve = serve_package("playground")
    from ..errors import MapperError
    from ..mapping import load
    from ..schemas import display_path

    path = Path(args.mapping)
    if not path.is_file():
        raise UsageError(f"no such mapping file: {path}")
    functions = user_functions(args.functions)
    broken: tuple[Any, ...] = ()
    try:
        mapping = load(path, functions=functions)
    except MapperError as error:  # shown in the page, to be fixed there
        mapping, broken = None, (serve.Broken(display_path(path), str(error)),)
    sample = serve.sample_of(path, Path(args.input) if args.input else None, mapping)
    catalog = serve.Catalog(path.parent, {mapping.name: mapping} if mapping else {}, broken, tuple(functions))
    stderr = streams.stderr

    def log(line: str) -> None:
        stderr.write(line)
        stderr.flush()

    app = serve.create_app(catalog, log=log, sample=sample)
    sock, url = listen("127.0.0.1", args.port)
    page = f"{url}/"
    streams.stdout.write(f"mapper playground: {sample.name} on {page} (Ctrl-C to stop)\n".encode())
    streams.stdout.flush()
    if streams.stdout.isatty() and not args.no_browser:
        import webbrowser  # its import looks for browsers: only when one is to open

        webbrowser.open(page)
    serve.run(app, sock)
    return EXIT_OK
