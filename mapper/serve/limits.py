"""The limits of a server: request size, time per request, conversions at once.

- The body is counted while it is read, whatever ``Content-Length`` claims, and
  refused with 413 as soon as it passes ``max_body`` bytes (a ``Content-Length``
  above the limit is refused before reading).
- A conversion request that takes longer than ``timeout`` seconds, reading its
  body included, is answered 504.
- At most ``concurrency`` conversions run at once, each in a worker thread of
  its own so the event loop stays free; one more is answered 503 with
  ``Retry-After``. A conversion whose answer was given up (504) keeps its slot
  until its thread is done, so slow requests cannot pile up threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request

from .answers import Refusal

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """What one server takes: bytes per request body, seconds per request, conversions at once."""

    max_body: int = 10 * 1024 * 1024
    timeout: float = 30.0
    concurrency: int = 8
    #: Seconds a client told 503 is asked to wait (``Retry-After``).
    retry_after: int = 1


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body; raises a 413 ``Refusal`` once more than ``limit`` bytes arrive."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, f"its Content-Length is {int(declared):,} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, f"more than {limit:,} bytes arrived")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int, why: str) -> Refusal:
    return Refusal(413, "too-large", f"the request body is larger than the limit of {limit:,} bytes ({why}); "
                                     "send smaller batches, or start the server with a larger --max-body",
                   limit=limit)


class Gate:
    """At most ``slots`` conversions at once, each in a thread of its own."""

    def __init__(self, slots: int, retry_after: int = 1) -> None:
        self.slots = slots
        self.retry_after = retry_after
        self._free = slots
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(slots, thread_name_prefix="mapper-serve")

    def enter(self) -> None:
        """Take a slot, or raise a 503 ``Refusal`` when every slot is taken."""
        with self._lock:
            if self._free == 0:
                raise Refusal(503, "busy", f"the server is running {self.slots} conversions already, the most it "
                                           f"takes at once (--max-concurrency); try again in {self.retry_after} s",
                              headers={"Retry-After": str(self.retry_after)}, limit=self.slots)
            self._free -= 1

    def leave(self, _: object = None) -> None:
        """Give a slot back."""
        with self._lock:
            self._free += 1

    async def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` in a thread, holding the slot taken by ``enter`` until the thread is done.

        Cancelling the wait (a timeout) gives up the answer, not the slot: the
        done callback gives it back, whether the work ran to its end or never
        started.
        """
        future: Future[T] = self._executor.submit(work)
        future.add_done_callback(self.leave)
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
