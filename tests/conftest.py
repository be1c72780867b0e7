"""Every test runs with the load cache (``mapper.load_cache``) off, and pointed into a temporary directory.

Off: tests compare stderr and what a run imports, which a warm cache changes (it skips the checker); the cache's
own tests turn it on with ``cache_on``. Pointed at a temporary directory either way, so that nothing writes to
the real home cache, subprocesses included (they inherit the environment).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _private_load_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Session-scoped (not monkeypatch): Hypothesis refuses function-scoped fixtures on its tests.
    saved = {name: os.environ.get(name) for name in ("XDG_CACHE_HOME", "MAPPER_CACHE")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ["MAPPER_CACHE"] = "0"
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def cache_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The load cache in use, in a directory of this test's own; that ``$XDG_CACHE_HOME``."""
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("MAPPER_CACHE")
    return home
