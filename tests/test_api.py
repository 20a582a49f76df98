"""The library API: what a Python user (and the CLI, shell, eval and benches) calls."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import BUNDLED, ROOT

import sofa_cli
from sofa_cli.errors import ExitStatus, SofaError
from sofa_cli.model import Answer, QAItem, json_line, to_record


@pytest.fixture
def corpus(shared_index_dir):
    with sofa_cli.open(BUNDLED, shared_index_dir) as opened:
        yield opened


def test_ask_reads_as_its_results(corpus):
    answer = corpus.ask("what did Hornung suggest?", k=2)
    assert isinstance(answer, Answer)
    assert answer[0].citation == "kyodo-sofa ¶19"
    assert len(answer) == 2 and [r.rank for r in answer] == [1, 2]


def test_filters_and_ranking_are_parameters(corpus):
    from sofa_cli import Filters, Ranking, Weights

    only_interview = corpus.ask("Ishiba", k=5, filters=Filters(kind="interview"))
    assert only_interview.results and {r.kind for r in only_interview} == {"interview"}
    plain = corpus.ask("what did Hornung suggest?", ranking=Ranking(weights=Weights(attribution=0.0, sentence=0.0)))
    full = corpus.ask("what did Hornung suggest?")
    assert plain[0].score < full[0].score


def test_sources_show_and_evaluate(corpus):
    docs = {s.doc for s in corpus.sources()}
    assert docs == {"kyodo-sofa", "tanaka-interview"}
    shown = corpus.show("kyodo-sofa:19", context=0)
    assert [p.passage for p in shown.passages] == [19]
    scores = corpus.evaluate([QAItem("what did Hornung suggest?", ("Singapore",))], k=3)
    assert scores.questions == 1 and scores.hit_at_1 == 1.0


def test_errors_carry_their_exit_status(corpus, tmp_path):
    with pytest.raises(SofaError) as err:
        corpus.show("kyodo-sofa ¶999")
    assert err.value.exit_status == ExitStatus.ERROR
    with pytest.raises(SofaError, match="not found"):
        sofa_cli.open(tmp_path / "nope")


def test_the_question_is_cleaned_and_capped(corpus):
    answer = corpus.ask("\x1b[31mwhat did Hornung suggest?" + " x" * 2000)
    assert len(answer.question) == 1000 and "\x1b" not in answer.question


def test_closing_unmaps_the_index(shared_index_dir):
    opened = sofa_cli.open(BUNDLED, shared_index_dir)
    opened.ask("Ishiba")
    opened.close()
    with pytest.raises(ValueError):  # a released buffer cannot be read
        opened.index.passage_text(0)


def test_one_serializer_for_every_result(corpus):
    answer = corpus.ask("what did Hornung suggest?", k=1)
    record = json.loads(json_line(answer))
    assert record == to_record(answer)
    assert record["results"][0]["citation"] == "kyodo-sofa ¶19"
    scores = corpus.evaluate([QAItem("what did Hornung suggest?", ("nothing like this",))], k=1)
    assert "misses" not in json.loads(json_line(scores, omit=("misses",)))


def test_readme_one_liner(shared_index_dir):
    code = "import sofa_cli; print(sofa_cli.open().ask('what did Hornung suggest?')[0].citation)"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, env=_env(shared_index_dir)
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "kyodo-sofa ¶19\n"


def test_query_path_imports_no_loader_builder_or_cli(shared_index_dir):
    """A one-shot answer from a fresh index (the shared one) imports the reader and the ranking only."""
    code = (
        "import sys, sofa_cli; sofa_cli.open().ask('what did Hornung suggest?'); "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('sofa_cli', 'typer', 'click', 'rich')))))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(shared_index_dir), cwd=ROOT)
    loaded = set(proc.stdout.split())
    assert "sofa_cli.query.rank" in loaded
    unwanted = {"typer", "click", "rich", "sofa_cli.index.writer", "sofa_cli.index.compiler", "sofa_cli.corpus.documents"}
    assert not loaded & unwanted, loaded & unwanted


def _env(index_dir: str) -> dict:
    import os

    return dict(os.environ, SOFA_INDEX_DIR=index_dir)
