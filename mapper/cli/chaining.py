"""Which positionals of ``mapper convert`` are mappings: ``mapper convert a.yaml b.yaml INPUT`` chains a and b.

The first positional is a mapping file, as always; so is every positional
right after it that ends in ``.yaml`` or ``.yml`` (no payload format does).
The first that does not, and all after it, are inputs. A mapping file in JSON
can only come first.
"""

from __future__ import annotations

__all__ = ["split_positionals"]

MAPPING_SUFFIXES = (".yaml", ".yml")


def split_positionals(first: str, rest: list[str]) -> tuple[list[str], list[str]]:
    """The mapping files and the inputs (``-``, standard input, when none is left) among the positionals."""
    count = 0
    while count < len(rest) and rest[count].lower().endswith(MAPPING_SUFFIXES):
        count += 1
    return [first, *rest[:count]], rest[count:] or ["-"]

