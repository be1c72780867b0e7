"""Conversions on a Dask cluster (mapper.dask): partitions, nothing lost, retries.

The byte-range reading and the partition task are tested in-process; the rest
runs on one real ``distributed.LocalCluster`` of two worker processes, shared
by the module.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper
from mapper import jmespath_function
from mapper.engine.counts import Counts
from mapper.engine.partitions import (
    Partition,
    block_lines,
    blocks_to_count,
    count_block,
    number_blocks,
    plan,
    prepare_output,
    run_partition,
)
from mapper.formats.json import JsonReader, NdjsonReader

distributed = pytest.importorskip("distributed")
import dask  # noqa: E402  (after the skip: Dask is an optional extra)

import mapper.dask  # noqa: E402

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "dask"
PEOPLE = DATA / "people.yaml"


@jmespath_function
def die_once(value: Any, marker: str | None) -> Any:
    """Kill this worker process when ``marker`` names a file that does not exist yet (and create it)."""
    if marker is not None and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(1)
    return value


# -- byte-range blocks -------------------------------------------------------

_line = st.one_of(
    st.just(b""), st.just(b"\r"), st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")),
    st.sampled_from([b"{}", b'{"id": 1}', b"   ", b"{broken"]),
)


def _join(lines: list[bytes], final_newline: bool) -> bytes:
    text = b"\n".join(lines)
    return text + b"\n" if lines and final_newline else text


_files = st.builds(_join, st.lists(_line, max_size=30), st.booleans())


@settings(max_examples=300, deadline=None)
@given(content=_files, block_size=st.integers(1, 40))
def test_blocks_read_every_line_exactly_once(content: bytes, block_size: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "in.ndjson"
        path.write_bytes(content)
        partitions = plan([(str(path), "ndjson")], block_size)
        counts = {block.index: count_block(block) for block in blocks_to_count(partitions)}
        partitions = number_blocks(partitions, counts)
        read: list[tuple[int, int, bytes]] = []
        with path.open("rb") as stream:
            for partition in partitions:
                lines = list(block_lines(stream, partition.start, partition.end))
                assert len(read) == partition.lines_before
                assert sum(1 for _, _, line in read if line.strip()) == partition.records_before
                read.extend((number, offset, line) for number, (offset, line)
                            in enumerate(lines, partition.lines_before + 1))
    assert read == _reference(content)
    if len(content) > block_size:
        assert all(p.end is not None and p.end - p.start <= block_size for p in partitions)
        assert len(partitions) == -(-len(content) // block_size)


def _reference(content: bytes) -> list[tuple[int, int, bytes]]:
    """(line number, offset, line) of every line, newline kept: split on b"\\n" only."""
    found, offset = [], 0
    for number, line in enumerate(content.split(b"\n"), 1):
        piece = line + b"\n" if offset + len(line) < len(content) else line
        if piece:
            found.append((number, offset, piece))
        offset += len(piece)
    return found


def test_a_file_within_the_block_size_is_one_partition_and_json_files_are_never_cut(tmp_path: Path) -> None:
    small, big = tmp_path / "small.ndjson", tmp_path / "big.json"
    small.write_text('{"id": 1}\n')
    big.write_text("[" + ",".join(["{}"] * 100) + "]")
    assert plan([(str(small), "ndjson")], 100) == [Partition(0, str(small), "ndjson")]
    assert plan([(str(small), "json"), (str(big), "json")], 10) == [Partition(0, str(small), "json"),
                                                                     Partition(1, str(big), "json")]


def test_a_missing_input_is_a_payload_error_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(mapper.PayloadError, match="input not found") as caught:
        plan([(str(tmp_path / "missing.ndjson"), "ndjson")], 100)
    assert caught.value.source == str(tmp_path / "missing.ndjson")


# -- one partition, in-process -----------------------------------------------

PEOPLE_LINES = [
    '{"id": 1, "name": "ada"}',
    "",
    '{"id": 2}',
    "{not json",
    '{"id": 3, "name": "grace"}',
]


def test_a_partition_writes_its_outputs_and_one_reject_line_per_rejected_record(tmp_path: Path) -> None:
    source = tmp_path / "people.ndjson"
    source.write_text("\n".join(PEOPLE_LINES) + "\n")
    partition = Partition(7, str(source), "ndjson")
    counts = run_partition(partition, mapper.load(PEOPLE), str(tmp_path / "out"), str(tmp_path / "rejects"))
    assert counts == Counts(read=4, written=2, rejected=2, partitions=1)
    assert (tmp_path / "out" / "part-00007.ndjson").read_text() == (
        '{"id":1,"name":"ADA"}\n{"id":3,"name":"GRACE"}\n')
    rejects = [json.loads(line) for line in (tmp_path / "rejects" / "part-00007.ndjson").read_text().splitlines()]
    assert rejects == [
        {"record": 2, "source": str(source), "line": 3, "offset": 26, "input": {"id": 2},
         "errors": [{"stage": "target", "pointer": "/name", "message": "null is not of type string",
                     "rule": "name", "rule_location": f"{PEOPLE}:7:3", "source_path": "`upper(name)`",
                     "schema_path": "/properties/name/type"}]},
        {"record": 3, "source": str(source), "line": 4, "offset": 36, "input": None, "text": "{not json",
         "errors": [{"stage": "input", "pointer": "", "message": _reader_message(b"{not json"),
                     "line": 4, "column": 2}]},
    ]


def _reader_message(line: bytes) -> str:
    """What the NDJSON reader says of a bad line (its wording is the reader's business)."""
    [error] = NdjsonReader().records(io.BytesIO(line), "-")
    assert isinstance(error, mapper.PayloadError)
    return error.message


def test_a_partition_run_again_replaces_its_files_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    source = tmp_path / "people.ndjson"
    source.write_text("\n".join(PEOPLE_LINES) + "\n")
    out, rejects = tmp_path / "out", tmp_path / "rejects"
    out.mkdir()
    (out / ".part-00000.ndjson.deadbeef.tmp").write_text('{"id":1,"name":"ADA"}\n')  # a dead attempt's
    mapping = mapper.load(PEOPLE)
    first = run_partition(Partition(0, str(source), "ndjson"), mapping, str(out), str(rejects))
    written = (out / "part-00000.ndjson").read_bytes()
    second = run_partition(Partition(0, str(source), "ndjson"), mapping, str(out), str(rejects))
    assert first == second
    assert (out / "part-00000.ndjson").read_bytes() == written
    assert sorted(p.name for p in out.iterdir()) == ["part-00000.ndjson"]
    assert sorted(p.name for p in rejects.iterdir()) == ["part-00000.ndjson"]


def test_a_partition_without_rejects_has_no_reject_file(tmp_path: Path) -> None:
    source = tmp_path / "good.ndjson"
    source.write_text('{"id": 1, "name": "ada"}\n')
    counts = run_partition(Partition(0, str(source), "ndjson"), mapper.load(PEOPLE), str(tmp_path / "out"),
                           str(tmp_path / "rejects"))
    assert counts == Counts(1, 1, 0, 1)
    assert list((tmp_path / "rejects").iterdir()) == []


def test_a_directory_with_earlier_parts_is_refused_unless_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "part-00000.ndjson").write_text("old\n")
    with pytest.raises(FileExistsError):
        prepare_output(str(out), str(out / "_rejects"))
    prepare_output(str(out), str(out / "_rejects"), overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["_rejects"]


def test_importing_mapper_does_not_import_dask() -> None:
    code = ("import sys, mapper, mapper.cli, mapper.formats.json, mapper.tooling.fuzzing\n"
            "assert not {'dask', 'distributed'} & set(sys.modules), sorted(sys.modules)\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- on a cluster --------------------------------------------------------------

@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield client


def _people(count: int, seed: int) -> list[str]:
    """NDJSON lines: mostly good records, some without a name, some not JSON, some blank."""
    lines = []
    for number in range(count):
        kind = (number * 7 + seed) % 23
        if kind == 0:
            lines.append("{not json")
        elif kind == 1:
            lines.append("")
        elif kind in (2, 3):
            lines.append(json.dumps({"id": seed * 10_000 + number}))
        else:
            lines.append(json.dumps({"id": seed * 10_000 + number, "name": f"name é {number}"}))
    return lines


def _parts(directory: Path) -> list[str]:
    return [line for part in sorted(directory.glob("part-*.ndjson")) for line in part.read_text().splitlines()]


def test_many_files_in_small_blocks_convert_as_in_one_process(client: Any, tmp_path: Path) -> None:
    inputs = []
    for seed in range(4):
        path = tmp_path / f"people-{seed}.ndjson"
        path.write_text("\n".join(_people(300 + seed * 50, seed)) + ("\n" if seed % 2 else ""))
        inputs.append(path)
    out = tmp_path / "out"
    counts = mapper.dask.convert(PEOPLE, inputs, out, client=client, block_size=2_000)

    mapping = mapper.load(PEOPLE)
    expected_outputs, expected_rejects = [], []
    for path in inputs:
        record = 0
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line:
                continue
            record += 1
            try:
                value = json.loads(line)
            except ValueError:
                expected_rejects.append((str(path), record, number, None))
                continue
            result = mapping.result(value, record)
            if result.ok:
                expected_outputs.append(result.output)
            else:
                expected_rejects.append((str(path), record, number, value))
    assert counts.partitions > 4 * 4
    assert counts == Counts(len(expected_outputs) + len(expected_rejects), len(expected_outputs),
                            len(expected_rejects), counts.partitions)
    assert [json.loads(line) for line in _parts(out)] == expected_outputs
    rejects = [json.loads(line) for line in _parts(out / "_rejects")]
    assert [(r["source"], r["record"], r["line"], r["input"]) for r in rejects] == expected_rejects
    for reject in rejects:  # each reject points at its line, by number and by byte offset
        content = Path(reject["source"]).read_bytes()
        line = content.split(b"\n")[reject["line"] - 1]
        assert content[reject["offset"]:].split(b"\n")[0] == line
        assert reject.get("text", line.decode()) == line.decode()


def test_json_files_are_one_partition_each_and_a_broken_one_is_reported(client: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"id": 1, "name": "a"}, {"id": 2}, {"id": 3, "name": "c"}]))
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": 4, "name": "d"}, {"id": 5,')
    counts = mapper.dask.convert(PEOPLE, [good, broken], tmp_path / "out", rejects_dir=tmp_path / "rejects",
                                 client=client)
    before: list[Any] = []  # what the reader gives before the fault (none when it parses whole documents)
    with broken.open("rb") as stream, pytest.raises(mapper.PayloadError) as caught:
        before.extend(JsonReader().records(stream, str(broken)))
    assert counts == Counts(read=3 + len(before), written=2 + len(before), rejected=1, partitions=2,
                            broken_inputs=(str(caught.value),))
    assert not counts.ok
    assert _parts(tmp_path / "out") == ['{"id":1,"name":"A"}', '{"id":3,"name":"C"}'] + (
        ['{"id":4,"name":"D"}'] if before else [])
    rejects = [json.loads(line) for line in _parts(tmp_path / "rejects")]
    assert [(r["source"], r["record"], r["line"], r["input"]) for r in rejects] == [(str(good), 2, None, {"id": 2})]


