"""``M206``: a sub-mapping's target schema against the field of the parent's target it fills.

A rule ``{each: lines, mapping: line.yaml}`` builds each item of ``lines``
with ``line.yaml``'s rules, which were written (and checked) against
``line.yaml``'s own target schema. The parent's field must take what that
schema describes (``schema_fit``): each field it requires is one the
sub-mapping's target declares, and a field both declare has a type the
parent's takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ...errors import Location, SchemaError
from ...mapping_file import SubMappingUse
from ...schema_fit import misfits
from ...schemas import Schema, SchemaNode, load_schema

__all__ = ["sub_mapping_misfits"]

#: (code, message, location, rule), as the checker reports a finding.
Finding = tuple[str, str, Location, str]


def sub_mapping_misfits(uses: Iterable[SubMappingUse], target: Schema) -> Iterator[Finding]:
    """``M206`` for each sub-mapping whose target schema the parent's field does not take (``M108`` when
    that schema does not load); a field the parent's target lacks is ``M201``'s, not reported here."""
    for use in uses:
        field = _field(target.root, use.target_path)
        if field is None:
            continue
        try:
            written = load_schema(use.target_schema, referenced_from=use.target_schema_location)
        except SchemaError as error:
            yield "M108", error.message, error.location or use.location, use.rule
            continue
        problem = next(misfits(written.root, field, writer="the sub-mapping's target schema",
                               reader="the parent's target"), None)
        if problem is not None:
            yield ("M206", f"the target field {use.rule!r} does not take what {Path(use.target_schema).name} "
                           f"describes: {problem}", use.location, use.rule)


def _field(node: SchemaNode | None, steps: tuple[str, ...]) -> SchemaNode | None:
    for step in steps:
        if node is None:
            return None
        node = node.items() if step == "[]" else node.property(step)
    return node
