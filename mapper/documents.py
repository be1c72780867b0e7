"""Load YAML and JSON files and remember where every node came from.

Mapping files and schema files are read through here so that any later error
can point at file, line and column. YAML is read with the YAML 1.2 core schema:
only ``true``/``false`` are booleans and ``no``, ``on``, ``12:30`` or ``010``
stay what they look like (a lookup table keyed by the country code ``NO`` must
not get the key ``False``).

Paths into a document are tuples of keys and indexes, e.g. ``("rules", "email")``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Location, MappingSyntaxError

DocPath = tuple[str | int, ...]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CoreSchemaLoader(_Loader):  # type: ignore[valid-type,misc]
    """A safe loader that resolves plain scalars by the YAML 1.2 core schema."""


_CoreSchemaLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
]:
    _CoreSchemaLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
# An empty plain scalar resolves to null as well.
_CoreSchemaLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^$"), [""])


@dataclass
class Document:
    """Parsed file content with the position of every node.

    ``locate(path)`` gives the position of the value at ``path`` (or of its key
    with ``key=True``), falling back to the nearest enclosing node.
    Positions of JSON files are computed only when first asked for.
    """

    data: Any
    file: str
    text: str = field(repr=False)
    _positions: dict[DocPath, tuple[int, int]] | None = field(default=None, repr=False)
    _key_positions: dict[DocPath, tuple[int, int]] | None = field(default=None, repr=False)

    def locate(self, path: DocPath = (), *, key: bool = False) -> Location:
        if self._positions is None:
            self._positions, self._key_positions = {}, {}
            try:
                node = yaml.compose(self.text, Loader=_CoreSchemaLoader)
            except yaml.YAMLError:
                node = None
            if node is not None:
                _collect_positions(node, (), self._positions, self._key_positions)
        assert self._key_positions is not None
        if key and path in self._key_positions:
            line, column = self._key_positions[path]
            return Location(self.file, line, column)
        probe = path
        while True:
            if probe in self._positions:
                line, column = self._positions[probe]
                return Location(self.file, line, column)
            if not probe:
                return Location(self.file)
            probe = probe[:-1]


def load_document(path: str | Path, *, label: str | None = None) -> Document:
    """Read a YAML or JSON file (chosen by suffix; YAML when unsure).

    Raises ``MappingSyntaxError`` with line and column when it does not parse,
    ``OSError`` when it cannot be read.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    name = label or str(path)
    if path.suffix.lower() == ".json":
        return parse_json(text, name)
    return parse_yaml(text, name)


def parse_json(text: str, file: str) -> Document:
    """Parse JSON text; positions are found lazily, on the first ``locate``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise MappingSyntaxError(
            f"invalid JSON: {error.msg}", Location(file, error.lineno, error.colno)
        ) from error
    return Document(data, file, text)


def parse_yaml(text: str, file: str) -> Document:
    """Parse YAML text (JSON is YAML too), recording every node's position."""
    try:
        node = yaml.compose(text, Loader=_CoreSchemaLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = error.problem or error.context or "syntax error"
        raise MappingSyntaxError(f"invalid YAML: {problem}", where) from error
    except yaml.YAMLError as error:
        raise MappingSyntaxError(f"invalid YAML: {error}", Location(file)) from error
    positions: dict[DocPath, tuple[int, int]] = {}
    key_positions: dict[DocPath, tuple[int, int]] = {}
    data = None if node is None else _construct(node, (), file, positions, key_positions)
    return Document(data, file, text, positions, key_positions)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _construct(
    node: yaml.Node,
    path: DocPath,
    file: str,
    positions: dict[DocPath, tuple[int, int]],
    key_positions: dict[DocPath, tuple[int, int]],
) -> Any:
    positions[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and not key_node.style
            ):
                line, column = _mark(key_node)
                raise MappingSyntaxError(
                    "YAML merge keys (<<) are not supported; write the keys out",
                    Location(file, line, column),
                )
            key = _scalar(key_node, file)
            if not isinstance(key, Hashable) or isinstance(key, (list, dict)):
                line, column = _mark(key_node)
                raise MappingSyntaxError("a mapping key must be a scalar", Location(file, line, column))
            key = _key_text(key)
            if key in result:
                line, column = _mark(key_node)
                first_line = key_positions[path + (key,)][0]
                raise MappingSyntaxError(
                    f"duplicate key {key!r} (first defined on line {first_line})",
                    Location(file, line, column),
                )
            key_positions[path + (key,)] = _mark(key_node)
            result[key] = _construct(value_node, path + (key,), file, positions, key_positions)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, path + (index,), file, positions, key_positions)
            for index, item in enumerate(node.value)
        ]
    return _scalar(node, file)


def _key_text(key: Any) -> str:
    """Mapping keys are strings, as in JSON; scalars keep their YAML spelling."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _scalar(node: yaml.Node, file: str) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        line, column = _mark(node)
        raise MappingSyntaxError("expected a scalar here", Location(file, line, column))
    tag, value = node.tag, node.value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        if value.startswith("0o"):
            return int(value[2:], 8)
        return int(value, 0) if value.startswith("0x") else int(value)
    if tag == "tag:yaml.org,2002:float":
        lowered = value.lower()
        if lowered.endswith(".nan") or lowered.endswith("inf"):
            line, column = _mark(node)
            raise MappingSyntaxError(f"{value} is not a JSON number", Location(file, line, column))
        return float(value)
    if tag in ("tag:yaml.org,2002:str", "!"):
        return value
    line, column = _mark(node)
    raise MappingSyntaxError(f"unsupported YAML tag {tag}", Location(file, line, column))


def _collect_positions(
    node: yaml.Node,
    path: DocPath,
    positions: dict[DocPath, tuple[int, int]],
    key_positions: dict[DocPath, tuple[int, int]],
) -> None:
    positions[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            key_positions[path + (key,)] = _mark(key_node)
            _collect_positions(value_node, path + (key,), positions, key_positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_positions(item, path + (index,), positions, key_positions)


def pointer_to_path(pointer: str) -> DocPath:
    """Split a JSON pointer into path parts (array indexes stay strings)."""
    if not pointer:
        return ()
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/"))


def path_to_pointer(path: DocPath) -> str:
    """The JSON pointer of a path, e.g. ``("a", 0, "b/c")`` -> ``/a/0/b~1c``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)