def test_xml_files_convert_with_the_mappings_reader(client: Any, tmp_path: Path) -> None:
    from mapper.formats.xml import XmlReader

    mapping_path = ROOT / "mappings" / "metar-to-observation.yaml"
    inputs = sorted((ROOT / "mappings" / "metar-to-observation.fixtures").glob("*.input.xml"))
    mapping = mapper.load(mapping_path)
    reader = XmlReader(mapping.source_schema, mapping.spec.source.records, mapping.spec.source.namespaces)
    expected: list[mapper.Result] = []
    for path in inputs:
        with path.open("rb") as stream:
            expected.extend(mapping.apply_many(reader.records(stream, str(path))))
    counts = mapper.dask.convert(mapping, inputs, tmp_path / "out", client=client)
    assert counts == Counts(len(expected), sum(r.ok for r in expected), sum(not r.ok for r in expected),
                            len(inputs))
    assert [json.loads(line) for line in _parts(tmp_path / "out")] == [r.output for r in expected if r.ok]


def test_a_worker_that_dies_mid_partition_is_replaced_and_no_record_is_lost_or_doubled(
        client: Any, tmp_path: Path) -> None:
    marker = tmp_path / "died"
    lines = [json.dumps({"id": n, "name": f"p{n}", "marker": str(marker) if n == 150 else None})
             for n in range(400)]
    source = tmp_path / "people.ndjson"
    source.write_text("\n".join(lines) + "\n")
    mapping = mapper.load(DATA / "people-die-once.yaml", functions=[die_once])
    counts = mapper.dask.convert(mapping, [source], tmp_path / "out", client=client, block_size=4_000)
    assert marker.exists(), "the worker did not die: the test tests nothing"
    assert counts == Counts(400, 400, 0, counts.partitions)
    assert [json.loads(line)["id"] for line in _parts(tmp_path / "out")] == list(range(400))
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("part-")) == ["_rejects"]
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the worker, for the tests after this one


