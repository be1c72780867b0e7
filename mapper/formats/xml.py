"""XML payloads, read and written through JSON Schemas with OpenAPI ``xml`` hints.

``XmlReader`` turns an XML document into records shaped and typed by the
source schema, streaming over a repeated record element; ``XmlWriter`` writes
records as XML laid out by the target schema. Both follow the conventions of
docs/xml.md; the schema is compiled once into a plan (``xml_plan``).
"""

from __future__ import annotations

from .xml_plan import NIL, TEXT_KEY, XSI
from .xml_read import LIBXML2_MAX_DEPTH, XmlReader
from .xml_write import XmlWriter, text_of

__all__ = ["LIBXML2_MAX_DEPTH", "NIL", "TEXT_KEY", "XSI", "XmlReader", "XmlWriter", "text_of"]
