import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sofa_cli.cli import app

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "corpus"


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test writes indexes (and shell history) under its own temporary folder, never the user's."""
    monkeypatch.setenv("SOFA_INDEX_DIR", str(tmp_path_factory.mktemp("index")))
    monkeypatch.setenv("SOFA_HISTORY", str(tmp_path_factory.mktemp("history") / "history"))
    monkeypatch.delenv("SOFA_CORPUS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))  # no user's config.toml
    monkeypatch.delenv("SOFA_CONFIG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(scope="session")
def shared_index_dir(tmp_path_factory):
    """An index folder shared by the tests, the bundled corpus already indexed in it (so that
    a test's stderr never depends on whether it happened to run first)."""
    import sofa_cli

    folder = str(tmp_path_factory.mktemp("shared-index"))
    sofa_cli.open(BUNDLED, folder).close()
    return folder


@pytest.fixture
def sofa(shared_index_dir, monkeypatch):
    """Run the CLI in-process on the bundled corpus; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("SOFA_INDEX_DIR", shared_index_dir)
    runner = CliRunner()

    def run(*args, input=None, env=None):
        result = runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def run_process(*args, input=None, env=None, cwd=None):
    """Run `python -m sofa_cli` as a real process (pipes, exit codes, no in-process state)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "sofa_cli", *args],
        input=input,
        capture_output=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


@pytest.fixture
def corpus_copy(tmp_path):
    dest = tmp_path / "corpus"
    shutil.copytree(BUNDLED, dest)
    return dest


# The slowest files first (~30 s of CPU each, the next ~15 s): under `make test`'s workers
# (pytest-xdist, --dist loadfile) they start at once on different workers while the others share
# the small files, rather than one of them starting last and running alone. Within each group,
# and in a serial run, files keep their usual order.
SLOWEST_FIRST = ("test_shards.py", "test_cluster.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in SLOWEST_FIRST)  # a stable sort
