"""The progress line (issue 14, item 5): it fits the terminal, never wraps, counts records right with workers,
and stays away from what is not a terminal that can redraw. The real ``mapper convert`` runs in a
pseudo-terminal of a set size, as a user's terminal window."""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.cli._progress import Progress, progress_line

ROOT = Path(__file__).parent.parent
MAPPING = str(ROOT / "mappings" / "crm-contact-to-member.yaml")
CONTACT = json.loads((ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json").read_text("utf-8"))
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
RECORDS = 8000
ERASE = "\x1b[K"
SGR = re.compile(r"\x1b\[[0-9;]*m")  # a colour or a style


@pytest.fixture(scope="module")
def contacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 8 MB of contacts: a second or more of work, long enough for several redraws."""
    path = tmp_path_factory.mktemp("progress") / "contacts.ndjson"
    with path.open("w", encoding="utf-8") as stream:
        for number in range(RECORDS):
            stream.write(json.dumps({**CONTACT, "Id": f"003{number:015d}"}, ensure_ascii=False) + "\n")
    return path


def in_terminal(*argv: str, columns: int, **env: str) -> tuple[int, str]:
    """Run ``mapper`` with standard error on a pseudo-terminal ``columns`` wide; its exit code and what the
    terminal received."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environment = {name: value for name, value in os.environ.items() if name != "NO_COLOR"}
    environment.update({"TERM": "xterm-256color", **env})
    process = subprocess.Popen([EXECUTABLE, *argv], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=follower, env=environment, close_fds=True)
    os.close(follower)
    received = b""
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # EIO: the process closed its end
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    return process.wait(timeout=300), received.decode("utf-8")


def frames(received: str) -> list[str]:
    """The progress lines drawn, each as it showed."""
    drawn = [part.split(ERASE)[0] for part in received.split("\r")]
    return [frame for frame in drawn if frame.startswith("[")]


@pytest.mark.parametrize(("columns", "jobs"), [(80, "2"), (40, "1")])
def test_the_line_fits_the_terminal_and_is_erased_at_the_end(
        contacts: Path, tmp_path: Path, columns: int, jobs: str) -> None:
    code, received = in_terminal("convert", MAPPING, str(contacts), "-o", str(tmp_path / "out.ndjson"),
                                 "--jobs", jobs, columns=columns)
    assert code == 0
    shown = frames(received)
    assert shown, "no progress line in a run of seconds"
    assert all(len(frame) < columns for frame in shown)  # the last column stays free: no wrap
    percents = [int(re.search(r"(\d+)%", frame).group(1)) for frame in shown]  # type: ignore[union-attr]
    assert all(percent < 100 for percent in percents)
    assert percents == sorted(percents)
    counts = [int(found.group(1).replace(",", "")) for frame in shown
              if (found := re.search(r"([\d,]+) records?\b", frame))]
    assert all(0 < count < RECORDS for count in counts)
    # Erased before the summary, which is the only line left.
    assert received.endswith(f"\r{ERASE}mapper convert: {RECORDS:,} records read, {RECORDS:,} written, "
                             f"0 rejected in " + received.rsplit(" rejected in ", 1)[1])
    assert not SGR.search(received)


@pytest.mark.parametrize("env", [{"TERM": "dumb"}, {"NO_COLOR": "1"}], ids=["dumb", "no-color"])
def test_a_terminal_that_cannot_redraw_gets_no_redrawing_and_no_colour(
        contacts: Path, tmp_path: Path, env: dict[str, str]) -> None:
    code, received = in_terminal("convert", MAPPING, str(contacts), "-o", str(tmp_path / "out.ndjson"),
                                 columns=80, **env)
    assert code == 0
    assert not SGR.search(received)
    if env.get("TERM") == "dumb":
        assert "\x1b" not in received
        assert "\r" not in received.replace("\r\n", "\n")
        assert all(line.startswith("mapper") for line in received.splitlines())


def test_piped_standard_error_gets_only_the_summary(contacts: Path, tmp_path: Path) -> None:
    done = subprocess.run([EXECUTABLE, "convert", MAPPING, str(contacts), "-o", str(tmp_path / "out.ndjson"),
                           "--jobs", "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0
    assert done.stderr.startswith(f"mapper convert: {RECORDS:,} records read") and done.stderr.count("\n") == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_dumb_terminal_a_plain_line_is_written_now_and_then(
        contacts: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setattr("mapper.cli._progress._PLAIN_INTERVAL", 0.0)
    stderr = _Terminal()
    progress = Progress(stderr, [str(contacts)])
    with contacts.open("rb") as stream:
        progress.opened(stream)
        stream.read(1000)
        progress.progressed(1)
        progress.rejected("contacts.ndjson:2, record 2: bad")
        progress.finished()
    lines = stderr.getvalue().splitlines()
    assert re.fullmatch(r"mapper:\s+0% 1\.0 kB of [\d.]+ MB, 1 record, [\d,]+/s(, .* left)?", lines[0])
    assert lines[1:] == ["mapper: rejected: contacts.ndjson:2, record 2: bad"]
    assert "\r" not in stderr.getvalue() and "\x1b" not in stderr.getvalue()


def test_with_workers_the_records_still_coming_after_the_last_read_are_counted(contacts: Path) -> None:
    progress = Progress(_Terminal(), [str(contacts)], enabled=True, jobs=2)
    total = contacts.stat().st_size
    assert progress.ahead and progress.ahead < total
    size = total / RECORDS  # of a record
    mapped = int((total - progress.ahead) / 2 / size)
    # Reading: the workers lag behind the reader by what is in flight.
    assert progress._mapped(int(mapped * size) + progress.ahead, mapped) == int(mapped * size)
    # All read: the records still coming count at their size, short of the whole.
    assert progress._mapped(total, RECORDS - 1) == pytest.approx(total - size, rel=0.001)


@pytest.mark.parametrize(("records", "text"), [(0, "0 records"), (1, "1 record,"), (2, "2 records"),
                                               (12345, "12,345 records")])
def test_one_record_is_one_record(records: int, text: str) -> None:
    assert text in progress_line(0.5, 500, 1000, records, 1.0, width=120)


@given(fraction=st.floats(0, 0.99), records=st.integers(0, 10**9), elapsed=st.floats(0.001, 10**6),
       total=st.integers(1, 10**13), width=st.integers(2, 300))
def test_the_line_is_always_narrower_than_the_terminal(
        fraction: float, records: int, elapsed: float, total: int, width: int) -> None:
    line = progress_line(fraction, fraction * total, total, records, elapsed, width=width)
    assert len(line) < width
    assert "%" in line or width <= 3
