"""Benchmark: `mapper serve` under a bounded load on the loopback, against the mapping alone.

    python -m benchmarks.bench_serve [--records N] [--clients C] [--batches B] [--batch-clients C]

Starts the real ``mapper serve`` (on the shipped mappings, ``--port 0``) in a
process of its own, then sends, from this process, with a fixed number of
concurrent clients and a fixed number of requests:

- ``single``: N requests of one CRM contact each, from C clients;
- ``batch``: B requests of 1000 contacts each (a JSON array), from C clients.

Reported for each: records/s, and the p50 and p99 latency of a request. The
same contacts also go through ``Mapping.apply_many`` in this process (the
best of five runs, wall clock and CPU time): the ``http/mapping`` figure
is the time per record over HTTP over the time per record of the mapping
alone, less one: what the HTTP layer (parsing and writing the bodies, the
framework, the loopback, the client) costs for each unit of mapping. Goal
(issue 16): below 1 for batches. As the wall clock counts whatever else runs
on the machine, the server's own CPU time is read too (``/proc``): ``CPU
http/mapping`` is the server's CPU time per record over the mapping's CPU
time per record, less one, what the server's HTTP layer costs; on a busy
machine it varies less than the wall figures.

The client shares the machine's 2 cores with the server, so it is kept
cheap, and the figures are still a floor: each client is one keep-alive
HTTP/1.1 connection (asyncio streams) that writes requests encoded before
the clock starts (head and body, one ``write``) and reads each answer by
its ``Content-Length``, checking only its status (200, or 422 for a rejected
single record); one batch answer is decoded after the clock stops, to check
its counts. httpx took about 1.6 ms of CPU a request, twice what the server
spends on a single record, so that ``single`` measured the client. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .workloads import CRM_MAPPING, crm_contact

BATCH = 1000
PATH = "/mappings/crm-contact-to-member"


@contextmanager
def mapper_serve(concurrency: int) -> Iterator[tuple[str, int]]:
    """The URL and process id of a ``mapper serve`` process on the shipped mappings, stopped on exit."""
    with tempfile.TemporaryFile("w+") as log:
        command = [sys.executable, "-c", "from mapper.cli import main; main()", "serve", str(CRM_MAPPING.parent),
                   "--port", "0", "--max-concurrency", str(concurrency), "--max-body", "64M"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, text=True)
        try:
            deadline = time.monotonic() + 60
            while " on http://" not in (banner := _first_line(log)):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mapper serve did not start: {banner}")
                time.sleep(0.05)
            yield banner.split(" on ")[1].split(" ")[0], process.pid
        finally:
            process.terminate()
            process.wait(30)


def _first_line(log: Any) -> str:
    log.seek(0)
    return str(log.readline())


def cpu_seconds(pid: int) -> float:
    """The CPU time process ``pid`` has used so far, user and system (Linux: ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


async def load(url: str, requests: list[bytes], clients: int) -> tuple[float, list[float], bytes]:
    """Send every request once, from ``clients`` concurrent connections: the wall time, each request's
    latency and the last answer's body."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    pending = iter(requests)
    latencies: list[float] = []
    last = b""

    async def client() -> None:
        nonlocal last
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for request in pending:
                started = time.perf_counter()
                writer.write(request)
                status, last = await _answer(reader)
                latencies.append(time.perf_counter() - started)
                if status not in (200, 422):  # a generated contact may be rejected, as by convert
                    raise RuntimeError(f"{status}: {last[:200]!r}")
        finally:
            writer.close()
            await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started, latencies, last


def post(url: str, body: bytes) -> bytes:
    """The bytes of one keep-alive ``POST`` of the JSON ``body`` to the CRM mapping."""
    head = (f"POST {PATH} HTTP/1.1\r\nHost: {url.removeprefix('http://')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """The status and body of the next answer on the connection (one with a ``Content-Length``)."""
    head = (await reader.readuntil(b"\r\n\r\n")).lower()
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        raise RuntimeError(f"an answer without Content-Length: {head[:200]!r}")
    length = int(head[at + 17:head.index(b"\r\n", at + 2)])
    return int(head[9:12]), await reader.readexactly(length)


def mapping_alone(records: list[Any]) -> tuple[float, float]:
    """Seconds per record of ``Mapping.apply_many``, wall and CPU, each the best of five."""
    import mapper

    mapping = mapper.load(CRM_MAPPING)
    wall = cpu = float("inf")
    for _ in range(5):
        started, cpu_started = time.perf_counter(), time.process_time()
        for _result in mapping.apply_many(records):
            pass
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - cpu_started)
    return wall / len(records), cpu / len(records)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="single-record requests (default 2000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for single records (default 4)")
    parser.add_argument("--batches", type=int, default=20, help=f"requests of {BATCH} records (default 20)")
    parser.add_argument("--batch-clients", type=int, default=2, help="concurrent clients for batches (default 2)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    rng = random.Random(1)
    contacts = [crm_contact(rng, number) for number in range(1, max(args.records, BATCH) + 1)]
    singles = [json.dumps(contact).encode() for contact in contacts[: args.records]]
    batch = json.dumps(contacts[:BATCH]).encode()
    per_record, cpu_per_record = mapping_alone(contacts[:BATCH])
    results: dict[str, Any] = {"mapping_records_per_s": round(1 / per_record)}
    with mapper_serve(max(args.clients, args.batch_clients)) as (url, pid):
        single_posts = [post(url, body) for body in singles]
        asyncio.run(load(url, single_posts[:50], args.clients))  # warm-up
        for name, sent, clients, records in (("single", single_posts, args.clients, len(singles)),
                                             ("batch", [post(url, batch)] * args.batches, args.batch_clients,
                                              args.batches * BATCH)):
            cpu_started = cpu_seconds(pid)
            seconds, latencies, last = asyncio.run(load(url, sent, clients))
            server_cpu = cpu_seconds(pid) - cpu_started
            results[name] = {
                "requests": len(sent), "clients": clients, "records_per_s": round(records / seconds),
                "p50_ms": round(statistics.median(latencies) * 1000, 2),
                "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
                "http/mapping": round(seconds / records / per_record - 1, 2),
                "server_cpu_ms_per_1000": round(server_cpu / records * 1e6, 1),
                "cpu http/mapping": round(server_cpu / records / cpu_per_record - 1, 2),
            }
        counts = json.loads(last)["counts"]
        if counts["read"] != BATCH:
            raise RuntimeError(f"a batch answer counts {counts}, not {BATCH} records read")
    print(f"\nmapper serve, CRM mapping, loopback (mapping alone: {results['mapping_records_per_s']:,} records/s, "
          f"{cpu_per_record * 1e6:.1f} ms of CPU per 1000)")
    print(f"  {'load':<28} {'records/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'http/mapping':>13} "
          f"{'server CPU ms/1000':>19} {'CPU http/mapping':>17}")
    for name in ("single", "batch"):
        row = results[name]
        what = f"{name} x{row['requests']}, {row['clients']} clients"
        print(f"  {what:<28} {row['records_per_s']:>10,} {row['p50_ms']:>8} {row['p99_ms']:>8} "
              f"{row['http/mapping']:>13} {row['server_cpu_ms_per_1000']:>19} {row['cpu http/mapping']:>17}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


if __name__ == "__main__":
    main()
