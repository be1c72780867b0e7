"""Hostile payloads and hostile file names, through the real ``mapper`` process (issue 13).

Every record read ends as an output or a reject, whatever it holds; every file mapper writes is
written safely, whatever the path names.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.errors import TooDeepError
from mapper.formats import MAX_DEPTH, nests_deeper, too_deep
from mapper.formats.json import BUFFER_LIMIT, JsonReader, NdjsonReader

ROOT = Path(__file__).parent.parent
MAPPING = str(ROOT / "mappings" / "crm-contact-to-member.yaml")
CONTACT = json.loads((ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json")
                     .read_text("utf-8"))
METAR = str(ROOT / "mappings" / "metar-to-observation.yaml")
METAR_INPUT = ROOT / "mappings" / "metar-to-observation.fixtures" / "two-stations-repeated-sky-conditions.input.xml"
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def mapper(*argv: str, stdin: bytes = b"", timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([EXECUTABLE, *argv], input=stdin, capture_output=True, timeout=timeout)


def contact(number: int, **changes: Any) -> str:
    return json.dumps({**CONTACT, "Id": f"003{number:015d}", **changes}, ensure_ascii=False)


def nested(depth: int, kind: str) -> str:
    """JSON text of a value ``depth`` levels deep: arrays in arrays, or objects in objects."""
    if kind == "arrays":
        return "[" * depth + "]" * depth
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


# -- 1. deep nesting: a reject, and every other record converts ---------------------------------

def deep_contact(depth: int, kind: str) -> str:
    # Where a rule reads it: the mapping, the validators and the rejects writer all meet the value.
    return contact(2)[:-1] + f', "FirstName": {nested(depth, kind)}}}'


def write_input(tmp_path: Path, layout: str, deep: str) -> Path:
    """Three contacts, the second one ``deep``, as NDJSON, a JSON array, or a JSON array over 8 MiB."""
    if layout == "ndjson":
        path = tmp_path / "in.ndjson"
        path.write_text("\n".join([contact(1), deep, contact(3)]) + "\n", encoding="utf-8")
        return path
    padding = [contact(1)]
    if layout == "large json":  # over BUFFER_LIMIT: parsed one record at a time
        padding = [contact(1)] * (BUFFER_LIMIT // len(contact(1)) + 1)
    path = tmp_path / "in.json"
    path.write_text("[\n" + ",\n".join([*padding, deep, contact(3)]) + "\n]", encoding="utf-8")
    return path


DEEP_CASES = [
    pytest.param(layout, depth, kind, options, id=f"{layout}-{depth}-{kind}-{'_'.join(options) or 'plain'}")
    for layout in ("ndjson", "json", "large json")
    for depth, kind in ((1000, "arrays"), (1000, "objects"), (MAX_DEPTH + 1, "arrays"), (1100, "arrays"))
    for options in ((), ("--rejects",), ("--jobs", "2"))
    if layout != "large json" or depth == 1000
]


@pytest.mark.parametrize("layout, depth, kind, options", DEEP_CASES)
def test_a_deeply_nested_record_is_rejected_and_the_others_convert(
        tmp_path: Path, layout: str, depth: int, kind: str, options: tuple[str, ...]) -> None:
    source = write_input(tmp_path, layout, deep_contact(depth, kind))
    output, rejects = tmp_path / "out.ndjson", tmp_path / "rejects.ndjson"
    argv = ["convert", MAPPING, str(source), "-o", str(output), *options]
    if options == ("--rejects",):
        argv.append(str(rejects))
    done = mapper(*argv)
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    written = [json.loads(line) for line in output.read_text("utf-8").splitlines()]
    assert [member["external_id"] for member in written][-2:] == [f"003{1:015d}", f"003{3:015d}"]
    assert f"{len(written) + 1:,} records read, {len(written):,} written, 1 rejected" in stderr
    number = len(written)  # the deep record comes last but one
    if options == ("--rejects",):
        [reject] = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
        assert reject["record"] == number
        [problem] = reject["errors"]
        assert problem["message"].startswith(f"nested deeper than {MAX_DEPTH} levels at /FirstName/")
        first = "0" if kind == "arrays" else "a"
        assert problem["pointer"] == "/FirstName" + f"/{first}" * (MAX_DEPTH - 1)
        assert problem["stage"] == "input"
    else:
        assert f"record {number}: nested deeper than {MAX_DEPTH} levels at /FirstName/" in stderr


@pytest.mark.parametrize("layout", ["ndjson", "json"])
def test_validate_rejects_a_deeply_nested_record(tmp_path: Path, layout: str) -> None:
    source = write_input(tmp_path, layout, deep_contact(1000, "arrays"))
    done = mapper("validate", MAPPING, str(source))
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "3 records read, 2 valid, 1 invalid" in stderr
    assert f"record 2: nested deeper than {MAX_DEPTH} levels" in stderr


def test_dask_rejects_a_deeply_nested_record(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    inputs = [write_input(tmp_path, layout, deep_contact(1100, "arrays")) for layout in ("ndjson", "json")]
    out = tmp_path / "out"
    done = mapper("convert", MAPPING, *map(str, inputs), "--engine", "dask", "--jobs", "1", "-o", str(out))
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "6 records read, 4 written" in stderr and "2 rejected" in stderr
    rejects = [json.loads(line) for part in sorted((out / "_rejects").glob("part-*.ndjson"))
               for line in part.read_text("utf-8").splitlines()]
    assert [(reject["record"], reject["errors"][0]["message"][:29]) for reject in rejects] == \
        [(2, f"nested deeper than {MAX_DEPTH} levels")] * 2


def test_a_record_at_the_limit_converts(tmp_path: Path) -> None:
    # Through a rejects line: the deepest record allowed survives every path, pickling included.
    deep = contact(2)[:-1] + f', "Deep": {nested(MAX_DEPTH - 1, "arrays")}, "Emails": []}}'
    source = write_input(tmp_path, "json", deep)
    rejects = tmp_path / "rejects.ndjson"
    done = mapper("convert", MAPPING, str(source), "-o", str(tmp_path / "out.ndjson"), "--jobs", "2",
                  "--rejects", str(rejects))
    assert done.returncode == 1, done.stderr.decode()
    [reject] = [json.loads(line) for line in rejects.read_text("utf-8").splitlines()]
    assert too_deep(reject["input"]) is None and too_deep(reject["input"], MAX_DEPTH - 1) is not None


def deep_metar(depth: int) -> bytes:
    text = METAR_INPUT.read_text("utf-8")
    inner = "<x>" * depth + "1" + "</x>" * depth
    return text.replace("<station_id>KJFK</station_id>", f"<station_id>KJFK</station_id><extra>{inner}</extra>",
                        1).encode()


def test_a_deeply_nested_xml_record_is_rejected_and_the_others_convert(tmp_path: Path) -> None:
    source = tmp_path / "in.xml"
    source.write_bytes(deep_metar(MAX_DEPTH))  # within libxml2's 256 levels of a document
    done = mapper("convert", METAR, str(source), "--to", "ndjson", "-o", str(tmp_path / "out.ndjson"),
                  "--jobs", "2")
    stderr = done.stderr.decode()
    assert done.returncode == 1, stderr
    assert "2 records read, 1 written, 1 rejected" in stderr
    line = METAR_INPUT.read_text("utf-8").splitlines().index("      <station_id>KJFK</station_id>") + 1
    assert f"in.xml:{line}, record 2: nested deeper than {MAX_DEPTH} levels" in stderr


@pytest.mark.parametrize("kind", ["arrays", "objects"])
@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1, 1000, 1100])
def test_readers_refuse_exactly_past_the_limit(depth: int, kind: str) -> None:
    import io

    line = nested(depth, kind).encode()
    ndjson = list(NdjsonReader().records(io.BytesIO(b"1\n" + line + b"\n2\n"), "in.ndjson"))
    whole = list(JsonReader().records(io.BytesIO(b"[1," + line + b",2]"), "in.json"))
    streamed = list(JsonReader(buffer_limit=4).records(io.BytesIO(b"[1," + line + b",2]"), "in.json"))
    for records in (ndjson, whole, streamed):
        assert records[0] == 1 and records[2] == 2
        assert isinstance(records[1], TooDeepError) == (depth > MAX_DEPTH)


def test_too_deep_finds_the_first_value_past_the_limit() -> None:
    value = {"a": [1, {"b": [[[]]]}], "c": [[]]}
    assert too_deep(value, 4) == "/a/1/b/0"
    assert too_deep(value, 5) == "/a/1/b/0/0"
    assert too_deep(value, 6) is None
    assert too_deep("text", 0) is None


def depth_of(value: Any) -> int:
    """The reference: levels of arrays and objects, by recursion (the values here are small)."""
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max(map(depth_of, children), default=0)


def hiding(depth: int) -> str:
    """JSON text ``depth`` levels deep whose brackets, strings' ones included, pair up less than 120 deep: strings
    "]" close levels early and strings "[" open them again later."""
    hidden = depth - 100
    return "[" * 100 + '"]",' * hidden + "[" * hidden + "]" * hidden + ',"["' * hidden + "]" * 100


JSON_TEXT = st.text(st.sampled_from(['[', ']', '{', '}', '"', "\\", "a", "é", "\n", " "]), max_size=6)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | JSON_TEXT,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_TEXT, inner, max_size=3),
                           max_leaves=30)


@given(JSON_VALUES, st.integers(0, 8), st.sampled_from([{}, {"indent": 1}, {"ensure_ascii": False}]))
def test_nests_deeper_reads_the_depth_of_any_json_text(value: Any, limit: int, layout: dict[str, Any]) -> None:
    # Brackets, quotes and backslashes inside strings and keys must not count.
    text = json.dumps(value, **layout).encode()
    assert nests_deeper(text, limit) == (depth_of(value) > limit)


@pytest.mark.parametrize(("text", "depth"), [
    (hiding(160), 160),
    (hiding(MAX_DEPTH), MAX_DEPTH),
    ('["\\\\", [["\\""]]]', 3),  # a string ending in an escaped backslash, then a string of a quote
    ('{"[[[": "]]]", "k": {}}', 2),
    ('"[[["', 0),
    ("17", 0),
])
def test_nests_deeper_is_exact_where_strings_hold_brackets(text: str, depth: int) -> None:
    assert depth_of(json.loads(text)) == depth
    assert not nests_deeper(text.encode(), depth)
    assert depth == 0 or nests_deeper(text.encode(), depth - 1)


@pytest.mark.parametrize("layout", ["ndjson", "whole", "streamed"])
def test_strings_of_brackets_hide_no_level_from_the_readers(layout: str) -> None:
    import io

    # Larger than a streaming window (1 MiB), so that the streamed reader finds its end by orjson.
    deep = f'{{"pad": "{"x" * (1 << 21)}", "deep": {hiding(160)}}}'.encode()
    if layout == "ndjson":
        records = list(NdjsonReader().records(io.BytesIO(b"1\n" + deep + b"\n2\n"), "in.ndjson"))
    else:
        reader = JsonReader(buffer_limit=BUFFER_LIMIT if layout == "whole" else 4)
        records = list(reader.records(io.BytesIO(b"[1," + deep + b",2]"), "in.json"))
    assert records[0] == 1 and records[2] == 2
    assert isinstance(records[1], TooDeepError)
    assert records[1].pointer == too_deep(json.loads(deep))


# -- 2. an output that is another output, or an input: refused before anything is written --------

CLASHES = [
    # (argv after the mapping, with IN for the input; the message)
    (["convert", "IN", "-o", "out.ndjson", "--rejects", "./out.ndjson"],
     "rejects and output name the same file: out.ndjson"),
    (["convert", "IN", "-o", "./in.ndjson"],
     "the output file is the input in.ndjson, which it would replace: write to another file"),
    (["convert", "IN", "-o", "out.ndjson", "--rejects", "in.ndjson"],
     "the rejects file is the input in.ndjson, which it would replace: write to another file"),
    (["convert", "IN", "-o", "hardlink.ndjson"],
     "the output file is the input in.ndjson, which it would replace: write to another file"),
    (["convert", "IN", "-o", "symlink.ndjson"],
     "the output file is the input in.ndjson, which it would replace: write to another file"),
    (["validate", "IN", "--rejects", "sub/../in.ndjson"],
     "the rejects file is the input in.ndjson, which it would replace: write to another file"),
]


@pytest.mark.parametrize("argv, message", CLASHES)
def test_an_output_naming_an_input_or_the_other_output_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    text = "\n".join([contact(1), contact(2, Emails=[])]) + "\n"
    source = tmp_path / "in.ndjson"
    source.write_text(text, encoding="utf-8")
    (tmp_path / "hardlink.ndjson").hardlink_to(source)
    (tmp_path / "symlink.ndjson").symlink_to("in.ndjson")
    before = sorted(path.name for path in tmp_path.iterdir())
    done = mapper(argv[0], MAPPING, *["in.ndjson" if arg == "IN" else arg for arg in argv[1:]])
    assert done.returncode == 2
    assert done.stderr.decode() == f"mapper: error: {message}\n"
    assert source.read_text("utf-8") == text
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # nothing written, no temporary file


def test_an_output_naming_the_file_standard_input_reads_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text(contact(1) + "\n", encoding="utf-8")
    with source.open("rb") as stdin:
        done = subprocess.run([EXECUTABLE, "convert", MAPPING, "--from", "ndjson", "-o", str(source)], stdin=stdin,
                              capture_output=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.decode() == ("mapper: error: the output file is the input <stdin>, which it would replace: "
                                    "write to another file\n")
    assert source.read_text("utf-8") == contact(1) + "\n"


# -- 3. -o onto a device, a FIFO or a symbolic link: written, never replaced ----------------------

def three_contacts(tmp_path: Path) -> Path:
    source = tmp_path / "in.ndjson"
    source.write_text("\n".join([contact(1), contact(2, Emails=[]), contact(3)]) + "\n", encoding="utf-8")
    return source


def read_fifo_in_background(fifo: Path) -> threading.Thread:
    """A reader of ``fifo`` that keeps what it read in ``thread.data``, as ``cat fifo`` would."""
    def read() -> None:
        with fifo.open("rb") as stream:
            thread.data = stream.read()  # type: ignore[attr-defined]

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("which", ["-o", "--rejects"])
def test_a_fifo_output_is_written_in_place(tmp_path: Path, which: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = read_fifo_in_background(fifo)
    other = "--rejects" if which == "-o" else "-o"
    done = mapper("convert", MAPPING, str(three_contacts(tmp_path)), which, str(fifo), other,
                  str(tmp_path / "other.ndjson"), "--to", "ndjson")
    assert done.returncode == 1, done.stderr.decode()
    reader.join(timeout=60)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert len(reader.data.splitlines()) == (2 if which == "-o" else 1)  # type: ignore[attr-defined]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["fifo", "in.ndjson", "other.ndjson"]


@pytest.mark.parametrize("which", ["-o", "--rejects"])
def test_a_symbolic_link_output_keeps_the_link_and_writes_its_target(tmp_path: Path, which: str) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "target.ndjson"
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.ndjson"
    link.symlink_to(target)
    other = "--rejects" if which == "-o" else "-o"
    done = mapper("convert", MAPPING, str(three_contacts(tmp_path)), which, str(link), other,
                  str(tmp_path / "other.ndjson"), "--to", "ndjson")
    assert done.returncode == 1, done.stderr.decode()
    assert link.is_symlink() and link.resolve() == target
    assert len(target.read_text("utf-8").splitlines()) == (2 if which == "-o" else 1)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(path.name for path in (tmp_path / "real").iterdir()) == ["target.ndjson"]  # no temporary file


def test_dev_null_stays_a_device(tmp_path: Path) -> None:
    # As root, a rename onto /dev/null would replace the device for every other program.
    done = mapper("convert", MAPPING, str(three_contacts(tmp_path)), "-o", os.devnull, "--rejects",
                  "/dev/stdout", "--to", "ndjson")
    assert done.returncode == 1, done.stderr.decode()
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert len(done.stdout.splitlines()) == 1  # the reject, through /dev/stdout
    assert json.loads(done.stdout)["record"] == 2


# -- 4. a FIFO or <(...) input: read, never seeked --------------------------------------------

def write_fifo_in_background(fifo: Path, data: bytes) -> threading.Thread:
    def write() -> None:
        with fifo.open("wb") as stream:
            stream.write(data)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("command, mapping, source, options, read", [
    ("convert", MAPPING, "ndjson", (), 3),
    ("convert", MAPPING, "ndjson", ("--jobs", "2"), 3),
    ("convert", MAPPING, "json", (), 3),
    ("convert", METAR, "xml", (), 2),
    ("validate", MAPPING, "ndjson", (), 3),
])
def test_a_fifo_input_is_read_without_seeking(tmp_path: Path, command: str, mapping: str, source: str,
                                              options: tuple[str, ...], read: int) -> None:
    lines = [contact(1), contact(2), contact(3)]
    data = {"ndjson": "\n".join(lines) + "\n", "json": "[" + ",".join(lines) + "]",
            "xml": METAR_INPUT.read_text("utf-8")}[source].encode()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    writer = write_fifo_in_background(fifo, data)
    done = mapper(command, mapping, str(fifo), "--from", source, *options,
                  *(("--to", "ndjson", "-o", str(tmp_path / "out.ndjson")) if command == "convert" else ()),
                  timeout=60)  # a second opening of the FIFO would wait for a writer forever
    writer.join(timeout=60)
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    assert f"{read} records read" in stderr


# -- 5. a full disk: a message that names the file, and no temporary file left -------------------

def limit_file_size() -> None:
    # A disk that is full after 100 kB: writing past it fails with EFBIG (Python ignores SIGXFSZ).
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


@pytest.mark.parametrize("rejected, argv, message", [
    (False, ["-o", "out.ndjson"], "cannot write out.ndjson: File too large"),
    (True, ["-o", "out.ndjson", "--rejects", "rejects.ndjson"], "cannot write rejects.ndjson: File too large"),
    (False, ["-o", "out.json", "--to", "json"], "cannot write out.json: File too large"),
    (False, ["-o", "/dev/full", "--to", "ndjson"], "cannot write /dev/full: No space left on device"),
])
def test_a_full_disk_names_the_file_and_leaves_no_temporary_file(
        tmp_path: Path, rejected: bool, argv: list[str], message: str) -> None:
    source = tmp_path / "in" / "many.ndjson"
    source.parent.mkdir()
    source.write_text("\n".join(contact(number, **({"Emails": []} if rejected else {}))
                                for number in range(1, 200)) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([EXECUTABLE, "convert", MAPPING, str(source), *argv], cwd=out, capture_output=True,
                          timeout=120, preexec_fn=limit_file_size)
    assert done.returncode == 2
    assert done.stderr.decode() == f"mapper: error: {message}\n"
    assert list(out.iterdir()) == []


# -- 6. workers die with their parent, and never print a traceback -------------------------------

def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:  # gone meanwhile
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def wait_for(condition: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("attempt", range(3))
def test_workers_die_with_a_killed_parent(attempt: int) -> None:
    # The parent waits for more standard input, its two workers for more work: then it is killed.
    process = subprocess.Popen([EXECUTABLE, "convert", MAPPING, "--from", "ndjson", "--to", "ndjson", "--jobs", "2"],
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stderr is not None
    try:
        process.stdin.write(("\n".join(contact(number) for number in range(2500)) + "\n").encode())
        process.stdin.flush()
        assert wait_for(lambda: len(children_of(process.pid)) == 2), "the workers did not start"
        workers = children_of(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert wait_for(lambda: not any(map(alive, workers))), "the workers outlived their parent"
    finally:
        process.kill()
        process.stdin.close()
    assert b"Traceback" not in process.stderr.read()


# -- 7. a UTF-8 byte order mark is skipped; of duplicate keys the last one wins -------------------

BOM = "\ufeff"


@pytest.mark.parametrize("name, text, options", [
    ("in.ndjson", BOM + "\n".join([contact(1), contact(2)]) + "\n", ()),
    ("in.ndjson", BOM + "\n".join([contact(1), contact(2)]) + "\n", ("--jobs", "2")),
    ("in.json", BOM + "[" + ",".join([contact(1), contact(2)]) + "]", ()),
    ("in.json", BOM + "[" + ",".join([contact(1)] * (BUFFER_LIMIT // len(contact(1)) + 1) + [contact(2)]) + "]",
     ()),
])
def test_a_byte_order_mark_is_skipped(tmp_path: Path, name: str, text: str, options: tuple[str, ...]) -> None:
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    done = mapper("convert", MAPPING, str(source), "--to", "ndjson", *options)
    assert done.returncode == 0, done.stderr.decode()
    written = [json.loads(line)["external_id"] for line in done.stdout.splitlines()]
    assert written[0] == f"003{1:015d}" and written[-1] == f"003{2:015d}"


def test_a_byte_order_mark_is_skipped_on_standard_input() -> None:
    done = mapper("convert", MAPPING, "--from", "ndjson", "--to", "ndjson", stdin=(BOM + contact(1) + "\n").encode())
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["external_id"] == f"003{1:015d}"


@pytest.mark.parametrize("source", ["ndjson", "json"])
def test_of_duplicate_keys_the_last_one_wins(source: str) -> None:
    # As in JavaScript's JSON.parse and Python's json module: documented in docs/cli.md.
    text = contact(1)[:-1] + ', "Id": "003000000000000000099"}'
    done = mapper("convert", MAPPING, "--from", source, "--to", "ndjson", stdin=text.encode())
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["external_id"] == "003000000000000000099"


# -- 8. Ctrl-C during start-up: "interrupted", exit 130, no traceback ----------------------------

#: A ``sitecustomize`` that raises KeyboardInterrupt when the module named in MAPPER_TEST_INTERRUPT_AT is
#: first imported: a Ctrl-C at that exact point of a start-up, without racing the clock.
INTERRUPTING_SITE = """
import os, sys

