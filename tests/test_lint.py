"""The code passes ruff with the rules pinned in pyproject.toml, as the pre-commit hook checks it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_ruff_passes_on_the_code() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "mapper", "benchmarks", "tests"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
