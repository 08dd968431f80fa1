"""Fixtures of the CLI tests: Click's runner, real processes, and instance folders on the session's
embedded server (each with a graph of its own, named in its config.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.store import FalkorStore
from xijin.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SHELL_SETTINGS = ("NEO4J_", "XIJIN_")


@pytest.fixture
def runner() -> CliRunner:
    """Click's runner, with none of the shell's store settings: each test says which store it means."""
    return CliRunner(env={k: None for k in os.environ if k.startswith(SHELL_SETTINGS)}, catch_exceptions=False)


@pytest.fixture
def run():
    """Run a real process from the project root, with none of the shell's store settings."""
    def run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 120):
        clean = {k: v for k, v in os.environ.items() if not k.startswith(SHELL_SETTINGS)}
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env={**clean, **(env or {})},
                              cwd=ROOT)
    return run


@pytest.fixture
def xijin(run):
    """`python -m xijin ARGS` as a user runs it."""
    return lambda *args, env=None: run([sys.executable, "-m", "xijin", *args], env=env)


def _instance(folder: Path, store_dir: Path) -> str:
    graph = f"cli{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.py").write_text(f"DATA_DIR = {str(store_dir)!r}\nGRAPH_NAME = {graph!r}\n", encoding="utf-8")
    return graph


def _drop(store_dir: Path, graph: str) -> None:
    s = FalkorStore(store_dir, graph=graph)
    s.drop_graph()
    s.close()


@pytest.fixture
def instance(tmp_path, store_dir) -> Path:
    """An empty instance folder whose config.py puts its store on a graph of the session's server."""
    graph = _instance(tmp_path / "inst", store_dir)
    yield tmp_path / "inst"
    _drop(store_dir, graph)


@pytest.fixture(scope="module")
def seeded_instance(tmp_path_factory, store_dir) -> str:
    """An instance loaded by `xijin seed`, shared by a module's tests (which must not write)."""
    folder = tmp_path_factory.mktemp("seeded") / "inst"
    graph = _instance(folder, store_dir)
    r = CliRunner().invoke(cli, ["seed", "--instance", str(folder)], catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    yield str(folder)
    _drop(store_dir, graph)
