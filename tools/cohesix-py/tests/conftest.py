"""Shared fixtures: the package from this tree, mock hives (the real core under Node), paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

PKG = Path(__file__).resolve().parents[1]
REPO = PKG.parents[1]
sys.path.insert(0, str(PKG))

from cohesix.backends.mock import MockBackend  # noqa: E402


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def hive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockBackend]:
    """One seeded mock hive shared by tests that only add uniquely named state."""
    b = MockBackend(tmp_path_factory.mktemp("hive"))
    yield b
    b.close()


@pytest.fixture()
def fresh(tmp_path: Path) -> Iterator[MockBackend]:
    """A private, unseeded mock hive for tests that depend on exact guest state."""
    b = MockBackend(tmp_path / "mock", seed=False)
    yield b
    b.close()


def run_py(args: list[str], cwd: Path = REPO, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Runs a Python entry point of this tree as a user would (package importable, no install)."""
    e = dict(os.environ, PYTHONPATH=str(PKG))
    e.update(env or {})
    return subprocess.run([sys.executable, *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout, check=False)
