"""Dask conversions that lose a worker, and reruns (issue 13, item 7)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper import jmespath_function

distributed = pytest.importorskip("distributed")
import mapper.dask  # noqa: E402  (after the skip: Dask is an optional extra)

DATA = Path(__file__).parent / "data" / "dask"
PEOPLE = DATA / "people.yaml"
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


@jmespath_function
def kill_worker_once(value: Any, marker: str) -> Any:
    """Kill this worker process when the file ``marker`` does not exist yet (and create it)."""
    if not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return value


def test_the_mapping_is_sent_again_when_the_worker_that_held_it_dies(tmp_path: Path) -> None:
    # One worker: when it dies, the mapping scattered to it is lost with it, and the tasks that need
    # it are cancelled; the conversion sends it again rather than failing with FutureCancelledError.
    marker = tmp_path / "killed"
    (tmp_path / "dies.yaml").write_text(
        f"mapping: dies-once\n"
        f"source: {{schema: {DATA / 'source.schema.json'}, format: ndjson}}\n"
        f"target: {{schema: {DATA / 'target.schema.json'}, format: ndjson}}\n"
        f"rules: {{id: \"kill_worker_once(id, '{marker}')\", name: name}}\n")
    mapping = mapper.load(tmp_path / "dies.yaml", functions=[kill_worker_once])
    source = tmp_path / "people.ndjson"
    source.write_text("".join(json.dumps({"id": number, "name": f"n{number}"}) + "\n" for number in range(50)))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        counts = mapper.dask.convert(mapping, [source], tmp_path / "out", client=client, block_size=200)
    assert marker.exists()
    assert (counts.read, counts.written, counts.rejected) == (50, 50, 0)
    written = [json.loads(line)["id"] for part in sorted((tmp_path / "out").glob("part-*.ndjson"))
               for line in part.read_text().splitlines()]
    assert written == list(range(50))
    assert [path.name for path in (tmp_path / "out").iterdir() if path.name.startswith(".")] == []


def run_on_dask(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXECUTABLE, "convert", str(PEOPLE), *argv, "--engine", "dask", "--jobs", "1"],
                          capture_output=True, text=True, timeout=300)


def test_overwrite_replaces_the_parts_of_an_earlier_run(tmp_path: Path) -> None:
    source = tmp_path / "people.ndjson"
    source.write_text('{"id": 1, "name": "ada"}\n')
    out = tmp_path / "out"
    assert run_on_dask(str(source), "-o", str(out)).returncode == 0
    source.write_text('{"id": 2, "name": "bob"}\n')
    refused = run_on_dask(str(source), "-o", str(out))
    assert refused.returncode == 3
    assert "holds the parts of an earlier conversion" in refused.stderr
    done = run_on_dask(str(source), "-o", str(out), "--overwrite")
    assert done.returncode == 0, done.stderr
    assert (out / "part-00000.ndjson").read_text() == '{"id":2,"name":"BOB"}\n'


def test_overwrite_needs_the_dask_engine(tmp_path: Path) -> None:
    done = subprocess.run([EXECUTABLE, "convert", str(PEOPLE), "-o", str(tmp_path / "out.ndjson"), "--overwrite"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "mapper: error: --overwrite needs --engine dask (an output file is always replaced whole)\n"