def test_workers_need_no_mapping_or_schema_file(client: Any, tmp_path: Path) -> None:
    copy = tmp_path / "mapping"
    shutil.copytree(DATA, copy)
    mapping = mapper.load(copy / "people.yaml")
    shutil.rmtree(copy)
    source = tmp_path / "people.ndjson"
    source.write_text('{"id": 1, "name": "ada"}\n{"id": 2}\n')
    counts = mapper.dask.convert(mapping, [source], tmp_path / "out", client=client)
    assert counts == Counts(2, 1, 1, 1)
    assert _parts(tmp_path / "out") == ['{"id":1,"name":"ADA"}']


def test_convert_files_connects_to_a_scheduler_by_address(client: Any, tmp_path: Path) -> None:
    source = tmp_path / "people.ndjson"
    lines = _people(100, 1)
    source.write_text("\n".join(lines) + "\n")
    counts = mapper.dask.convert_files(PEOPLE, [source], tmp_path / "out",
                                       scheduler=client.scheduler.address)
    assert counts.read == counts.written + counts.rejected == sum(1 for line in lines if line)
    with pytest.raises(FileExistsError):
        mapper.dask.convert_files(PEOPLE, [source], tmp_path / "out", scheduler=client.scheduler.address)
    again = mapper.dask.convert_files(PEOPLE, [source], tmp_path / "out", scheduler=client.scheduler.address,
                                      overwrite=True)
    assert again == counts


