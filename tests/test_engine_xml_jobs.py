"""``--jobs N`` on XML: the workers read the files, and every byte written is what one process writes.

Each case runs the real CLI in a process twice, with ``--jobs 1`` and ``--jobs N``, and compares the
output file, the rejects file, standard output and error and the exit code byte for byte. Chunks are
made a few records small (``xml_jobs.CHUNK_RECORDS``, set in the process before ``main`` runs), so that
small files cross many chunk and worker boundaries.
"""

from __future__ import annotations

import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.bench_xml import BILL, NS, _patient
from mapper.engine import xml_jobs
from mapper.engine.observer import Observer
from mapper.engine.units import FILE, Input, read_units
from mapper.formats.xml import XmlReader

ROOT = Path(__file__).parent.parent
EXPORT = str(ROOT / "benchmarks" / "mappings" / "patient-to-claim.yaml")
CCDA = ROOT / "mappings" / "ccda-encounter-to-professional-claim.yaml"
CCDA_INPUTS = sorted(CCDA.with_suffix(".fixtures").glob("*.input.xml"))
#: The CLI in a process, its XML chunks of ``argv[1]`` records.
RUN = ("import sys; import mapper.engine.xml_jobs as jobs; jobs.CHUNK_RECORDS = int(sys.argv.pop(1)); "
       "from mapper.cli import main; main()")


def export(path: Path, count: int, *, rejected: set[int] = frozenset(), cut: int | None = None,  # type: ignore[assignment]
           seed: int = 1) -> Path:
    """An export of ``count`` patients (benchmarks/bench_xml.py's), the ``rejected`` ones (numbered from 1)
    with a gender the mapping refuses; ``cut``: the document breaks off that many bytes before its end."""
    rng = random.Random(seed)
    patients = [_patient(rng, number) for number in range(1, count + 1)]
    for number in rejected:
        patients[number - 1] = patients[number - 1].replace("<gender>", "<gender>bogus", 1)
    text = (f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- an export -->\n<Export xmlns="{NS}" xmlns:bill="{BILL}" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n  <Patients>\n'
            + "".join(patients) + "  </Patients>\n</Export>\n")
    data = text.encode()
    path.write_bytes(data[:-cut] if cut else data)
    return path


def convert(mapping: str, inputs: list[Path], jobs: int, chunk: int, tmp_path: Path,
            *options: str) -> tuple[int, bytes, bytes, bytes, bytes]:
    """Exit code, stdout, stderr, output and rejects of one ``mapper convert`` (names made alike)."""
    folder = tmp_path / "out"  # the same names in both runs: the summary line names the rejects file
    folder.mkdir(exist_ok=True)
    output, rejects = folder / "out.ndjson", folder / "rejects.ndjson"
    for written in (output, rejects):
        written.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-c", RUN, str(chunk), "convert", mapping, *map(str, inputs),
                           "-o", str(output), "--rejects", str(rejects), "--jobs", str(jobs), *options],
                          capture_output=True, timeout=120)
    stderr = re.sub(rb" in \d+\.\d+ s \([\d,]+ records/s\)", b"", done.stderr)  # the clock
    return (done.returncode, done.stdout, stderr, output.read_bytes() if output.exists() else b"",
            rejects.read_bytes() if rejects.exists() else b"")


def same_as_one_process(mapping: str, inputs: list[Path], jobs: int, chunk: int, tmp_path: Path,
                        *options: str) -> tuple[int, bytes, bytes, bytes, bytes]:
    alone = convert(mapping, inputs, 1, chunk, tmp_path, *options)
    assert convert(mapping, inputs, jobs, chunk, tmp_path, *options) == alone
    return alone


@pytest.mark.parametrize(("jobs", "chunk", "options"), [
    (2, 3, ()),
    (3, 2, ()),
    (2, 1, ()),
    (2, 3, ("--max-rejects", "2")),
    (2, 3, ("--fail-fast",)),
    (2, 250, ()),
])
@pytest.mark.parametrize("cut", [None, 40, 2000], ids=["whole", "broken-in-the-last-record", "broken-earlier"])
def test_a_shared_document_gives_what_one_process_gives(jobs: int, chunk: int, options: tuple[str, ...],
                                                        cut: int | None, tmp_path: Path) -> None:
    source = export(tmp_path / "export.xml", 23, rejected={2, 7, 8, 15, 22}, cut=cut)
    code, _, stderr, output, rejects = same_as_one_process(EXPORT, [source], jobs, chunk, tmp_path, *options)
    assert output.count(b"\n") >= 1 and rejects.count(b"\n") >= 1
    if cut and not options:  # a run that stops at a reject never reaches the fault
        assert code == 3 and b"malformed XML" in stderr
    elif not cut:
        assert code == 1


