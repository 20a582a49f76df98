"""The index records everything its contents depend on, and is rebuilt when any differs:
the sofa and analysis versions, the stopword and synonym lists, the BM25 variant and constants."""

import json
from pathlib import Path

import pytest

import sofa_cli
from sofa_cli.index.bm25 import BM25Params
from sofa_cli.index.cache import index_path
from sofa_cli.index.format import write_index
from sofa_cli.index.writer import build

BUNDLED = Path(__file__).resolve().parent.parent / "corpus"
QUESTION = "what did Hornung suggest?"


def _bm25_scores(corpus) -> dict[int, float]:
    index = corpus.index
    return index.bm25([index.term_id("hornung"), index.term_id("suggest")])


def test_changing_k1_rebuilds_the_index_and_changes_its_scores(tmp_path):
    with sofa_cli.open(BUNDLED, index_dir=tmp_path) as first:
        assert first.report is not None  # built
        before = _bm25_scores(first)
        assert first.index.header["depends"]["bm25"] == {"variant": "plus", "k1": 1.5, "b": 0.75, "delta": 1.0, "epsilon": 0.25}
    with sofa_cli.open(BUNDLED, index_dir=tmp_path) as again:
        assert again.report is None  # same settings, no file changed: reused
    with sofa_cli.open(BUNDLED, index_dir=tmp_path, bm25=BM25Params(k1=0.9)) as changed:
        assert changed.report is not None  # no corpus file changed, yet rebuilt
        assert changed.index.params.k1 == 0.9
        after = _bm25_scores(changed)
        assert after.keys() == before.keys() and after != before
        assert changed.ask(QUESTION)[0].citation == "kyodo-sofa ¶19"
    with sofa_cli.open(BUNDLED, index_dir=tmp_path, bm25=BM25Params(k1=0.9)) as kept:
        assert kept.report is None and _bm25_scores(kept) == after


@pytest.mark.parametrize(
    "key,value",
    [
        ("analysis", -1),
        ("stopwords", "00000000"),
        ("synonyms", "00000000"),
        ("sofa", "0.0.1"),
        ("bm25", dict(variant="okapi", k1=1.5, b=0.75, delta=1.0, epsilon=0.25)),
    ],
)
def test_an_index_built_with_other_dependencies_is_rebuilt(tmp_path, key, value):
    """As if another sofa (other analysis, word lists, constants) wrote the index."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("Hornung suggested a review of the agreement.\n", encoding="utf-8")
    header, sections, _ = build(corpus.resolve())
    header["depends"][key] = value
    path = index_path(corpus.resolve(), str(tmp_path / "idx"))
    write_index(path, header, sections)
    with sofa_cli.open(corpus, index_dir=tmp_path / "idx") as opened:
        assert opened.report is not None and opened.report.new == 1  # rebuilt from scratch
        assert json.dumps(opened.index.header["depends"][key]) != json.dumps(value)