class _Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ.get("MAPPER_TEST_INTERRUPT_AT"):
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, _Interrupt())
"""


@pytest.mark.parametrize("module", ["mapper.cli.convert", "mapper.engine", "mapper.schemas", "jsonschema_rs",
                                    "yaml", "orjson", "mapper.errors", "mapper.functions", "mapper.validation",
                                    "mapper.tooling.check"])
def test_ctrl_c_during_start_up_gives_no_traceback(module: str, tmp_path: Path) -> None:
    # Imports take most of a start-up: a Ctrl-C during any of them ends it as one later would. mapper.errors
    # too: ``import mapper`` loads nothing, so the CLI imports it inside the code that catches the Ctrl-C.
    (tmp_path / "sitecustomize.py").write_text(INTERRUPTING_SITE, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(tmp_path), "MAPPER_TEST_INTERRUPT_AT": module}
    done = subprocess.run([EXECUTABLE, "convert", MAPPING, "--from", "ndjson"], stdin=subprocess.DEVNULL,
                          capture_output=True, env=environment, timeout=60)
    assert (done.returncode, done.stderr) == (130, b"mapper: interrupted\n")


def test_ctrl_c_while_reading_standard_input_gives_no_traceback() -> None:
    started = time.monotonic()
    subprocess.run([EXECUTABLE, "--version"], check=True, capture_output=True)
    whole = time.monotonic() - started
    process = subprocess.Popen([EXECUTABLE, "convert", MAPPING, "--from", "ndjson"], stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stderr is not None
    time.sleep(3 * whole + 1)  # long past the start-up: the run waits for its first line
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=60) == 130
    finally:
        process.kill()
        process.stdin.close()
    assert process.stderr.read() == b"mapper: interrupted\n"


# -- 9. XML size attacks: attributes per element, elements per record -----------------------------

def metar_with(extra: str) -> bytes:
    """The two-station METAR fixture, the second station's record holding ``extra``."""
    return METAR_INPUT.read_text("utf-8").replace("<station_id>KJFK</station_id>",
                                                  f"<station_id>KJFK</station_id>{extra}", 1).encode()


