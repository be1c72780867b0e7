"""``mapper completion bash|zsh|fish`` (issue 14, item 14): the script loads in its shell and completes."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mapper.cli import build_parser

ROOT = Path(__file__).parent.parent
EXECUTABLE = shutil.which("mapper") or str(Path(sys.executable).parent / "mapper")


def script(shell: str) -> str:
    done = subprocess.run([EXECUTABLE, "completion", shell], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


def bash_completes(*words: str, cwd: Path = ROOT) -> list[str]:
    """What bash offers for the last of ``words`` after ``mapper``, with the script ``mapper completion bash``
    prints loaded."""
    line = " ".join(["mapper", *map(shlex.quote, words)])
    program = (f"source <({shlex.quote(EXECUTABLE)} completion bash) && complete -p mapper >/dev/null && "
               f"COMP_WORDS=(mapper {' '.join(shlex.quote(word) for word in words)}) && "
               f"COMP_CWORD={len(words)} && COMP_LINE={shlex.quote(line)} && COMP_POINT=${{#COMP_LINE}} && "
               "_shtab_mapper && printf '%s\\n' \"${COMPREPLY[@]}\"")
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=60, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return sorted(filter(None, done.stdout.split("\n")))


def test_the_bash_script_registers_the_completion_of_mapper() -> None:
    done = subprocess.run(["bash", "-c", f"source <({shlex.quote(EXECUTABLE)} completion bash); complete -p mapper"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(" mapper") and "-F _shtab_mapper" in done.stdout


@pytest.mark.parametrize(("words", "offered"), [
    (["con"], ["convert"]),
    (["pre"], ["pre-commit"]),
    (["convert", "--st"], ["--strict"]),
    (["convert", "--to", ""], ["csv", "json", "ndjson", "tsv", "xml"]),
    (["convert", "--no-v"], ["--no-validate-source"]),
    (["check", "--format", ""], ["github", "json", "text"]),
    (["completion", ""], ["bash", "fish", "zsh"]),
    (["convert", "mappings/crm-contact-to-member.y"], ["mappings/crm-contact-to-member.yaml"]),
])
def test_bash_completes_commands_options_choices_and_files(words: list[str], offered: list[str]) -> None:
    assert bash_completes(*words) == offered


def test_every_command_is_offered() -> None:
    assert set(bash_completes("")) == set(build_parser().commands)


@pytest.mark.parametrize(("shell", "check", "marker"), [
    ("zsh", ["zsh", "-n"], "#compdef mapper"),
    ("fish", ["fish", "--no-execute"], "complete -c mapper"),
])
def test_zsh_and_fish_scripts_are_printed_and_parse_where_the_shell_is(
        shell: str, check: list[str], marker: str, tmp_path: Path) -> None:
    text = script(shell)
    assert marker in text
    assert "convert" in text and "validate-source" in text
    if shutil.which(check[0]) is None:
        pytest.skip(f"{check[0]} is not installed here")
    path = tmp_path / f"mapper.{shell}"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([*check, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_an_unknown_shell_is_a_usage_error() -> None:
    done = subprocess.run([EXECUTABLE, "completion", "tcsh"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("mapper completion: argument shell: invalid choice: 'tcsh'")
