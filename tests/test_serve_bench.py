"""benchmarks/bench_serve.py speaks HTTP/1.1 as it says: its lean client reads every answer of a real server.

No figure is asserted (shared, noisy machines): only that each request got its answer.
"""

from __future__ import annotations

import asyncio

import pytest

from benchmarks import bench_serve


def test_the_serve_benchmark_gets_an_answer_to_every_request() -> None:
    results = bench_serve.main(["--records", "30", "--clients", "3", "--batches", "2", "--batch-clients", "2"])
    assert (results["single"]["requests"], results["batch"]["requests"]) == (30, 2)
    assert all(results[name]["records_per_s"] > 0 for name in ("single", "batch"))


@pytest.mark.parametrize(("answer", "status", "body"), [
    (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}", 200, b"{}"),
    (b"HTTP/1.1 422 Unprocessable Content\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n[1,2]",
     422, b"[1,2"),
])
def test_an_answer_is_read_by_its_content_length(answer: bytes, status: int, body: bytes) -> None:
    async def read() -> tuple[int, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(answer)
        return await bench_serve._answer(reader)

    assert asyncio.run(read()) == (status, body)


def test_an_answer_without_content_length_is_an_error() -> None:
    async def read() -> tuple[int, bytes]:
        reader = asyncio.StreamReader()
        reader.feed_data(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        return await bench_serve._answer(reader)

    with pytest.raises(RuntimeError, match="without Content-Length"):
        asyncio.run(read())
