"""Benchmark: one large JSON record, `mapper convert` against orjson loads + dumps of the same file.

    python -m benchmarks.bench_json [--items N] [--repeat R] [--json FILE]

Generates one order whose ``lines`` hold N small objects (default 260,000: about
20 MB) inside a top-level array, the shape the streaming JSON reader reads one
record at a time (issue 20, item 5: a 20 MB record took 5.8 s, orjson 0.4 s).
Runs, in separate processes that take turns for R rounds:

- ``orjson``: ``orjson.loads`` of the file and ``orjson.dumps`` of what it gave;
- ``mapper convert``: a mapping of one order to one summary that keeps every line
  (parse, map, validate, serialize), through its command-line entry point.

The ratio is the median within a round of mapper's time over orjson's.
Target: within 3x. Not a test.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._util import paired_ratio, report, run_child

_MAPPING = """\
mapping: large-order
source: {schema: order.schema.json, format: json}
target: {schema: summary.schema.json, format: json}
rules:
  order_id: id
  lines: lines
  line_count: length(lines)
"""
_SOURCE = {"type": "object", "properties": {"id": {"type": "string"}, "lines": {"type": "array"}}}
_TARGET = {"type": "object", "required": ["order_id", "line_count"],
           "properties": {"order_id": {"type": "string"}, "line_count": {"type": "integer"},
                          "lines": {"type": "array", "items": {"type": "object"}}}}


def generate(folder: Path, items: int) -> Path:
    """The mapping, its schemas and the input (one order of ``items`` lines) in ``folder``; the input's path."""
    import orjson

    (folder / "large-order.yaml").write_text(_MAPPING, encoding="utf-8")
    (folder / "order.schema.json").write_text(json.dumps(_SOURCE), encoding="utf-8")
    (folder / "summary.schema.json").write_text(json.dumps(_TARGET), encoding="utf-8")
    order = {"id": "ORD-1", "lines": [{"sku": f"SKU-{index:06d}", "quantity": index % 7 + 1, "price": 12.5,
                                       "title": "Trail shoe \u00e9dition"} for index in range(items)]}
    source = folder / "order.json"
    source.write_bytes(orjson.dumps([order]))
    return source


def child(args: list[str]) -> None:
    name, source, target = args[:3]
    start = time.perf_counter()
    if name == "orjson":
        import orjson

        Path(target).write_bytes(orjson.dumps(orjson.loads(Path(source).read_bytes())))
    else:
        from mapper.cli import run

        stderr = io.StringIO()
        mapping = str(Path(source).parent / "large-order.yaml")
        code = run(["convert", mapping, source, "-o", target], stdin=sys.stdin.buffer, stdout=sys.stdout.buffer,
                   stderr=stderr)
        if code != 0:
            raise RuntimeError(stderr.getvalue())
    report({"contender": name, "seconds": time.perf_counter() - start})


CONTENDERS = ("orjson", "mapper convert")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    if argv is None and sys.argv[1:2] == ["--child"]:
        child(sys.argv[2:])
        return {}
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=260_000, help="objects in the record (default: about 20 MB)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, each contender once a round (default 3)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        source = generate(Path(folder), args.items)
        size = source.stat().st_size
        rounds = [{name: run_child("benchmarks.bench_json", name, str(source), str(Path(folder) / "out.json"))
                   for name in CONTENDERS} for _ in range(args.repeat)]
    rows = {name: min((one[name] for one in rounds), key=lambda row: row["seconds"]) for name in CONTENDERS}
    print(f"\nOne large JSON record: {args.items} objects, {size / 1e6:.1f} MB")
    print(f"  {'contender':<16} {'seconds':>8} {'peak RSS MiB':>13}")
    for name, row in rows.items():
        print(f"  {name:<16} {row['seconds']:>8.2f} {row['peak_rss_mib']:>13}")
    seconds = [{name: row["seconds"] for name, row in one.items()} for one in rounds]
    ratios = {"mapper convert / orjson loads+dumps time (target <= 3)": paired_ratio(seconds, "mapper convert",
                                                                                     "orjson")}
    for name, value in ratios.items():
        print(f"  {name}: {value}")
    result = {"workload": "one large json record", "items": args.items, "bytes": size, "rows": rows, "ratios": ratios}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