METAR_LINES = METAR_INPUT.read_text("utf-8").splitlines()
KJFK_LINE = METAR_LINES.index("      <station_id>KJFK</station_id>") + 1
KJFK_RECORD_LINE = [number for number, line in enumerate(METAR_LINES, 1) if line.strip() == "<METAR>"][1]


@pytest.mark.parametrize("extra, options, status, summary, message", [
    ("<extra " + " ".join(f'a{n}="1"' for n in range(200_000)) + "/>", (), 1,
     "2 records read, 1 written, 1 rejected",
     f"in.xml:{KJFK_LINE}, record 2: refused XML: an element with more than 256 attributes"),
    ("<extra " + " ".join(f'a{n}="1"' for n in range(300)) + "/>", ("--xml-max-attributes", "300"), 0,
     "2 records read, 2 written, 0 rejected", None),
    ("<extra>" + "<a/>" * 3_000_000 + "</extra>", (), 3,
     "1 record read, 1 written, 0 rejected",
     f"in.xml:{KJFK_RECORD_LINE}, record 2: refused XML: a record of more than 100000 elements"),
    ("<extra>" + "<a/>" * 200 + "</extra>", ("--xml-max-elements", "150"), 3,
     "1 record read, 1 written, 0 rejected",
     f"in.xml:{KJFK_RECORD_LINE}, record 2: refused XML: a record of more than 150 elements"),
    ("<extra>" + "<a/>" * 200 + "</extra>", ("--xml-max-elements", "300"), 0,
     "2 records read, 2 written, 0 rejected", None),
])
def test_xml_size_attacks_are_refused(tmp_path: Path, extra: str, options: tuple[str, ...], status: int,
                                      summary: str, message: str | None) -> None:
    source = tmp_path / "in.xml"
    source.write_bytes(metar_with(extra))
    done = mapper("convert", METAR, str(source), "--to", "ndjson", "-o", str(tmp_path / "out.ndjson"), *options)
    stderr = done.stderr.decode()
    assert done.returncode == status, stderr
    assert summary in stderr
    if message is not None:
        assert message in stderr
    written = [json.loads(line) for line in (tmp_path / "out.ndjson").read_text("utf-8").splitlines()]
    assert written[0]["station_id"] == "KSEA"
