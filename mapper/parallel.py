"""Ordered, bounded parallel map over worker processes (``mapper convert --jobs``).

``ordered_map`` hands items (chunks of records) to a process pool and yields
the results in input order. At most ``in_flight`` items are submitted and not
yet consumed, so memory stays flat however long the input; the input iterator
is only advanced as results are taken. Closing the generator early (a caller
that stops at the first reject) cancels what has not started and waits for
what has.

Internal: the CLI's engine; not part of the front door.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(function: Callable[[T], R], items: Iterable[T], *, jobs: int,
                initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (),
                in_flight: int | None = None) -> Iterator[R]:
    """``map(function, items)`` over ``jobs`` processes, results in order.

    With ``jobs`` of 1 everything runs here, in this process (``initializer``
    included), which gives the same results without the cost of processes.
    ``function``, the items and the results must be picklable otherwise.
    """
    if jobs <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(function, items)
        return
    limit = in_flight or 2 * jobs
    pool = ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(initializer, initargs))
    pending: deque[Future[R]] = deque()
    iterator = iter(items)
    try:
        for item in iterator:
            pending.append(pool.submit(function, item))
            if len(pending) >= limit:
                break
        while pending:
            result = pending.popleft().result()
            for item in iterator:
                pending.append(pool.submit(function, item))
                break
            yield result
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    # Ctrl-C reaches the whole process group: the parent handles it (it owns the
    # output file); workers just stop when the parent shuts the pool down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if initializer is not None:
        initializer(*initargs)


def _die_with_parent() -> None:
    """On Linux, end this worker when its parent dies (even by SIGKILL) instead of waiting forever."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers stop when the pool's pipes close
        pass
