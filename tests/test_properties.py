"""Property-based tests (hypothesis) of the pure stages: any Unicode input is handled, and
the offsets that highlighting and citations rely on always hold."""

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sofa_cli.corpus.documents import Document
from sofa_cli.corpus.paragraphs import split_paragraphs
from sofa_cli.corpus.segment import passages_of, sentence_spans
from sofa_cli.index.cache import open_index
from sofa_cli.query.rank import ask
from sofa_cli.text.analysis import analyse, tokenize

ROOT = Path(__file__).resolve().parent.parent
WORDS = ["Hornung", "suggested", "U.S.", "Dr.", "Tanaka", "Okinawa", "50,000", "2.5", "Ishiba’s", "don't", "日本", "😀", "e.g."]
PUNCT = [". ", "? ", "! ", ", ", "\n", "\n\n", " ", "“", "”", '"', "'", "—", "\t", "\u00a0", "\u2028"]

# Unicode at large, plus text shaped like the corpus (words, abbreviations, quotes, breaks).
any_text = st.text(max_size=400)
prose = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(PUNCT), st.text(max_size=8)), max_size=80).map("".join)
texts = st.one_of(any_text, prose)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(texts)
def test_tokens_lie_in_the_text_in_order(text):
    last = 0
    for token in tokenize(text):
        assert last <= token.start < token.end <= len(text)
        assert token.form
        last = token.end
    analyse(text)  # stemming any form raises nothing


@SETTINGS
@given(texts)
def test_sentence_spans_are_sorted_disjoint_and_cover_the_text(text):
    spans = sentence_spans(text)
    last = 0
    for a, b in spans:
        assert last <= a < b <= len(text)
        last = b
    covered = set()
    for a, b in spans:
        covered.update(range(a, b))
    uncovered = "".join(ch for i, ch in enumerate(text) if i not in covered)
    assert uncovered.strip() == "", repr(uncovered)


@SETTINGS
@given(texts, st.sampled_from(["article", "interview"]))
def test_passages_of_any_document_have_valid_sentences(body, kind):
    doc = Document(id="d", path="d.md", title="d", kind=kind, body=body)
    for p in passages_of(doc):
        assert p.text.strip()
        last = 0
        for a, b in p.sentences:
            assert last <= a < b <= len(p.text)
            last = b
        assert len(p.attributions) == len(p.sentences)
    assert all(par.strip() for par in split_paragraphs(body))


@pytest.fixture(scope="module")
def bundled_index(tmp_path_factory):
    return open_index(ROOT / "corpus", str(tmp_path_factory.mktemp("prop-index"))).index


def _assert_highlights_valid(answer):
    for r in answer.results:
        last = 0
        for start, end in r.highlights:
            assert last <= start < end <= len(r.text), (r.highlights, len(r.text))
            last = end
        a, b = r.answer_span
        assert 0 <= a <= b <= len(r.text)
        assert r.text[a:b] == r.answer


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        any_text, prose, st.lists(st.sampled_from(WORDS + ["Kadena", "treaty", "flags", "Trump"]), max_size=12).map(" ".join)
    )
)
def test_highlights_lie_in_the_text_and_never_overlap(bundled_index, question):
    _assert_highlights_valid(ask(bundled_index, question, limit=5))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("prop-corpora")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(prose, min_size=1, max_size=4), prose)
def test_highlights_hold_on_any_corpus_text(scratch, bodies, question):
    assume(any(b.strip() for b in bodies))
    folder = Path(tempfile.mkdtemp(prefix="sofa-prop-", dir=scratch))
    try:
        corpus = folder / "corpus"
        corpus.mkdir()
        for i, body in enumerate(bodies):
            (corpus / f"doc{i}.md").write_text(body, encoding="utf-8")
        index = open_index(corpus, str(folder / "index")).index
        _assert_highlights_valid(ask(index, question + " " + bodies[0][:40], limit=5))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