@pytest.mark.parametrize(("jobs", "count"), [(2, 2), (2, 3), (3, 2), (4, 3)])
def test_several_files_give_what_one_process_gives(jobs: int, count: int, tmp_path: Path) -> None:
    sources = [export(tmp_path / f"export-{index}.xml", 9 + index, rejected={index + 1}, seed=index,
                      cut=300 if index == 1 else None) for index in range(count)]
    code, _, stderr, output, _ = same_as_one_process(EXPORT, sources, jobs, 2, tmp_path)
    assert code == 3 and stderr.count(b"malformed XML") == 1 and output.count(b"\n") > 9 * (count - 1)


def test_c_cda_documents_one_record_each_give_what_one_process_gives(tmp_path: Path) -> None:
    code, _, _, output, rejects = same_as_one_process(str(CCDA), CCDA_INPUTS * 3, 2, 1000, tmp_path)
    assert code == 1  # the self-pay policy is refused
    assert output.count(b"\n") == 12 and rejects.count(b"\n") == 3


def test_through_the_mapper_executable_jobs_2_converts_as_one_process(tmp_path: Path) -> None:
    source = export(tmp_path / "export.xml", 600, rejected={5, 300, 599})
    runs = {}
    for jobs in ("1", "2"):
        output, rejects = tmp_path / f"out-{jobs}.ndjson", tmp_path / f"rejects-{jobs}.ndjson"
        done = subprocess.run(["mapper", "convert", EXPORT, str(source), "-o", str(output), "--rejects",
                               str(rejects), "--jobs", jobs], capture_output=True, timeout=120)
        runs[jobs] = (done.returncode, output.read_bytes(), rejects.read_bytes())
    assert runs["1"] == runs["2"] and runs["1"][0] == 1 and runs["1"][2].count(b"\n") == 3


@pytest.mark.parametrize(("files", "jobs", "shared"), [
    (1, 2, [True]), (2, 2, [False, False]), (2, 3, [True, True]), (3, 2, [False, False, False]),
])
def test_a_file_is_shared_only_when_the_run_has_fewer_files_than_workers(files: int, jobs: int,
                                                                       shared: list[bool]) -> None:
    assert xml_jobs.shares([XmlReader(records="/a/b")] * files, jobs) == shared


def test_a_document_that_is_one_record_is_read_whole_by_one_worker() -> None:
    assert xml_jobs.shares([XmlReader(), XmlReader(records="/a")], 3) == [False, False]


def test_the_parent_never_opens_an_xml_file_the_workers_read(tmp_path: Path) -> None:
    source = export(tmp_path / "export.xml", 2)
    item = Input(str(source), "xml", XmlReader(records="/c:Export/c:Patients/c:Patient", namespaces={"c": NS}))
    opened: list[object] = []

    class Watch(Observer):
        def opened(self, stream: object) -> None:  # type: ignore[override]
            opened.append(stream)

    units = list(read_units([item], sys.stdin.buffer, Watch(), workers_read_xml=True))
    assert [unit[3] for unit in units] == [FILE] and opened == []


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 10 MB of patients: seconds of work, long enough to interrupt."""
    return export(tmp_path_factory.mktemp("big") / "export.xml", 4000)


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree in /proc (Linux)")
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_workers_reading_xml_end_with_an_interrupted_parent(big_export: Path, tmp_path: Path, how: str) -> None:
    output = tmp_path / "claims.ndjson"
    process = subprocess.Popen(["mapper", "convert", EXPORT, str(big_export), "-o", str(output), "--jobs", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(path.stat().st_size > 50_000 for path in tmp_path.glob(".claims.ndjson.partial-*")):
        assert process.poll() is None and time.monotonic() < deadline, "no output being written"
        time.sleep(0.02)
    workers = _children(process.pid)
    assert len(workers) == 2
    process.send_signal(getattr(signal, how))
    _, err = process.communicate(timeout=60)
    assert process.returncode == {"SIGKILL": -signal.SIGKILL, "SIGTERM": 143, "SIGINT": 130}[how]
    assert not output.exists() and b"Traceback" not in err
    while any(map(_alive, workers)):  # with SIGKILL the kernel tells them (PR_SET_PDEATHSIG)
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.05)


def test_xml_inputs_of_one_run_share_one_reader() -> None:
    """Building a reader's plan from the schema costs more than reading a small C-CDA document."""
    import mapper
    from mapper.engine.sides import resolve_inputs

    mapping = mapper.load(CCDA)
    items = resolve_inputs([str(path) for path in CCDA_INPUTS], None, None, mapping, "source")
    assert len(items) > 2 and len({id(item.reader) for item in items}) == 1
