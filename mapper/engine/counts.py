"""What a conversion or validation did: the one ``Counts`` of every runner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    """How many records a run read, wrote and rejected: ``read == written + rejected``.

    ``written`` counts the records that passed (for a validation: the valid
    ones). ``broken_inputs`` holds one message per input that breaks off
    (``file:line:column: what``): its records before the fault are counted and
    converted, the rest is unreadable. ``stopped`` says that a local run
    stopped at ``max_rejects`` without reading the rest; ``partitions`` is how
    many partitions a Dask run had (0 for a local run).
    """

    read: int = 0
    written: int = 0
    rejected: int = 0
    partitions: int = 0
    broken_inputs: tuple[str, ...] = ()
    stopped: bool = False

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.read + other.read, self.written + other.written, self.rejected + other.rejected,
                      self.partitions + other.partitions, self.broken_inputs + other.broken_inputs,
                      self.stopped or other.stopped)

    @property
    def ok(self) -> bool:
        """Every record passed and every input was read to its end."""
        return not self.rejected and not self.broken_inputs
