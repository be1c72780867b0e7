"""The load cache (``mapper.load_cache``): a cached ``mapper convert`` says and writes what an uncached one does,
sees every file its load and check read change, and shrugs off a broken cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mapper
from mapper import load_cache
from mapper.tooling.fixtures import find_cases, read_input

ROOT = Path(__file__).parent.parent
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
CONTACT = ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json"

#: A project of its own: a mapping with a let file, a YAML lookup file and a CSV one, and its two schemas.
PROJECT = {
    "order.schema.json": json.dumps({"type": "object", "properties": {
        "total": {"type": "number"}, "currency": {"type": "string"}, "tier": {"type": "string"}}}),
    "payment.schema.json": json.dumps({"type": "object", "required": ["amount", "currency"], "properties": {
        "amount": {"type": "integer"}, "currency": {"type": "string"}, "tier": {"type": "string"},
        "region": {"type": "string"}}}),
    "shared/money.yaml": 'minor_units: "to_minor_units(total, currency)"\n',
    "shared/tiers.yaml": "values: {g: gold, s: silver}\ndefault: bronze\n",
    "shared/regions.csv": "currency,region\neur,europe\nusd,americas\n",
    "payment.yaml": """\
mapping: order-to-payment
source: {schema: order.schema.json}
target: {schema: payment.schema.json}
let:
  minor_units: {file: shared/money.yaml}
lookups:
  tiers: {file: shared/tiers.yaml}
  regions: {file: shared/regions.csv}
rules:
  amount: "$minor_units"
  currency: "upper(currency)"
  tier: {from: tier, lookup: tiers}
  region: {from: currency, lookup: regions}
