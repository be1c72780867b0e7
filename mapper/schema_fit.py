"""Whether what one schema describes fits another: what a step writes against what the next reads.

``misfits(written, read)`` says why a value valid under ``written`` may be
refused by ``read``: a field ``read`` requires that ``written`` does not
declare, or a field both declare whose type ``read`` does not take (an integer
fits a number; a field ``written`` leaves untyped fits only an untyped one).
Chained mappings (``mapper.chain``: a step's target against the next step's
source) and ``mapper check`` (a sub-mapping's target against the parent's
field, ``M206``) ask it.
"""

from __future__ import annotations

from collections.abc import Iterator

from .jsontypes import type_allows
from .schemas import SchemaNode

__all__ = ["misfits"]

#: How deep two schemas are compared: as deep as records go in practice, finite for recursive schemas.
_DEPTH = 10


def misfits(written: SchemaNode, read: SchemaNode, *, writer: str, reader: str) -> Iterator[str]:
    """Why a value valid under ``written`` may not be valid under ``read``, outermost first; ``writer`` and
    ``reader`` name the two sides in the messages (``the target before it``, ``the source``)."""
    return _misfits(written, read, "", _DEPTH, writer, reader)


def _misfits(written: SchemaNode, read: SchemaNode, path: str, depth: int, writer: str,
             reader: str) -> Iterator[str]:
    written, read = written.resolved(), read.resolved()
    offered, taken = written.types(), read.types()
    if taken is not None and (offered is None or not all(type_allows(taken, kind) for kind in offered)):
        where = f"{path!r}" if path else "the record"
        what = " or ".join(sorted(offered)) if offered is not None else "any type"
        yield f"{where} is written as {what}, but read as {' or '.join(sorted(taken))}"
        return
    if depth == 0:
        return
    declared = set(written.property_names())
    required = read.required()
    for name in read.property_names():
        field_path = f"{path}.{name}" if path else name
        if name not in declared:
            if name in required:
                yield f"{reader} requires {field_path!r}, which {writer} does not write"
            continue
        written_child, read_child = written.property(name), read.property(name)
        if written_child is not None and read_child is not None:
            yield from _misfits(written_child, read_child, field_path, depth - 1, writer, reader)
    written_items, read_items = written.items(), read.items()
    if written_items is not None and read_items is not None:
        yield from _misfits(written_items, read_items, f"{path}[]", depth - 1, writer, reader)
