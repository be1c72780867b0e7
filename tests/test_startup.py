"""What a start-up imports: ``import mapper`` and ``mapper convert`` leave out what they do not need.

Start-up is the whole cost of a run per event (a hook, a shell loop, a webhook); what is checked
here is which modules load (never how long anything takes: benchmarks/bench_startup.py measures).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapper.documents import DocPath, load_document, parse_json, parse_yaml

ROOT = Path(__file__).parent.parent
MAPPING = ROOT / "mappings" / "crm-contact-to-member.yaml"
CONTACT = ROOT / "mappings" / "crm-contact-to-member.fixtures" / "full-contact.input.json"

#: What no run of ``convert`` needs: the checker's and the fuzzer's stacks, Dask, the server.
NEVER_FOR_CONVERT = ["hypothesis", "dask", "distributed", "starlette", "uvicorn", "mapper.tooling.check",
                     "mapper.tooling.fuzzing", "mapper.tooling.scaffold", "mapper.serve", "multiprocessing"]


def imported_by(code: str) -> set[str]:
    """The modules loaded by running ``code`` in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("module", ["jsonschema", "referencing", "yaml", "hypothesis", "dask", "starlette",
                                    "lxml", "mapper.errors", "mapper.mapping"])
def test_import_mapper_imports_nothing_a_run_may_not_need(module: str) -> None:
    assert module not in imported_by("import mapper")


def test_the_names_of_the_front_door_still_import_on_first_use() -> None:
    loaded = imported_by("import mapper\nassert mapper.MapperError.__module__ == 'mapper.errors'\n"
                         "assert mapper.load.__module__ == 'mapper.mapping'")
    assert {"mapper.errors", "mapper.mapping"} <= loaded


@pytest.mark.parametrize("module", [*NEVER_FOR_CONVERT, "regex", "jsonschema", "referencing", "attrs"])
def test_loading_and_applying_a_mapping_imports_only_what_it_uses(module: str) -> None:
    # regex loads for the first regex function called (this mapping calls none); the pure-Python jsonschema
    # and its registry (referencing, attrs) only to explain a reject or a broken mapping file: mapper resolves
    # local $refs itself.
    assert module not in imported_by(f"import mapper\nmapper.load({str(MAPPING)!r}).apply("
                                     f"__import__('json').loads(open({str(CONTACT)!r}).read()))")


def test_a_json_mapping_loads_and_applies_without_pyyaml(tmp_path: Path) -> None:
    # The shipped CRM mapping written as JSON, its schemas named by absolute paths.
    spec = load_document(MAPPING).data
    for side in ("source", "target"):
        spec[side]["schema"] = str((MAPPING.parent / spec[side]["schema"]).resolve())
    json_mapping = tmp_path / "crm-contact-to-member.json"
    json_mapping.write_text(json.dumps(spec), encoding="utf-8")
    loaded = imported_by(f"import mapper, json\nm = mapper.load({str(json_mapping)!r})\n"
                         f"assert m.apply(json.loads(open({str(CONTACT)!r}).read()))['email_address']")
    assert "yaml" not in loaded
    assert "mapper.yaml_documents" not in loaded


#: What the command line leaves out of a ``mapper convert`` run. It prints the errors mapper check finds at load
#: (docs/cli.md), so the checker is the one exception to ``NEVER_FOR_CONVERT``; the checker judges with
#: jsonschema-rs, and the pure-Python jsonschema stack explains only a value the target refuses. The other
#: commands keep their machinery for their own runs: the tracer, the lineage, drift, the completion generator;
#: and a JSON conversion has no use for the XML reader and lxml.
NOT_FOR_CLI_CONVERT = [*(set(NEVER_FOR_CONVERT) - {"mapper.tooling.check"}), "jsonschema", "referencing", "attrs",
                       "jsonschema_specifications", "shtab", "webbrowser", "subprocess", "mapper.tooling.explain",
                       "mapper.tooling.lineage", "mapper.tooling.drift", "mapper.tooling.fixtures",
                       "lxml", "mapper.formats.xml_read"]


