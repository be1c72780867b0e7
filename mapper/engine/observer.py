"""What a run tells whoever watches it (the CLI's progress line and messages), as it happens.

The engine never prints: it calls an ``Observer``. Every method here does
nothing; override the ones you need. ``progressed`` is called for every
record, so it must be cheap.
"""

from __future__ import annotations

from typing import IO


class Observer:
    """Receives the events of one run; the base class ignores them all."""

    def opened(self, stream: IO[bytes]) -> None:
        """An input is being read from ``stream``; its ``tell()`` says how many bytes so far."""

    def closed(self, size: int) -> None:
        """The input opened last was read to its end, or given up: ``size`` bytes (0 for a pipe)."""

    def progressed(self, records: int) -> None:
        """``records`` records have been read so far (written or rejected)."""

    def rejected(self, message: str) -> None:
        """A record failed and no rejects stream takes it: ``message`` says where and why."""

    def raised(self, where: str, traceback: str) -> None:
        """Only when debugging: a rule of the record rejected last raised; ``where`` names the record and the
        rule, ``traceback`` is the exception's as Python prints it. Told after the reject."""

    def broken(self, message: str) -> None:
        """An input broke off (``file:line:column: what``); the run goes on with the next one."""

    def finished(self) -> None:
        """The run is over, whether it ended well or not."""
