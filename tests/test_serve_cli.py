"""``mapper serve`` as a user meets it: the real process on a free loopback port, spoken to over HTTP.

Each server starts on ``--port 0`` and says its address on standard error;
the tests wait for ``/ready`` within a bound, and stop it with SIGTERM as a
service manager would. No test measures time.
"""

from __future__ import annotations

import io
import json
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import mapper
from mapper.cli import run
from mapper.serve import bind

ROOT = Path(__file__).parent.parent
MAPPINGS = ROOT / "mappings"
CRM = "crm-contact-to-member"
CONTACT = (MAPPINGS / f"{CRM}.fixtures" / "full-contact.input.json").read_bytes()
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
PATIENCE = 30.0


class Server:
    """A running ``mapper serve``: its client, and the lines of its standard error so far."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: queue.Queue[str] = queue.Queue()
        self.lines: list[str] = []
        assert process.stderr is not None
        stderr = process.stderr
        threading.Thread(target=self._read, args=(stderr,), daemon=True).start()
        banner = self.next_line(lambda line: line.startswith("mapper serve: ") and " on http://" in line)
        self.url = banner.split(" on ")[1].split(" ")[0]
        self.client = httpx.Client(base_url=self.url, timeout=PATIENCE)
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                if self.client.get("/ready").status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "the server never got ready"
            time.sleep(0.05)

    def _read(self, stream: Iterable[str]) -> None:
        for line in stream:
            self._lines.put(line)

    def next_line(self, wanted: object) -> str:
        """The next line of standard error for which ``wanted(line)`` holds, waiting within the bound."""
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no such line on standard error; so far: {self.lines}") from None
            self.lines.append(line)
            if wanted(line):  # type: ignore[operator]
                return line

    def stop(self) -> int:
        self.client.close()
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(PATIENCE)


@contextmanager
def mapper_serve(*argv: str, cwd: Path = ROOT) -> Iterator[Server]:
    process = subprocess.Popen([EXECUTABLE, "serve", *argv, "--port", "0"], cwd=cwd, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        server = Server(process)
        yield server
        assert server.stop() == 143  # SIGTERM ends mapper as it ends every command
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(PATIENCE)


def test_the_real_process_serves_the_shipped_mappings_and_logs_each_request() -> None:
    with mapper_serve("mappings") as server:
        assert server.url.startswith("http://127.0.0.1:")  # the loopback unless told otherwise
        count = len(list(MAPPINGS.glob("*.yaml")))
        assert server.lines[0] == (f"mapper serve: {count} mappings from mappings on {server.url} "
                                   f"(docs: {server.url}/docs; Ctrl-C to stop)\n")
        answer = server.client.post(f"/mappings/{CRM}", content=CONTACT, headers={"Content-Type": "application/json"})
        assert answer.status_code == 200
        assert answer.json()["email_address"] == "jose.nunez@acme.example"
        logged = json.loads(server.next_line(lambda line: f'"/mappings/{CRM}"' in line))
        assert {key: logged[key] for key in ("method", "status", "records", "rejects")} == {
            "method": "POST", "status": 200, "records": 1, "rejects": 0}
        assert len(server.client.get("/openapi.json").json()["paths"]) == count + 4


def test_a_broken_mapping_is_reported_at_start_and_on_health(tmp_path: Path) -> None:
    (tmp_path / "mappings").mkdir()
    shutil.copy(MAPPINGS / f"{CRM}.yaml", tmp_path / "mappings")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    (tmp_path / "mappings" / "broken.yaml").write_text("mapping: broken\nrules: [\n")
    with mapper_serve("mappings", cwd=tmp_path) as server:
        warning = server.lines[0]
        assert warning.startswith("mapper serve: warning: not serving mappings/broken.yaml: ")
        assert "1 mapping from" in server.lines[1]
        health = server.client.get("/health").json()
        assert health["status"] == "degraded" and health["mappings"] == 1
        assert warning.rstrip("\n").endswith(health["broken"][0]["message"])


NAPPING = '''\
import time
from pathlib import Path

from mapper import jmespath_function


@jmespath_function
def nap(seconds: float) -> float:
    Path("napping").touch()  # for the test: a conversion is running
    time.sleep(seconds)
    return seconds
'''
NAP_MAPPING = """\
mapping: napper
source: {schema: any.schema.json, format: json}
target: {schema: any.schema.json, format: json}
rules:
  slept: "nap(seconds)"
