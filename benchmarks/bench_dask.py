"""Benchmark: throughput of ``mapper.dask`` with 1 and 2 workers on the same input.

    python -m benchmarks.bench_dask [--records 200000] [--files 4] [--block-size-mb 4] [--repeat 3] [--json FILE]

Generates (fixed seed) NDJSON exports of CRM contacts shaped like
mappings/crm-contact-to-member.fixtures/full-contact.input.json, with varied
values, about 2% of records the mapping rejects and 0.5% lines that are not
JSON, in ``--files`` files. Then converts them with
mappings/crm-contact-to-member.yaml:

- ``in-process``: the partitions run one after the other in this process, no
  Dask (the floor a cluster's overhead is measured against);
- ``dask-1``, ``dask-2``: ``mapper.dask.convert`` on a ``LocalCluster`` of 1
  and 2 single-threaded worker processes, started before the clock and warmed
  up with a small conversion (worker start-up and imports are not timed).

Each is run ``--repeat`` times and the best run counts (the others are
slowed by whatever else the machine runs; the load average is reported).
Reports records a second for each and the ratio dask-2 / dask-1 (2.0 is
perfect scaling; the machine's core count bounds it). Not a test: nothing here
asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import distributed

import mapper
import mapper.dask
from mapper.engine.counts import Counts
from mapper.engine.partitions import plan, run_partition

ROOT = Path(__file__).parent.parent
MAPPING = ROOT / "mappings" / "crm-contact-to-member.yaml"
SAMPLE = ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json"

_FIRST = ["José", "Aoife", "Kwame", "Lars", "Mei", "Priya", "Tomasz", "Fatima", "Hiroshi", "Ana", "Olu", "Sven"]
_LAST = ["Núñez García", "Ní Bhriain", "Mensah", "Øvergaard", "Chen", "Iyer", "Nowak", "Haddad", "Sato", "Silva"]
_DOMAINS = ["acme.example", "example.org", "mail.example", "example.ie", "corp.example"]
_CITIES = [("San Francisco", "CA", "US"), ("Dublin", None, "IE"), ("Accra", None, "GH"), ("Austin", "TX", "US"),
           ("Oslo", None, "NO"), ("Kraków", None, "PL")]
_INDUSTRIES = ["Manufacturing", "Transportation", "Retail", "Healthcare", None]


def contact(rng: random.Random, number: int, sample: dict[str, Any]) -> dict[str, Any]:
    """A CRM contact like the sample, its values varied; about 2% have no email (rejected)."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, state, country = rng.choice(_CITIES)
    emails = [{"Address": f"  {first}.{number}@{rng.choice(_DOMAINS)} ", "Type": "Work",
               "IsPrimary": rng.random() < 0.7} for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.02:
        emails = []
    record = dict(sample)
    record.update({
        "Id": f"0035g{number:013d}",
        "FirstName": first,
        "LastName": last,
        "Emails": emails,
        "Phones": [{"Number": f"+1 415 555 {rng.randint(0, 9999):04d}", "Type": rng.choice(["Work", "Mobile"])}
                   for _ in range(rng.randint(0, 2))],
        "MailingAddress": {"Street": f"{rng.randint(1, 999)} Main St\nSuite {rng.randint(1, 900)}", "City": city,
                           "State": state, "PostalCode": f"{rng.randint(0, 99999):05d}", "CountryCode": country},
        "Account": {"Id": "0015g00000AbCdEAAZ", "Name": f"{last} Corp", "Industry": rng.choice(_INDUSTRIES),
                    "Tier__c": rng.choice(["Strategic", "SMB", "Enterprise"])},
        "HasOptedOutOfEmail": rng.random() < 0.1,
        "EmailStatus__c": rng.choice("AUBPX"),
        "PreferredLanguage__c": rng.choice(["es-MX", "en-US", "ga", None]),
        "Birthdate": f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "Interests": rng.sample(["hiking", "yoga", "chess", "running", "camping"], rng.randint(0, 3)),
        "CreatedDate": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T14:30:00.000+0000",
    })
    return record


def generate(directory: Path, records: int, files: int, seed: int = 8) -> list[Path]:
    """Write ``records`` lines over ``files`` NDJSON files; return their paths."""
    rng = random.Random(seed)
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    paths = [directory / f"contacts-{index:02d}.ndjson" for index in range(files)]
    streams = [path.open("w", encoding="utf-8") for path in paths]
    try:
        for number in range(records):
            line = "{not json" if rng.random() < 0.005 else json.dumps(contact(rng, number, sample),
                                                                         ensure_ascii=False)
            streams[number % files].write(line + "\n")
    finally:
        for stream in streams:
            stream.close()
    return paths


def in_process(mapping: mapper.Mapping, inputs: list[Path], out: Path, block_size: int) -> Counts:
    total = Counts()
    for partition in plan([(str(path), "ndjson") for path in inputs], block_size):
        total += run_partition(partition, mapping, str(out), str(out / "_rejects"))
    return total


def on_cluster(workers: int, inputs: list[Path], out: Path, block_size: int, warmup: Path,
               repeat: int) -> tuple[Counts, float]:
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(workers)
        mapper.dask.convert(MAPPING, [warmup], out / "warmup", client=client, overwrite=True)
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            counts = mapper.dask.convert(MAPPING, inputs, out / "run", client=client, block_size=block_size,
                                         overwrite=True)
            best = min(best, time.perf_counter() - started)
        return counts, best


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--block-size-mb", type=float, default=4.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    block_size = int(args.block_size_mb * 1024 * 1024)
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        inputs = generate(work, args.records, args.files)
        (work / "warmup").mkdir()
        warmup = generate(work / "warmup", 200, 1, seed=9)[0]
        size_mb = sum(path.stat().st_size for path in inputs) / 1e6
        print(f"input: {args.records} records, {args.files} files, {size_mb:.1f} MB, blocks of "
              f"{args.block_size_mb} MiB")
        results: dict[str, Any] = {"records": args.records, "files": args.files, "input_mb": round(size_mb, 1),
                                   "block_size_mb": args.block_size_mb, "cores": os.cpu_count(),
                                   "load_average_before": os.getloadavg()[0], "runs": {}}
        mapping = mapper.load(MAPPING)
        best = float("inf")
        for _ in range(args.repeat):
            shutil.rmtree(work / "in-process", ignore_errors=True)
            started = time.perf_counter()
            counts = in_process(mapping, inputs, work / "in-process", block_size)
            best = min(best, time.perf_counter() - started)
        _record(results, "in-process", counts, best)
        for workers in (1, 2):
            counts, seconds = on_cluster(workers, inputs, work / f"dask-{workers}", block_size, warmup, args.repeat)
            _record(results, f"dask-{workers}", counts, seconds)
        results["load_average_after"] = os.getloadavg()[0]
        runs = results["runs"]
        results["ratio_2_to_1"] = round(runs["dask-2"]["records_per_s"] / runs["dask-1"]["records_per_s"], 2)
        print(f"dask-2 / dask-1 throughput: {results['ratio_2_to_1']:.2f}x (load average "
              f"{results['load_average_before']:.2f} before, {results['load_average_after']:.2f} after, "
              f"{os.cpu_count()} cores)")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _record(results: dict[str, Any], name: str, counts: Counts, seconds: float) -> None:
    assert counts.read == counts.written + counts.rejected
    rate = counts.read / seconds
    results["runs"][name] = {"seconds": round(seconds, 2), "records_per_s": round(rate), "read": counts.read,
                             "written": counts.written, "rejected": counts.rejected,
                             "partitions": counts.partitions}
    print(f"{name:>10}: {counts.read} read, {counts.written} written, {counts.rejected} rejected, "
          f"{counts.partitions} partitions in {seconds:.2f} s: {rate:,.0f} records/s")


if __name__ == "__main__":
    main()