def test_convert_files_without_a_scheduler_starts_a_local_cluster(tmp_path: Path) -> None:
    source = tmp_path / "people.json"
    source.write_text(json.dumps([{"id": 1, "name": "ada"}]))
    counts = mapper.dask.convert_files(PEOPLE, [source], tmp_path / "out", workers=1, input_format="json")
    assert counts == Counts(1, 1, 0, 1)


def test_a_bad_mapping_fails_before_any_cluster_starts(tmp_path: Path) -> None:
    with pytest.raises(mapper.MappingError, match="mapping file not found"):
        mapper.dask.convert_files(tmp_path / "missing.yaml", [], tmp_path / "out")


def test_the_json_reader_and_the_partition_agree_on_a_document_of_one_record(tmp_path: Path) -> None:
    source = tmp_path / "one.json"
    source.write_text('{"id": 9, "name": "x"}')
    with source.open("rb") as stream:
        assert list(JsonReader().records(stream, str(source))) == [{"id": 9, "name": "x"}]
    counts = run_partition(Partition(0, str(source), "json"), mapper.load(PEOPLE), str(tmp_path / "o"),
                           str(tmp_path / "r"))
    assert counts == Counts(1, 1, 0, 1)


def test_a_missing_input_fails_the_conversion_before_any_output(client: Any, tmp_path: Path) -> None:
    with pytest.raises(mapper.PayloadError, match="input not found") as caught:
        mapper.dask.convert(PEOPLE, [tmp_path / "missing.ndjson"], tmp_path / "out", client=client)
    assert caught.value.source == str(tmp_path / "missing.ndjson")
    assert not (tmp_path / "out").exists()


