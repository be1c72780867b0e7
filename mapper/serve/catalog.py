"""The mappings a server serves: every mapping file of one folder, loaded once, by name.

A mapping that does not load is not served: the catalog keeps its file and the
loading error (the message ``mapper convert`` would print), the server reports
it on ``/health`` and serves the rest. ``snapshot`` is what a reload watches:
the modification times of the mapping files and of every schema file the
loaded mappings read.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingOf
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import MapperError
from ..mapping import Mapping, load
from ..schemas import display_path
from ..tooling.check import find_mappings

#: The modification time (ns) of each file a catalog was loaded from; None for a file gone.
Snapshot = MappingOf[Path, int | None]


@dataclass(frozen=True)
class Broken:
    """A mapping file that did not load, and why."""

    file: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "message": self.message}


@dataclass(frozen=True)
class Catalog:
    """The loaded mappings of ``directory`` by name, and the files that did not load."""

    directory: Path
    mappings: MappingOf[str, Mapping]
    broken: tuple[Broken, ...] = ()
    functions: tuple[Any, ...] = ()
    snapshot: Snapshot = field(default_factory=dict, compare=False)

    def reload(self) -> Catalog:
        """The catalog loaded afresh from the same folder, with the same functions."""
        return load_catalog(self.directory, functions=self.functions)

    def changed(self) -> bool:
        """Whether a mapping file appeared, went or changed, or a schema file read changed."""
        return _times(set(self.snapshot) | set(find_mappings([self.directory]))) != self.snapshot


def load_catalog(directory: str | Path, *, functions: Sequence[Any] = ()) -> Catalog:
    """Load every mapping file under ``directory`` (as ``mapper check`` finds them), in name order."""
    directory = Path(directory)
    files = find_mappings([directory])
    mappings: dict[str, Mapping] = {}
    origins: dict[str, Path] = {}
    broken: list[Broken] = []
    for path in files:
        try:
            mapping = load(path, functions=functions)
        except MapperError as error:
            broken.append(Broken(display_path(path), str(error)))
            continue
        if mapping.name in mappings:
            broken.append(Broken(display_path(path), f"mapping {mapping.name!r} is already served from "
                                                     f"{display_path(origins[mapping.name])}"))
            continue
        mappings[mapping.name] = mapping
        origins[mapping.name] = path
    schema_files = {Path(unquote(urlsplit(uri).path)) for mapping in mappings.values()
                    for schema in (mapping.source_schema, mapping.target_schema)
                    for uri in schema.documents if uri.startswith("file:")}
    return Catalog(directory, dict(sorted(mappings.items())), tuple(broken), tuple(functions),
                   _times(set(files) | schema_files))


def _times(paths: set[Path]) -> dict[Path, int | None]:
    times: dict[Path, int | None] = {}
    for path in paths:
        try:
            times[path] = path.stat().st_mtime_ns
        except OSError:
            times[path] = None
    return times
