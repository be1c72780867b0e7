"""The bounds on reading a mapping or schema document, shared by its JSON and YAML readers.

``mapper.documents`` documents them; ``mapper.yaml_documents`` applies them to YAML without
importing ``mapper.documents`` (which imports it only when a YAML document is read).
"""

from __future__ import annotations

from .errors import Location

#: A path into a document: keys and indexes, e.g. ``("rules", "email")``.
DocPath = tuple[str | int, ...]

#: The largest mapping or schema file read (16 MiB; published schemas stay well below a few MiB).
MAX_FILE_BYTES = 16 * 1024 * 1024
#: How deep a document's objects and arrays may nest: far beyond any mapping or schema, and well
#: inside the recursion the loaders and the schema validators do on each level.
MAX_DEPTH = 128
#: How many nodes YAML aliases may add to a document, all aliases together.
MAX_ALIAS_NODES = 10_000
#: The message for a document nesting deeper than ``MAX_DEPTH``, JSON or YAML.
TOO_DEEP = f"the document nests deeper than {MAX_DEPTH} levels"


def location_of_offset(text: str, offset: int, file: str) -> Location:
    """The 1-based line and column of character ``offset`` of ``text``."""
    line_start = text.rfind("\n", 0, offset) + 1
    return Location(file, text.count("\n", 0, offset) + 1, offset - line_start + 1)
