"""The library function that raises on purpose, rejecting the record: ``error(message)``."""

from __future__ import annotations

from typing import NoReturn

from .errors import RejectedByRule
from .library import library
from .specs import Refines, param


@library("error", [param("message", "string")], ("any",), refines=Refines("never"))
def _error(message: str) -> NoReturn:
    """Reject the record with exactly ``message``: ``x || error('x is missing')``."""
    raise RejectedByRule(message)