""",
    "order.json": json.dumps({"total": 12.5, "currency": "eur", "tier": "g"}),
}


def write_project(directory: Path) -> Path:
    for name, text in PROJECT.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def convert(directory: Path, *, cache: bool, mapping: str = "payment.yaml", record: str = "order.json",
            ) -> tuple[int, str, str]:
    """``mapper convert`` run as a user runs it, with the load cache on or off: exit code, stdout, stderr."""
    environment = dict(os.environ, MAPPER_CACHE="1" if cache else "0")
    done = subprocess.run([EXECUTABLE, "convert", mapping, record, "--quiet"], capture_output=True, text=True,
                          timeout=120, cwd=directory, env=environment)
    return done.returncode, done.stdout, done.stderr


def entries(cache_home: Path) -> list[Path]:
    return sorted((cache_home / "mapper").glob("*.pickle"))


def test_a_warm_run_writes_and_says_what_an_uncached_run_does(tmp_path: Path, cache_on: Path) -> None:
    write_project(tmp_path)
    uncached = convert(tmp_path, cache=False)
    assert uncached[0] == 0
    assert json.loads(uncached[1]) == {"amount": 1250, "currency": "EUR", "tier": "gold", "region": "europe"}
    assert entries(cache_on) == []
    assert convert(tmp_path, cache=True) == uncached  # cold: loads, then writes the entry
    assert len(entries(cache_on)) == 1
    assert convert(tmp_path, cache=True) == uncached  # warm: from the entry


def test_the_findings_of_check_are_said_alike_from_the_cache(tmp_path: Path, cache_on: Path) -> None:
    # The shipped CRM mapping with a misspelt source field: check finds M301, the record still converts.
    text = (ROOT / "mappings" / "crm-contact-to-member.yaml").read_text("utf-8")
    text = text.replace("../schemas/", f"{ROOT / 'schemas'}/").replace("COMPANY: Account.Name", "COMPANY: Acount.Name")
    (tmp_path / "mapping.yaml").write_text(text, encoding="utf-8")
    uncached = convert(tmp_path, cache=False, mapping="mapping.yaml", record=str(CONTACT))
    assert "M301 error" in uncached[2]
    assert convert(tmp_path, cache=True, mapping="mapping.yaml", record=str(CONTACT)) == uncached
    assert convert(tmp_path, cache=True, mapping="mapping.yaml", record=str(CONTACT)) == uncached
    assert len(entries(cache_on)) == 1


@pytest.mark.parametrize(("changed", "old", "new"), [
    ("payment.schema.json", '"amount": {"type": "integer"}', '"amount": {"type": "string"}'),
    ("order.schema.json", '"tier": {"type": "string"}', '"level": {"type": "string"}'),
    ("shared/money.yaml", "to_minor_units(total, currency)", "to_minor_units(total, 'JPY')"),
    ("shared/tiers.yaml", "g: gold", "g: platinum"),
    ("shared/regions.csv", "eur,europe", "eur,eurozone"),
    ("payment.yaml", '"upper(currency)"', '"lower(currency)"'),
], ids=["target schema", "source schema", "let file", "lookup file", "CSV lookup file", "mapping file"])
def test_a_changed_file_is_seen(tmp_path: Path, cache_on: Path, changed: str, old: str, new: str) -> None:
    write_project(tmp_path)
    before = convert(tmp_path, cache=True)
    assert convert(tmp_path, cache=True) == before
    path = tmp_path / changed
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    after = convert(tmp_path, cache=False)
    assert after != before
    assert convert(tmp_path, cache=True) == after


def test_a_corrupt_cache_entry_is_ignored(tmp_path: Path, cache_on: Path) -> None:
    write_project(tmp_path)
    uncached = convert(tmp_path, cache=False)
    convert(tmp_path, cache=True)
    for entry in entries(cache_on):
        entry.write_bytes(b"\x80\x05 not a pickle")
    assert convert(tmp_path, cache=True) == uncached
    assert convert(tmp_path, cache=True) == uncached  # the broken entry was replaced


def test_an_unwritable_cache_is_ignored(tmp_path: Path, cache_on: Path) -> None:
    write_project(tmp_path)
    cache_on.write_text("a file where the cache directory would go", encoding="utf-8")
    uncached = convert(tmp_path, cache=False)
    assert convert(tmp_path, cache=True) == uncached
    assert cache_on.is_file()


def test_mapper_cache_0_writes_nothing(tmp_path: Path, cache_on: Path) -> None:
    write_project(tmp_path)
    convert(tmp_path, cache=False)
    assert not cache_on.exists()


@pytest.mark.parametrize("modules", [
    # What the cache is for: the YAML parse and the checker are skipped (measured in benchmarks/bench_startup.py),
    ["mapper.tooling.check", "yaml"],
    # and the generated module comes compiled from the entry (Mapping.from_exported): no compiler, no format check.
    ["mapper.codegen", "mapper.compiler", "mapper.mapping_file", "mapper.parser"],
], ids=["checker and YAML", "compiler and mapping-file reader"])
def test_a_warm_run_imports_neither(tmp_path: Path, cache_on: Path, modules: list[str]) -> None:
    write_project(tmp_path)
    code = ("import sys\nfrom mapper.cli import run\n"
            "status = run(['convert', 'payment.yaml', 'order.json', '-o', 'out.json', '--quiet'], sys.stdin.buffer,"
            f" sys.stdout.buffer, sys.stderr)\nassert status == 0, status\nprint(sorted(sys.modules.keys() & {modules!r}))")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path,
                           env=dict(os.environ)).stdout for _ in range(2)]
    assert runs == [f"{modules}\n", "[]\n"]  # cold, then warm
    assert json.loads((tmp_path / "out.json").read_text("utf-8"))["amount"] == 1250


SHIPPED = sorted((ROOT / "mappings").glob("*.yaml"))


def _outcomes(mapping: mapper.Mapping, records: list[object]) -> list[object]:
    return [(result.output, [problem.to_dict() for problem in result.problems])
            for result in mapping.apply_many(records)]


@pytest.mark.parametrize("mapping_file", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_a_mapping_from_the_cache_maps_every_fixture_as_a_fresh_load(mapping_file: Path, cache_on: Path) -> None:
    fresh = mapper.load(mapping_file)
    records = [record for case in find_cases(mapping_file) for record in read_input(fresh, case.input_path)[0]
               if not isinstance(record, mapper.PayloadError)]
    assert records
    load_cache.load(str(mapping_file), lambda loaded: None)  # cold: writes the entry
    warm, _ = load_cache.load(str(mapping_file), lambda loaded: None)
    assert "_compiled" not in vars(warm)  # built from the entry's module, not compiled
    assert _outcomes(warm, records) == _outcomes(fresh, records)
    assert warm.compiled.source == fresh.compiled.source  # compiled when asked for


def test_a_rule_error_from_a_cached_mapping_shows_the_generated_line(tmp_path: Path, cache_on: Path) -> None:
    write_project(tmp_path)
    mapping = str(tmp_path / "payment.yaml")
    load_cache.load(mapping, lambda loaded: None)
    warm, _ = load_cache.load(mapping, lambda loaded: None)
    [problem] = warm.result({"total": 12.5, "currency": "XYZ", "tier": "g"}).problems
    assert problem.rule == "$minor_units"
    text = problem.traceback_text()
    assert text is not None and "to_minor_units(" in text and "<mapper generated:" in text


@pytest.mark.parametrize("value", ["0", "false", "No", "OFF"])
def test_mapper_cache_turns_off_with_any_usual_no(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPPER_CACHE", value)
    assert not load_cache.enabled()


def test_the_cache_lives_under_xdg_cache_home_else_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert load_cache.cache_directory() == tmp_path / "mapper"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_cache.cache_directory() == tmp_path / "home" / ".cache" / "mapper"


@settings(max_examples=25, deadline=None)
@given(garbage=st.binary(max_size=64), keep=st.integers(min_value=0, max_value=200))
def test_whatever_an_entry_holds_the_load_is_the_uncached_one(
        tmp_path_factory: pytest.TempPathFactory, garbage: bytes, keep: int) -> None:
    # An entry cut short, or with bytes of anything after a good start, is a miss: the load runs, as uncached.
    directory = write_project(tmp_path_factory.mktemp("project"))
    saved = dict(os.environ)
    os.environ.pop("MAPPER_CACHE")
    try:
        os.environ["XDG_CACHE_HOME"] = str(directory / "cache")
        mapping = str(directory / "payment.yaml")
        uncached = load_cache.load(mapping, lambda loaded: loaded.name)[0].apply(json.loads(PROJECT["order.json"]))
        [entry] = entries(directory / "cache")
        entry.write_bytes(entry.read_bytes()[:keep] + garbage)
        mapping_again, name = load_cache.load(mapping, lambda loaded: loaded.name)
        assert name == "order-to-payment"
        assert mapping_again.apply(json.loads(PROJECT["order.json"])) == uncached
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_a_file_over_kept_whole_is_kept_as_its_digest_and_a_change_is_seen(
        tmp_path: Path, cache_on: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A big lookup table is not copied into every entry: its digest stands for it, and still sees an edit.
    monkeypatch.setattr(load_cache, "KEPT_WHOLE", 20)
    write_project(tmp_path)
    mapping, order = str(tmp_path / "payment.yaml"), json.loads(PROJECT["order.json"])
    assert load_cache.load(mapping, lambda loaded: None)[0].apply(order)["region"] == "europe"
    [entry] = entries(cache_on)
    assert b"eur,europe" not in entry.read_bytes() and b"g: gold" not in entry.read_bytes()
    assert load_cache.load(mapping, lambda loaded: None)[0].apply(order)["region"] == "europe"  # warm
    regions = tmp_path / "shared" / "regions.csv"
    regions.write_text(regions.read_text("utf-8").replace("eur,europe", "eur,eurozone"), encoding="utf-8")
    assert load_cache.load(mapping, lambda loaded: None)[0].apply(order)["region"] == "eurozone"


def test_a_new_mapper_version_replaces_the_entry_of_a_mapping(
        tmp_path: Path, cache_on: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Editing mapper (or upgrading it, or Python) makes a new key: its entry takes the old one's place.
    write_project(tmp_path)
    mapping = str(tmp_path / "payment.yaml")
    load_cache.load(mapping, lambda loaded: "first")
    assert load_cache.load(mapping, lambda loaded: "again")[1] == "first"  # warm
    monkeypatch.setattr(load_cache, "_mapper_version", lambda: "0.2.0")
    assert load_cache.load(mapping, lambda loaded: "second")[1] == "second"  # another version: a miss
    assert load_cache.load(mapping, lambda loaded: "again")[1] == "second"
    assert len(entries(cache_on)) == 1


def test_an_entry_others_may_write_is_ignored(tmp_path: Path, cache_on: Path) -> None:
    # An entry holds code that loading it runs: one that is group- or world-writable is a miss, and replaced.
    write_project(tmp_path)
    mapping = str(tmp_path / "payment.yaml")
    load_cache.load(mapping, lambda loaded: "first")
    [entry] = entries(cache_on)
    entry.chmod(0o666)
    assert load_cache.load(mapping, lambda loaded: "second")[1] == "second"
    assert entry.stat().st_mode & 0o077 == 0  # written again, as the user's alone
    assert load_cache.load(mapping, lambda loaded: "third")[1] == "second"
