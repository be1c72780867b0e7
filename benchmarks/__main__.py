"""Run the benchmark suite: ``python -m benchmarks [--quick] [--json FILE]``.

Start-up (bench_startup), per-record mapping (bench_mapping), NDJSON end to end with --jobs (bench_ndjson),
streamed XML reading (bench_xml) and one large JSON record (bench_json); with the `dask` extra installed, also
Dask with 1 and 2 workers (bench_dask). Every figure is a ratio against a
baseline measured in the same run: the machines are shared and noisy.
``--quick`` uses small inputs (a smoke run, not figures to quote).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

from . import bench_json, bench_mapping, bench_ndjson, bench_startup, bench_xml


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs: checks that everything runs")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    args = parser.parse_args()
    quick = args.quick
    results: dict[str, Any] = {
        "startup": bench_startup.main(["--repeat", "3" if quick else "15"]),
        "mapping": bench_mapping.main(["--records", "300" if quick else "5000", "--repeat", "2" if quick else "5"]),
        "ndjson": bench_ndjson.main(["--records", "2000", "--repeat", "1"] if quick else ["--records", "100000"]),
        "xml": bench_xml.main(["--size-mb", "2" if quick else "200", "--small-mb", "1" if quick else "20"]),
        "json": bench_json.main(["--items", "20000", "--repeat", "1"] if quick else []),
    }
    if importlib.util.find_spec("distributed") is not None:
        from . import bench_dask

        results["dask"] = bench_dask.main(["--records", "5000" if quick else "200000"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
