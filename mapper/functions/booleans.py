"""The library function reading booleans: ``to_bool``."""

from __future__ import annotations

from .describe import show
from .errors import FunctionError
from .library import library
from .specs import Expects, param

_BOOLEAN_TEXT = {**dict.fromkeys(("true", "yes", "y", "1", "on", "t"), True),
                 **dict.fromkeys(("false", "no", "n", "0", "off", "f"), False)}


@library("to_bool", [param("value", "string", "number", "boolean", "null", expects=Expects("boolean_text"))],
         ("boolean", "null"))
def _to_bool(value: str | float | bool | None) -> bool | None:
    """true/false, yes/no, y/n, on/off, t/f, 1/0 (any case) and the numbers 1 and 0 as a boolean."""
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        result = _BOOLEAN_TEXT.get(value.strip().lower())
    else:
        result = True if value == 1 else False if value == 0 else None
    if result is None:
        raise FunctionError("to_bool", f"cannot read {show(value)} as a boolean "
                                       "(expected true/false, yes/no, y/n, on/off, t/f or 1/0)")
    return result
