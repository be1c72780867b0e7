"""What a run shows on standard error as it goes: a progress line, and a line per reject or broken input
(with ``--debug``, the tracebacks of a reject's rules under it).

The progress line is for people watching a terminal: shown only when standard
error is a terminal and every input is a regular file (so the total size is
known); pipes, CI logs and redirected stderr never see a byte of it. One line
redrawn with ``\\r`` at most five times a second, cut to the terminal's width
(asked again at each redraw, so a resized window is followed; one column is
left free, so the line never wraps), erased before anything else is printed
and at the end. On a terminal that cannot redraw (``TERM=dumb``: Emacs shells,
some IDE consoles) a plain line is written every ``_PLAIN_INTERVAL`` seconds
instead. No colour is ever written, so ``NO_COLOR`` holds whatever its value.

The fraction is of the input mapped. With ``--jobs N`` the reader runs ahead of
the workers by up to ``2 * N`` blocks of ``BLOCK_SIZE`` bytes (``mapper.engine.workers``
keeps that many in flight): that much is taken off while reading goes on, and once
all is read the records still coming are counted at the bytes a record took so far.
The line never says 100% before the run is over.
"""

from __future__ import annotations

import os
import stat
import time
from typing import IO, Final

from ..engine import Observer
from ..engine.units import BLOCK_SIZE

_INTERVAL: Final = 0.2
_PLAIN_INTERVAL: Final = 10.0
_BAR: Final = 20  # the widest bar, in characters
_NARROWEST_BAR: Final = 5
_ALMOST_DONE: Final = 0.99
_ETA_FROM: Final = 0.001


class Progress(Observer):
    """Tracks bytes read against the total size of the input files; says what went wrong."""

    def __init__(self, stderr: IO[str], inputs: list[str], *, enabled: bool | None = None, jobs: int = 1) -> None:
        self.stderr = stderr
        self.total = _total_size(inputs)
        if enabled is None:
            enabled = _isatty(stderr)
        self.enabled = enabled and self.total is not None
        self.redraws = os.environ.get("TERM") != "dumb"
        self.ahead = 2 * jobs * BLOCK_SIZE if jobs > 1 else 0  # read but not yet mapped, at the most
        self.done_bytes = 0  # bytes of the inputs finished
        self.current: IO[bytes] | None = None
        self.started = time.monotonic()  # the clock of the summary line too
        self._interval = _INTERVAL if self.redraws else _PLAIN_INTERVAL
        self._next = self.started + self._interval
        self._shown = False
        self._per_record: float | None = None  # bytes of input a record takes, as measured with workers

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
        self._next = now + self._interval
        assert self.total is not None
        position = self.done_bytes
        if self.current is not None:
            try:
                position += self.current.tell()
            except (OSError, ValueError):
                pass
        if self.ahead:
            position = self._mapped(position, records)
        fraction = min(position / self.total if self.total else 1.0, _ALMOST_DONE)
        elapsed = now - self.started
        line = progress_line(fraction, position, self.total, records, elapsed,
                             width=_width(self.stderr) if self.redraws else None)
        if self.redraws:
            self.stderr.write(f"\r{line}\x1b[K")
            self._shown = True
        else:
            self.stderr.write(f"mapper: {line}\n")
        self.stderr.flush()

    def _mapped(self, read: int, records: int) -> int:
        """The bytes of the records mapped so far, when workers lag behind the ``read`` bytes by ``ahead``.

        While reading goes on, that is ``read - ahead``, which also gives the bytes a record takes; once
        everything is read, the records that still come in are counted at that size.
        """
        assert self.total is not None
        if read < self.total and read > self.ahead and records:
            self._per_record = (read - self.ahead) / records
        if self._per_record is None:
            return max(0, read - self.ahead)
        return min(read, int(records * self._per_record))

    def clear(self) -> None:
        """Erase the line (before a message, and at the end)."""
        if self._shown:
            self.stderr.write("\r\x1b[K")
            self.stderr.flush()
            self._shown = False

    def _say(self, text: str) -> None:
        self.clear()
        self.stderr.write(text)


def progress_line(fraction: float, position: float, total: int, records: int, elapsed: float, *,
                  width: int | None) -> str:
    """The progress line, at most ``width - 1`` characters (None: no bar, no limit).

    What does not fit goes, least useful first: time left, rate, sizes, the bar, the count of records.
    """
    rate = records / elapsed if elapsed > 0 else 0.0
    percent = f"{fraction:4.0%}"
    parts = [f"{_size(position)} of {_size(total)}", f"{records:,} record{'s' if records != 1 else ''}",
             f"{rate:,.0f}/s"]
    if _ETA_FROM <= fraction < 1:  # before that, a guess of the time left is noise (or infinite)
        parts.append(f"{_duration(elapsed / fraction - elapsed)} left")
    if width is None:
        return f"{percent} {', '.join(parts)}"
    room = width - 1
    for kept in ([0, 1, 2, 3], [0, 1, 2], [0, 1], [1], []):
        text = " ".join([percent, ", ".join(part for index, part in enumerate(parts) if index in kept)]).rstrip()
        bar = min(_BAR, room - len(text) - 3)  # "[" bar "] "
        if bar >= _NARROWEST_BAR:
            return f"[{'#' * int(fraction * bar):<{bar}}] {text}"
        if len(text) <= room and not kept:
            return text
    return percent.strip()[:room]


def _width(stream: IO[str]) -> int:
    """The columns of the terminal ``stream`` writes to; 80 when it cannot tell."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):  # io.StringIO in tests, a closed stream
        return 80


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
