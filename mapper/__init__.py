"""mapper: declarative data mapping between JSON Schemas with JMESPath rules.

The front door::

    import mapper

    mapping = mapper.load("mappings/crm-contact-to-member.yaml")
    member = mapping.apply(contact)            # a valid target record, or RecordError
    for result in mapping.apply_many(contacts):  # one Result per input, never lost
        ...
    counts = mapper.convert_files(mapping, ["contacts.ndjson"], "members.ndjson", rejects="rejects.ndjson")

One expression on its own, as with ``jmespath``::

    mapper.search("Emails[?IsPrimary] | [0].Address", contact)
    expression = mapper.compile("upper(LastName)")   # an Expression, compiled once
    expression.search(contact)

``load`` reads a mapping file (YAML or JSON) with its two schemas and compiles
its rules once; the ``Mapping`` it returns is immutable, thread-safe and
picklable. Register your own JMESPath functions with ``@jmespath_function``
and pass them as ``load(path, functions=[...])`` (or ``compile`` and
``search``). Every error is a ``MapperError``; ``mapper.errors`` draws the
hierarchy.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chains import Chain, chain
    from .engine import convert_files
    from .errors import (
        ConversionError,
        EvaluationError,
        ExpressionError,
        HostileInputError,
        Location,
        MapperError,
        MappingError,
        MappingFormatError,
        MappingSyntaxError,
        PayloadError,
        PayloadSyntaxError,
        Problem,
        RecordError,
        SchemaError,
        UnknownFunctionError,
        UnknownNameError,
    )
    from .expressions import Expression, compile, search
    from .functions import FunctionSpec, jmespath_function
    from .mapping import Mapping, Result, load

#: The module of each name, imported on first use: ``import mapper`` costs nothing, and what a run needs
#: comes in as it needs it (the schema validators, lxml and the compiler are most of a start-up), so that
#: ``mapper --version`` does not wait for them, and the CLI imports even the errors inside the code that
#: turns a Ctrl-C during start-up into "interrupted".
_LAZY = {
    **dict.fromkeys(["ConversionError", "EvaluationError", "ExpressionError", "HostileInputError", "Location",
                     "MapperError", "MappingError", "MappingFormatError", "MappingSyntaxError", "PayloadError",
                     "PayloadSyntaxError", "Problem", "RecordError", "SchemaError", "UnknownFunctionError",
                     "UnknownNameError"], "errors"),
    "convert_files": "engine", "Expression": "expressions", "compile": "expressions", "search": "expressions",
    "FunctionSpec": "functions", "jmespath_function": "functions", "Mapping": "mapping", "Result": "mapping",
    "load": "mapping", "Chain": "chains", "chain": "chains",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'mapper' has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "Chain",
    "ConversionError",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "FunctionSpec",
    "HostileInputError",
    "Location",
    "MapperError",
    "Mapping",
    "MappingError",
    "MappingFormatError",
    "MappingSyntaxError",
    "PayloadError",
    "PayloadSyntaxError",
    "Problem",
    "RecordError",
    "Result",
    "SchemaError",
    "UnknownFunctionError",
    "UnknownNameError",
    "__version__",
    "chain",
    "compile",
    "convert_files",
    "jmespath_function",
    "load",
    "search",
]