@pytest.fixture(scope="module")
def cli_convert_modules(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The modules a ``mapper convert`` of one record loads, run as the console script runs it."""
    output = tmp_path_factory.mktemp("convert") / "out.json"
    code = (f"import sys\nfrom mapper.cli import run\n"
            f"status = run(['convert', {str(MAPPING)!r}, {str(CONTACT)!r}, '-o', {str(output)!r}],"
            f" sys.stdin.buffer, sys.stdout.buffer, sys.stderr)\nassert status == 0, status")
    loaded = imported_by(code)
    assert json.loads(output.read_text(encoding="utf-8"))["email_address"]
    return loaded


@pytest.mark.parametrize("module", sorted(NOT_FOR_CLI_CONVERT))
def test_the_cli_imports_no_command_but_the_one_it_runs(cli_convert_modules: set[str], module: str) -> None:
    assert module not in cli_convert_modules


def test_the_cli_convert_does_check_the_mapping(cli_convert_modules: set[str]) -> None:
    assert "mapper.tooling.check" in cli_convert_modules


def test_the_report_formats_of_check_are_named_without_importing_the_checker() -> None:
    from mapper.cli.check import REPORT_FORMATS
    from mapper.tooling.check import FORMATS

    assert REPORT_FORMATS == tuple(sorted(FORMATS))


def test_the_report_formats_of_drift_are_named_without_importing_the_analysis() -> None:
    from mapper.cli.drift import REPORT_FORMATS
    from mapper.tooling.drift.report import FORMATS

    assert REPORT_FORMATS == tuple(FORMATS)


def test_the_formats_of_lineage_are_named_without_importing_the_analysis() -> None:
    from mapper.cli.lineage import REPORT_FORMATS
    from mapper.tooling.lineage_formats import FORMATS

    assert REPORT_FORMATS == tuple(FORMATS)


def test_the_cli_names_mapping_files_as_the_checker_finds_them() -> None:
    from mapper.cli.chaining import MAPPING_SUFFIXES
    from mapper.tooling.check import MAPPING_SUFFIXES as CHECKED

    assert MAPPING_SUFFIXES == CHECKED


#: Text YAML reads alike (it refuses control characters and noncharacters even inside a JSON string, and
#: breaks lines at U+2028 / U+2029).
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cn", "Zl", "Zp"), blacklist_characters="\ufeff"),
               max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20)


def _paths(value: Any, path: DocPath = ()) -> Iterator[DocPath]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


@given(value=JSON_VALUES, indent=st.sampled_from([None, 0, 2, "\t"]))
def test_a_json_document_locates_its_nodes_as_its_yaml_reading_does(value: Any, indent: int | str | None) -> None:
    # JSON positions are scanned without PyYAML; YAML (of which JSON is a part) is the reference. Not with
    # ensure_ascii: PyYAML refuses the surrogate pairs of \u escapes (the scan reads them).
    text = json.dumps(value, indent=indent, ensure_ascii=False)
    as_json, as_yaml = parse_json(text, "f.json"), parse_yaml(text, "f.json")
    for path in _paths(value):
        assert as_json.locate(path) == as_yaml.locate(path)
        assert as_json.locate(path, key=True) == as_yaml.locate(path, key=True)


def test_the_parser_of_a_command_is_built_alone_and_alike() -> None:
    from mapper.cli import build_parser, parser_for

    full = build_parser()
    for name, command in full.commands.items():
        alone = parser_for([name, "--help"])
        assert list(alone.commands) == [name]
        assert alone.commands[name].format_help() == command.format_help()


@pytest.mark.parametrize("argv", [[], ["--help"], ["--version"], ["precommit"], ["convertt", "m.yaml"], ["-x"]])
def test_a_command_line_that_names_no_command_gets_every_parser(argv: list[str]) -> None:
    from mapper.cli import build_parser, parser_for

    assert list(parser_for(argv).commands) == list(build_parser().commands)


@pytest.mark.parametrize("argv", [
    ["convert", str(MAPPING), str(CONTACT), "-o", "out.json", "--jobs", "2", "--strict"],
    ["check", str(MAPPING), "--format", "json"],
    ["validate", str(MAPPING), str(CONTACT), "--debug"],
    ["pre-commit", "check", "a.yaml"],
])
def test_a_command_line_reads_alike_with_one_parser_or_all(argv: list[str]) -> None:
    from mapper.cli import build_parser, parse, parser_for

    assert vars(parse(parser_for(argv), argv)) == vars(parse(build_parser(), argv))