def test_rejects_and_outputs_cannot_share_a_directory(client: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rejects_dir must not be output_dir"):
        mapper.dask.convert(PEOPLE, [], tmp_path / "out", rejects_dir=tmp_path / "out", client=client)


@jmespath_function
def die(value: Any) -> Any:
    """Kill this worker process, every time."""
    os._exit(1)


def test_a_partition_whose_workers_keep_dying_stops_the_conversion(client: Any, tmp_path: Path) -> None:
    (tmp_path / "dies.yaml").write_text(
        f"mapping: dies\n"
        f"source: {{schema: {DATA / 'source.schema.json'}, format: ndjson}}\n"
        f"target: {{schema: {DATA / 'target.schema.json'}, format: ndjson}}\n"
        f"rules: {{id: die(id), name: name}}\n")
    mapping = mapper.load(tmp_path / "dies.yaml", functions=[die])
    source = tmp_path / "people.ndjson"
    source.write_text('{"id": 1, "name": "ada"}\n')
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                     dashboard_address=":0") as cluster, distributed.Client(cluster) as dying:
        with pytest.raises(mapper.dask.PartitionError, match="died too often") as caught:
            mapper.dask.convert(mapping, [source], tmp_path / "out", client=dying)
    assert caught.value.partition.path == str(source)
    assert str(caught.value).startswith(f"{source}: ")
    assert list((tmp_path / "out").glob("part-*")) == []
    # The dead attempts' temporary files do not stand in the way of the next run.
    mapper.dask.convert(PEOPLE, [source], tmp_path / "out", client=client)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["_rejects", "part-00000.ndjson"]


def test_inputs_may_be_urls_that_fsspec_opens(client: Any, tmp_path: Path) -> None:
    source = tmp_path / "people.ndjson"
    lines = _people(200, 2)
    source.write_text("\n".join(lines) + "\n")
    url = source.as_uri()
    counts = mapper.dask.convert(PEOPLE, [url], tmp_path / "out", client=client, input_format="ndjson",
                                 block_size=1_000)
    local = mapper.dask.convert(PEOPLE, [source], tmp_path / "local", client=client, block_size=1_000)
    assert counts == local and counts.partitions > 3
    assert _parts(tmp_path / "out") == _parts(tmp_path / "local")
    assert {json.loads(line)["source"] for line in _parts(tmp_path / "out" / "_rejects")} == {url}


def test_the_command_line_converts_on_the_scheduler_it_is_given(client: Any, tmp_path: Path) -> None:
    from mapper.cli import run

    source = tmp_path / "people.ndjson"
    source.write_text('{"id": 1, "name": "ada"}\n{"id": 2}\n')
    stderr = io.StringIO()
    argv = ["convert", str(PEOPLE), str(source), "--engine", "dask", "--scheduler", client.scheduler.address,
            "-o", str(tmp_path / "out")]
    assert run(argv, io.BytesIO(), io.BytesIO(), stderr) == 1
    assert _parts(tmp_path / "out") == ['{"id":1,"name":"ADA"}']
    assert [json.loads(line)["record"] for line in _parts(tmp_path / "out" / "_rejects")] == [2]
    assert "2 records read, 1 written" in stderr.getvalue()
    assert run(argv, io.BytesIO(), io.BytesIO(), stderr) == 3  # the directory holds parts now
    assert "holds the parts of an earlier conversion" in stderr.getvalue()


def test_the_command_line_refuses_dask_without_an_output_directory(tmp_path: Path) -> None:
    from mapper.cli import run

    stderr = io.StringIO()
    assert run(["convert", str(PEOPLE), "x.ndjson", "--engine", "dask"], io.BytesIO(), io.BytesIO(), stderr) == 2
    assert "-o DIR" in stderr.getvalue()
