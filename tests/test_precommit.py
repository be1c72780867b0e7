"""The pre-commit hooks (issue 14, item 13): each takes the files pre-commit passes, in a repository that has
no ``mappings/``; run here as pre-commit runs them, the hook's ``entry`` with the files as arguments."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mapper.cli.precommit import mappings_concerned

ROOT = Path(__file__).parent.parent
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))}
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")
CRM = "etl/crm-contact-to-member.yaml"


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository of a project keeping its mappings in etl/, with the CRM mapping, its fixtures and schemas."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    (root / "etl").mkdir()
    shutil.copy(ROOT / "mappings" / "crm-contact-to-member.yaml", root / CRM)
    shutil.copytree(ROOT / "mappings" / "crm-contact-to-member.fixtures", root / "etl" / "crm-contact-to-member.fixtures")
    (root / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    (root / "docker-compose.yaml").write_text("services: {db: {image: postgres}}\n", encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "."], cwd=root, check=True)
    return root


def hook(hook_id: str, *files: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The hook run as pre-commit runs it: its entry, then the files its ``files``/``exclude`` let through."""
    entry = shlex.split(HOOKS[hook_id]["entry"])
    assert entry[0] == "mapper"
    passed = [name for name in files if re.search(HOOKS[hook_id]["files"], name)
              and not re.search(HOOKS[hook_id].get("exclude", "^$"), name)]
    return subprocess.run([EXECUTABLE, *entry[1:], *passed], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_a_changed_mapping_is_checked_where_it_is(repository: Path) -> None:
    done = hook("mapper-check", CRM, cwd=repository)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "1 mapping checked: 0 errors, 0 warnings\n")


def test_a_broken_mapping_fails_the_hook(repository: Path) -> None:
    broken = repository / "etl" / "broken.yaml"
    broken.write_text((repository / CRM).read_text("utf-8").replace("COMPANY: Account.Name", "COMPANY: Acount.Name"),
                      encoding="utf-8")
    try:
        done = hook("mapper-check", "etl/broken.yaml", cwd=repository)
    finally:
        broken.unlink()
    assert done.returncode == 1
    assert done.stdout.startswith("etl/broken.yaml:28:14: M301 error: the source schema has no field 'Acount'")


def test_a_changed_fixture_runs_its_mappings_cases(repository: Path) -> None:
    done = hook("mapper-test", "etl/crm-contact-to-member.fixtures/full-contact.expected.json", cwd=repository)
    assert done.returncode == 0, done.stdout + done.stderr
    cases = len(list((ROOT / "mappings" / "crm-contact-to-member.fixtures").glob("*.input.*")))
    assert done.stdout == f"{cases} passed, 0 failed\n"


def test_a_changed_schema_checks_every_mapping_of_the_repository(repository: Path) -> None:
    done = hook("mapper-check", "schemas/crm/address.schema.json", cwd=repository)
    assert (done.returncode, done.stderr) == (0, "1 mapping checked: 0 errors, 0 warnings\n")


@pytest.mark.parametrize("hook_id", sorted(HOOKS))
def test_files_that_concern_no_mapping_are_no_error(hook_id: str, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "config.yaml").write_text("debug: true\n", encoding="utf-8")
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    done = hook(hook_id, "config.yaml", ".pre-commit-config.yaml", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_hooks_leave_their_own_config_files_alone(repository: Path) -> None:
    for hook_id in HOOKS:
        done = hook(hook_id, ".pre-commit-config.yaml", cwd=repository)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize(("files", "concerned"), [
    ([CRM], [CRM]),
    ([CRM, CRM], [CRM]),
    (["etl/crm-contact-to-member.fixtures/full-contact.input.json"], [CRM]),
    (["etl/crm-contact-to-member.fixtures/gone.input.json", CRM], [CRM]),
    (["etl/missing.fixtures/case.input.json"], []),         # fixtures of no mapping
    (["docker-compose.yaml"], [CRM]),                        # not a mapping: it may be read by one
    (["schemas/crm/contact.schema.json"], [CRM]),
    (["etl/deleted.yaml"], [CRM]),                           # deleted by the commit: what is left is checked
    ([], []),
])
def test_the_mappings_files_concern(files: list[str], concerned: list[str], repository: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repository)
    assert mappings_concerned(files) == concerned
