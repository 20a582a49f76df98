"""README.md's examples are what sofa prints today (`make readme` rewrites them; see tests/readme.py)."""

from __future__ import annotations

import doctest

import pytest
import readme


@pytest.fixture(scope="module")
def index_dir(shared_index_dir, tmp_path_factory):
    """The bundled corpus's index, copied from the shared folder (`sofa index --list` lists it alone)."""
    import shutil

    from conftest import BUNDLED

    from sofa_cli.index.cache import index_path

    bundled = index_path(BUNDLED.resolve(), shared_index_dir).parent  # only it: other tests add theirs
    folder = tmp_path_factory.mktemp("readme") / "index"
    shutil.copytree(bundled, folder / bundled.name)
    return str(folder)


TEXT = readme.README.read_text(encoding="utf-8")
EXAMPLES = readme.blocks(TEXT)


def test_the_readme_has_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("line,command,written", EXAMPLES, ids=[f"L{n + 1}" for n, _, _ in EXAMPLES])
def test_readme_example_is_real_output(line, command, written, index_dir):
    printed = readme.run(command, index_dir)
    assert [readme.normalise(w) for w in written] == printed, f"README.md line {line + 1} is stale: run `make readme`"


def test_readme_python_examples_run(index_dir, monkeypatch):
    monkeypatch.setenv("SOFA_INDEX_DIR", index_dir)
    monkeypatch.chdir(readme.ROOT)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(readme.doctests(TEXT), {}, "README.md", "README.md", 0)
    assert test.examples, "the README should show the library in use"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0
