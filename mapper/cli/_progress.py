"""What a run shows on standard error as it goes: a progress line, and a line per reject or broken input
(with ``--debug``, the tracebacks of a reject's rules under it).

The progress line is for people watching a terminal: shown only when standard
error is a terminal and every input is a regular file (so the total size is
known); pipes, CI logs and redirected stderr never see a byte of it. One line
redrawn with ``\\r`` at most five times a second, erased before anything else
is printed and at the end.
"""

from __future__ import annotations

import os
import stat
import time
from typing import IO, Final

from ..engine import Observer

_INTERVAL: Final = 0.2


class Progress(Observer):
    """Tracks bytes read against the total size of the input files; says what went wrong."""

    def __init__(self, stderr: IO[str], inputs: list[str], *, enabled: bool | None = None) -> None:
        self.stderr = stderr
        self.total = _total_size(inputs)
        if enabled is None:
            enabled = _isatty(stderr)
        self.enabled = enabled and self.total is not None
        self.done_bytes = 0  # bytes of the inputs finished
        self.current: IO[bytes] | None = None
        self.started = time.monotonic()  # the clock of the summary line too
        self._next = self.started + _INTERVAL
        self._shown = False

    def opened(self, stream: IO[bytes]) -> None:
        self.current = stream

    def closed(self, size: int) -> None:
        self.done_bytes += size
        self.current = None

    def rejected(self, message: str) -> None:
        self._say(f"mapper: rejected: {message}\n")

    def raised(self, where: str, traceback: str) -> None:
        self._say(f"mapper: traceback of {where}:\n{traceback}")

    def broken(self, message: str) -> None:
        self._say(f"mapper: error: {message}\n")

    def finished(self) -> None:
        self.clear()

    def progressed(self, records: int) -> None:
        """Redraw if it is time; cheap to call for every record."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + _INTERVAL
        assert self.total is not None
        position = self.done_bytes
        if self.current is not None:
            try:
                position += self.current.tell()
            except (OSError, ValueError):
                pass
        fraction = min(position / self.total, 1.0) if self.total else 1.0
        elapsed = now - self.started
        rate = records / elapsed if elapsed > 0 else 0.0
        eta = f", {_duration(elapsed / fraction - elapsed)} left" if 0 < fraction < 1 else ""
        bar = "#" * int(fraction * 20)
        line = (f"\r[{bar:<20}] {fraction:4.0%} {_size(position)} of {_size(self.total)}, "
                f"{records:,} records, {rate:,.0f}/s{eta}")
        self.stderr.write(line + "\x1b[K")
        self.stderr.flush()
        self._shown = True

    def clear(self) -> None:
        """Erase the line (before a message, and at the end)."""
        if self._shown:
            self.stderr.write("\r\x1b[K")
            self.stderr.flush()
            self._shown = False

    def _say(self, text: str) -> None:
        self.clear()
        self.stderr.write(text)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _total_size(inputs: list[str]) -> int | None:
    total = 0
    for name in inputs:
        if name == "-":
            return None
        try:
            info = os.stat(name)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        total += info.st_size
    return total


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"  # pragma: no cover


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"
