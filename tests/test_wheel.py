"""The wheel carries the bundled corpus, so a plain `pip install .` answers out of the box."""

import json
import subprocess
import sys
import zipfile

from conftest import ROOT

# The wheel as pip builds it: pyproject.toml's build backend, called as pip calls it (PEP 517),
# without pip's own start and metadata pass (a third of the time).
BUILD_WHEEL = """
import importlib, sys, tomllib
backend = tomllib.load(open("pyproject.toml", "rb"))["build-system"]["build-backend"]
importlib.import_module(backend).build_wheel(sys.argv[1])
"""


def test_wheel_ships_corpus_and_answers_from_it(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    subprocess.run([sys.executable, "-c", BUILD_WHEEL, str(dist)], check=True, capture_output=True, cwd=ROOT, timeout=300)
    (wheel,) = dist.glob("sofa_cli-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "sofa_cli/bundled/kyodo-sofa.md" in names
        assert "sofa_cli/bundled/tanaka-interview.md" in names
        assert any(n.endswith("entry_points.txt") for n in names)
        site = tmp_path / "site"
        zf.extractall(site)
    env = {"PYTHONPATH": str(site), "SOFA_INDEX_DIR": str(tmp_path / "idx"), "PATH": "/usr/bin:/bin"}
    where = subprocess.run(
        [sys.executable, "-c", "import sofa_cli.api as a; print(a.bundled_corpus())"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    assert where.stdout.strip() == str(site / "sofa_cli" / "bundled")
    proc = subprocess.run(
        [sys.executable, "-m", "sofa_cli", "ask", "what did Hornung suggest?", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    top = json.loads(proc.stdout)["results"][0]
    assert top["citation"] == "kyodo-sofa ¶19"
