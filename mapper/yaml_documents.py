"""Read YAML text into values, with the line and column of every node (PyYAML's parser).

The YAML half of ``mapper.documents``, apart so that PyYAML is imported only when a
YAML document is read, or a position in a JSON one is first asked for: a JSON mapping
never pays for it. Scalars resolve by the YAML 1.2 core schema; the limits on depth
and aliases are those of ``mapper.document_bounds``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

import yaml

from .document_bounds import MAX_ALIAS_NODES, MAX_DEPTH, TOO_DEEP, DocPath, location_of_offset
from .errors import Location, MappingSyntaxError

#: Path -> (line, column), 1-based.
Positions = dict[DocPath, tuple[int, int]]

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


def parse(text: str, file: str) -> tuple[Any, Positions, Positions]:
    """The value of YAML text (JSON is YAML too), the position of every node and of every key.

    Raises ``MappingSyntaxError`` at the line and column where it does not parse or goes beyond
    the limits of ``mapper.document_bounds``.
    """
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
                                 location_of_offset(text, max(offset, 0), file)) from None
    except yaml.YAMLError as error:
        raise MappingSyntaxError(f"invalid YAML: {error}", Location(file)) from error
    node_positions: Positions = {}
    key_positions: Positions = {}
    data = None if node is None else _construct(node, (), file, node_positions, key_positions)
    return data, node_positions, key_positions


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
                raise _refused(TOO_DEEP, event, file)
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
                raise _refused(TOO_DEEP, event, file)
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
    positions: Positions,
    key_positions: Positions,
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
