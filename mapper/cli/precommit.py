"""``mapper pre-commit check|test [FILE ...]``: what the hooks of .pre-commit-hooks.yaml run.

pre-commit passes the files a commit changes, whatever they are. This command
runs ``mapper check`` or ``mapper test`` on the mappings those files concern:

- a mapping file (YAML with a top-level ``mapping:`` key) is itself;
- a file under ``NAME.fixtures/`` is the mapping ``NAME.yaml`` beside that folder;
- any other file (a schema, a lookup file) may be read by any mapping, so it
  concerns every mapping file of the repository (``git ls-files``).

No mapping concerned, no mapping in the repository: nothing to do, exit 0.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._common import EXIT_OK, Streams
from .chaining import MAPPING_SUFFIXES

#: A mapping file's required top-level key, at the start of a line.
_MAPPING_KEY = re.compile(rb"^mapping\s*:", re.M)

EXAMPLE = """\
examples (pre-commit runs these with the files a commit changes):
  mapper pre-commit check mappings/crm-contact-to-member.yaml schemas/crm/contact.schema.json
  mapper pre-commit test mappings/crm-contact-to-member.fixtures/full-contact.input.json
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "pre-commit", help="check or test the mappings that changed files concern (the pre-commit hooks)",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run mapper check or mapper test on the mappings FILES concern: a mapping file itself, a "
                    "fixture its mapping, any other file (a schema) every mapping of the repository. "
                    "Exits as check or test does; 0 when no mapping is concerned.",
    )
    parser.add_argument("hook", choices=("check", "test"), help="the command to run")
    parser.add_argument("files", nargs="*", metavar="FILE", help="the files a commit changes")
    parser.set_defaults(execute=execute)
    return parser


def execute(args: argparse.Namespace, streams: Streams) -> int:
    from . import run  # the command line itself, so the hook prints and exits as `mapper check` does

    concerned = mappings_concerned(args.files)
    if not concerned:
        return EXIT_OK
    return run([args.hook, *concerned], streams.stdin, streams.stdout, streams.stderr)


def mappings_concerned(files: Iterable[str]) -> list[str]:
    """The mapping files that ``files`` concern, each once, in order (see the module's docstring)."""
    found: dict[str, None] = {}
    for name in files:
        path = Path(name)
        fixtures = next((parent for parent in path.parents if parent.suffix == ".fixtures"), None)
        if fixtures is not None:
            found.update(dict.fromkeys(str(mapping) for mapping in _beside(fixtures)))
        elif is_mapping(path):
            found[name] = None
        else:
            found.update(dict.fromkeys(repository_mappings()))
    return list(found)


def is_mapping(path: Path) -> bool:
    """Whether ``path`` is a YAML file with a top-level ``mapping:`` key (the format requires one)."""
    if path.suffix not in MAPPING_SUFFIXES:
        return False
    try:
        return _MAPPING_KEY.search(path.read_bytes()) is not None
    except OSError:  # deleted by the commit
        return False


def repository_mappings() -> list[str]:
    """Every mapping file git tracks here (outside fixture folders); without git, every one below."""
    import subprocess  # only for a file that concerns every mapping

    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--", *(f"*{suffix}" for suffix in MAPPING_SUFFIXES)],
                                capture_output=True, check=True, timeout=60).stdout.decode("utf-8").split("\0")
    except (OSError, subprocess.SubprocessError):
        listed = [str(path) for suffix in MAPPING_SUFFIXES for path in sorted(Path().rglob(f"*{suffix}"))]
    return [name for name in listed if name and ".fixtures/" not in name and is_mapping(Path(name))]


def _beside(fixtures: Path) -> list[Path]:
    return [mapping for suffix in MAPPING_SUFFIXES if (mapping := fixtures.with_name(fixtures.stem + suffix)).is_file()]