"""


@pytest.fixture
def napping(tmp_path: Path) -> Path:
    """A project with a user functions module (``napping``) and a mapping that calls its ``nap``."""
    (tmp_path / "napping.py").write_text(NAPPING)
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "any.schema.json").write_text('{"type": "object"}')
    (tmp_path / "mappings" / "napper.yaml").write_text(NAP_MAPPING)
    return tmp_path


def test_user_functions_come_from_the_modules_named_at_start_and_a_slow_request_is_504(napping: Path) -> None:
    with mapper_serve("--functions", "napping", "--timeout", "0.2", cwd=napping) as server:
        answer = server.client.post("/mappings/napper", json={"seconds": 0})
        assert (answer.status_code, answer.json()) == (200, {"slept": 0})
        slow = server.client.post("/mappings/napper", json={"seconds": 2})
        assert slow.status_code == 504 and slow.json()["error"] == "timeout"


def test_a_full_server_answers_503(napping: Path) -> None:
    with mapper_serve("--functions", "napping", "--max-concurrency", "1", cwd=napping) as server:
        answers: list[httpx.Response] = []
        slow = threading.Thread(target=lambda: answers.append(
            server.client.post("/mappings/napper", json={"seconds": 2})))
        slow.start()
        deadline = time.monotonic() + PATIENCE
        while not (napping / "napping").exists():
            assert time.monotonic() < deadline, "the slow conversion never started"
            time.sleep(0.01)
        quick = server.client.post("/mappings/napper", json={"seconds": 0})
        slow.join(PATIENCE)
        assert quick.status_code == 503
        assert quick.headers["retry-after"] == "1" and quick.json()["error"] == "busy"
        assert answers[0].json() == {"slept": 2}


def test_reload_serves_a_changed_mapping(napping: Path) -> None:
    mapping = napping / "mappings" / "napper.yaml"
    mapping.write_text(NAP_MAPPING.replace('"nap(seconds)"', "seconds"))
    with mapper_serve("--reload", cwd=napping) as server:
        assert "reloading on change" in server.lines[0]
        assert server.client.post("/mappings/napper", json={"seconds": 1}).json() == {"slept": 1}
        mapping.write_text(NAP_MAPPING.replace('"nap(seconds)"', '"seconds * `3`"'))
        reloaded = json.loads(server.next_line(lambda line: '"event":"reloaded"' in line))
        assert reloaded["mappings"] == ["napper"] and reloaded["broken"] == []
        assert server.client.post("/mappings/napper", json={"seconds": 1}).json() == {"slept": 3}


@pytest.mark.parametrize(("argv", "message"), [
    (["serve", "no-such-folder"], "mapper: error: no such folder of mappings: no-such-folder\n"),
    (["serve", "mappings", "--max-body", "ten"],
     "mapper serve: argument --max-body: not a size: 'ten' (say 512k, 10M or 1048576)\n(see mapper --help)\n"),
    (["serve", "mappings", "--port", "70000"],
     "mapper serve: argument --port: not a port number: '70000'\n(see mapper --help)\n"),
    (["serve", "mappings", "--timeout", "0"],
     "mapper serve: argument --timeout: must be more than 0\n(see mapper --help)\n"),
])
def test_what_cannot_start_says_why(monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str) -> None:
    monkeypatch.chdir(ROOT)
    stderr = io.StringIO()
    assert run(argv, io.BytesIO(), io.BytesIO(), stderr) == 2
    assert stderr.getvalue() == message


def test_a_folder_without_mappings_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    stderr = io.StringIO()
    assert run(["serve", "empty"], io.BytesIO(), io.BytesIO(), stderr) == 2
    assert stderr.getvalue() == "mapper: error: no mapping files (*.yaml) in empty\n"


def test_a_port_in_use_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    taken = bind("127.0.0.1", 0)
    taken.listen()
    port = taken.getsockname()[1]
    stderr = io.StringIO()
    try:
        assert run(["serve", "mappings", "--port", str(port)], io.BytesIO(), io.BytesIO(), stderr) == 2
    finally:
        taken.close()
    assert stderr.getvalue().endswith(f"mapper: error: cannot listen on 127.0.0.1:{port}: Address already in use\n")


def test_without_the_extra_it_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    for name in [name for name in sys.modules if name == "mapper.serve" or name.startswith("mapper.serve.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.delattr(mapper, "serve", raising=False)
    for name in [name for name in sys.modules if name.partition(".")[0] == "starlette"] or ["starlette"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    stderr = io.StringIO()
    # (Were it installed after all, the folder's absence would stop it before it serves.)
    assert run(["serve", "no-such-folder"], io.BytesIO(), io.BytesIO(), stderr) == 2
    assert stderr.getvalue().startswith("mapper: error: mapper serve needs the serve extra: "
                                        "pip install 'mapper[serve]' (")
