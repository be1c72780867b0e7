"""Load YAML and JSON files and remember where every node came from.

Mapping files and schema files are read through here so that any later error
can point at file, line and column. YAML is read with the YAML 1.2 core schema:
only ``true``/``false`` are booleans and ``no``, ``on``, ``12:30`` or ``010``
stay what they look like (a lookup table keyed by the country code ``NO`` must
not get the key ``False``).

Paths into a document are tuples of keys and indexes, e.g. ``("rules", "email")``.

A mapping file may come from anyone, so reading one is bounded: only a regular
file is read (a device or a FIFO might never end, or never start), at most
``MAX_FILE_BYTES`` of it; a document nests at most ``MAX_DEPTH`` levels; and
YAML aliases add at most ``MAX_ALIAS_NODES`` nodes (a few hundred bytes of
nested aliases would otherwise expand to gigabytes). Going beyond any of them is
a ``MappingSyntaxError`` at the line and column where it happens.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Location, MappingSyntaxError

DocPath = tuple[str | int, ...]

#: The largest mapping or schema file read (16 MiB; published schemas stay well below a few MiB).
MAX_FILE_BYTES = 16 * 1024 * 1024
#: How deep a document's objects and arrays may nest: far beyond any mapping or schema, and well
#: inside the recursion the loaders and the schema validators do on each level.
MAX_DEPTH = 128
#: How many nodes YAML aliases may add to a document, all aliases together.
MAX_ALIAS_NODES = 10_000

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
    is not UTF-8 or goes beyond the limits (see the module docstring);
    ``OSError`` when it cannot be read, is not a regular file
    (``IsADirectoryError`` for a directory) or is larger than ``MAX_FILE_BYTES``.
    """
    path = Path(path)
    name = label or str(path)
    text = _decode(_read_regular_file(path), name)
    if path.suffix.lower() == ".json":
        return parse_json(text, name)
    return parse_yaml(text, name)


def _read_regular_file(path: Path) -> bytes:
    # O_NONBLOCK: opening a FIFO must not wait for a writer that may never come.
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(descriptor, "rb") as stream:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, f"{_file_kind(mode)}, not a regular file", str(path))
        data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise OSError(errno.EFBIG, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", str(path))
    return data


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a file"


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        column = len(data[line_start:error.start].decode("utf-8", errors="replace")) + 1
        where = Location(file, data.count(b"\n", 0, error.start) + 1, column)
        raise MappingSyntaxError(f"not UTF-8 text: {error.reason} (0x{data[error.start]:02x})",
                                 where) from None


def _location_of_offset(text: str, offset: int, file: str) -> Location:
    line_start = text.rfind("\n", 0, offset) + 1
    return Location(file, text.count("\n", 0, offset) + 1, offset - line_start + 1)


def parse_json(text: str, file: str) -> Document:
    """Parse JSON text; positions are found lazily, on the first ``locate``."""
    try:
        data = json.loads(text)
        too_deep = _depth(data) > MAX_DEPTH
    except json.JSONDecodeError as error:
        raise MappingSyntaxError(
            f"invalid JSON: {error.msg}", Location(file, error.lineno, error.colno)
        ) from error
    except RecursionError:
        too_deep = True  # nested far deeper than MAX_DEPTH
    if too_deep:
        offset = json_too_deep(text, MAX_DEPTH)
        where = Location(file) if offset is None else _location_of_offset(text, offset, file)
        raise MappingSyntaxError(_TOO_DEEP, where)
    return Document(data, file, text)


_TOO_DEEP = f"the document nests deeper than {MAX_DEPTH} levels"
#: A JSON string (skipped whole: brackets inside it do not count) or a bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_too_deep(text: str, limit: int) -> int | None:
    """The offset of the first bracket nesting deeper than ``limit`` in JSON text, if any.

    Reads only brackets and strings, so it answers for text ``json.loads`` would overflow on.
    """
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return token.start()
        elif bracket in "]}":
            depth -= 1
    return None


def _depth(data: Any) -> int:
    """How many levels of objects and arrays ``data`` nests (a scalar 0, ``[]`` 1), without recursion."""
    deepest = 0
    pending = [(data, 1)] if isinstance(data, (dict, list)) else []
    while pending:
        value, depth = pending.pop()
        deepest = max(deepest, depth)
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, (dict, list)):
                pending.append((child, depth + 1))
    return deepest


def parse_yaml(text: str, file: str) -> Document:
    """Parse YAML text (JSON is YAML too), recording every node's position."""
    try:
        _check_aliases_and_depth(text, file)
        node = yaml.compose(text, Loader=_CoreSchemaLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        problem = error.problem or error.context or "syntax error"
        raise MappingSyntaxError(f"invalid YAML: {problem}", where) from error
    except yaml.reader.ReaderError as error:
        character = chr(error.character) if isinstance(error.character, int) else error.character
        # The first such character is the one refused (libyaml counts its position in bytes, not characters).
        offset = text.find(character)
        raise MappingSyntaxError(f"invalid YAML: the character U+{ord(character):04X} is not allowed ({error.reason})",
                                 _location_of_offset(text, max(offset, 0), file)) from None
    except yaml.YAMLError as error:
        raise MappingSyntaxError(f"invalid YAML: {error}", Location(file)) from error
    positions: dict[DocPath, tuple[int, int]] = {}
    key_positions: dict[DocPath, tuple[int, int]] = {}
    data = None if node is None else _construct(node, (), file, positions, key_positions)
    return Document(data, file, text, positions, key_positions)


def _check_aliases_and_depth(text: str, file: str) -> None:
    """Refuse a document nesting deeper than ``MAX_DEPTH`` or whose aliases add more than
    ``MAX_ALIAS_NODES`` nodes, or a recursive alias, at the place it happens.

    A pass over the parser's events, before any node is built: the composed graph shares the
    nodes of an alias, but building values from it would expand every alias (and never end
    on a recursive one), and it keeps no position of the alias itself.
    """
    # Each open collection: its anchor, its nodes so far, the most levels of collections inside it.
    open_nodes: list[tuple[str | None, int, int]] = []
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> its nodes, its levels of collections
    added = 0

    def close(anchor: str | None, nodes: int, levels: int) -> None:
        if anchor is not None:
            sizes[anchor] = nodes, levels
        if open_nodes:
            parent_anchor, parent_nodes, parent_levels = open_nodes[-1]
            open_nodes[-1] = parent_anchor, parent_nodes + nodes, max(parent_levels, levels)

    for event in yaml.parse(text, Loader=_CoreSchemaLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_nodes) == MAX_DEPTH:
                raise _refused(_TOO_DEEP, event, file)
            open_nodes.append((event.anchor, 1, 0))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, nodes, below = open_nodes.pop()
            close(anchor, nodes, below + 1)
        elif isinstance(event, yaml.ScalarEvent):
            close(event.anchor, 1, 0)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes:
                if any(anchor == event.anchor for anchor, _, _ in open_nodes):
                    raise _refused(f"the alias *{event.anchor} is recursive: it is inside its own anchor",
                                   event, file)
                continue  # an undefined alias: composing reports it
            nodes, levels = sizes[event.anchor]
            added += nodes
            if added > MAX_ALIAS_NODES:
                raise _refused(f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} nodes", event, file)
            if len(open_nodes) + levels > MAX_DEPTH:
                raise _refused(_TOO_DEEP, event, file)
            close(None, nodes, levels)


def _refused(message: str, event: yaml.Event, file: str) -> MappingSyntaxError:
    mark = event.start_mark
    return MappingSyntaxError(message, Location(file, mark.line + 1, mark.column + 1) if mark else Location(file))


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
