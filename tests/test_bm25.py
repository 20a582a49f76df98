"""sofa's BM25 gives rank-bm25's own scores, and its scoring paths agree to the last bit.

The index stores each posting's tf and each passage's length; a question computes its terms'
impacts from them (+ a per-term constant) and sums them; rank-bm25 loops over every passage.
Both must give the same number for every passage, on the same tokens (sofa's analyser), to
1e-6; sofa's own paths (pure Python, numpy, one posting at a time) the same floats.
"""

import shutil
from pathlib import Path

import pytest
import rank_bm25

from sofa_cli.index import bm25
from sofa_cli.index.format import write_index
from sofa_cli.index.reader import Index
from sofa_cli.index.writer import build
from sofa_cli.text.analysis import analyse

BUNDLED = Path(__file__).resolve().parent.parent / "corpus"

RANK_BM25 = {
    "plus": lambda tokens: rank_bm25.BM25Plus(tokens, k1=bm25.K1, b=bm25.B, delta=bm25.DELTA),
    "okapi": lambda tokens: rank_bm25.BM25Okapi(tokens, k1=bm25.K1, b=bm25.B, epsilon=bm25.EPSILON),
    "l": lambda tokens: rank_bm25.BM25L(tokens, k1=bm25.K1, b=bm25.B, delta=bm25.DELTA_L),
}

EXTRA = """---
title: Repetitions
kind: article
---
Hornung Hornung Hornung suggested a review; the review suggested more reviews.

The alliance, the alliance and again the alliance: 50,000 troops in 2004.

Okinawa’s governor and Okinawa's mayor met the U.S. envoy in Okinawa.

A short one.
"""

QUERIES = [
    "what did Hornung suggest?",
    "alliance alliance review",  # a repeated query word counts twice, as in rank-bm25
    "Okinawa U.S. troops 50,000 2004",
    "Ishiba Status of Forces Agreement revision Guam",
    "the Japan alliance",  # in most passages: Okapi's IDF floor
]


def _index(tmp_path: Path, variant: str) -> Index:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(BUNDLED / "kyodo-sofa.md", corpus / "kyodo-sofa.md")  # an article: no prompt terms
    (corpus / "extra.md").write_text(EXTRA, encoding="utf-8")
    header, sections, _ = build(corpus, params=bm25.BM25Params(variant))
    write_index(tmp_path / "index.sofa", header, sections)
    return Index(tmp_path / "index.sofa")


def _tokens(idx: Index, pid: int) -> list[str]:
    """The passage's index terms, as sofa analyses them: its text, then the people it reports."""
    p = idx.passage(pid)
    people = sorted({who for who in (p.speaker, *p.attributions) if who})
    return analyse(p.text) + (analyse(" ".join(people)) if people else [])


def _full_scores(idx: Index, term_ids: list[int], scores: dict[int, float]) -> list[float]:
    """Every passage's score: a passage without any query term gets the terms' constants."""
    base = sum(bm25.constant(idx.params, idx.idf[t]) for t in term_ids)
    return [scores.get(pid, base) for pid in range(idx.n_passages)]


@pytest.mark.parametrize("variant", bm25.VARIANTS)
def test_scores_equal_rank_bm25_on_the_same_tokens(tmp_path, variant):
    idx = _index(tmp_path, variant)
    tokens = [_tokens(idx, pid) for pid in range(idx.n_passages)]
    model = RANK_BM25[variant](tokens)
    for question in QUERIES:
        query = [t for t in analyse(question) if idx.term_id(t) is not None]
        assert query, question
        ids = [idx.term_id(t) for t in query]
        ours = _full_scores(idx, ids, idx.bm25(ids))
        theirs = model.get_scores(query)
        assert len(ours) == len(theirs) == idx.n_passages
        worst = max(abs(a - b) for a, b in zip(ours, theirs))
        assert worst < 1e-6, (question, worst)


@pytest.mark.parametrize("variant", bm25.VARIANTS)
def test_numpy_path_gives_the_pure_paths_scores(tmp_path, variant):
    idx = _index(tmp_path, variant)
    for question in QUERIES + ["review", "Kadena"]:  # rare terms: numpy's sparse branch
        ids = [idx.term_id(t) for t in analyse(question) if idx.term_id(t) is not None]
        pure = idx.bm25(ids, use_numpy=False)
        pure_top = idx.bm25(ids, top=5, use_numpy=False)
        fast = idx.bm25(ids, use_numpy=True)
        fast_top = idx.bm25(ids, top=5, use_numpy=True)
        assert fast == pure  # the same additions in the same order: equal floats, not close ones
        assert fast_top == pure_top


def test_top_keeps_the_best_scores_and_breaks_ties_by_passage(tmp_path):
    idx = _index(tmp_path, "plus")
    ids = [idx.term_id("japan")]
    everything = sorted(idx.bm25(ids).items(), key=lambda kv: (-kv[1], kv[0]))
    for use_numpy in (False, True):
        for k in (1, 3, 7):
            top = idx.bm25(ids, top=k, use_numpy=use_numpy)
            assert sorted(top.items(), key=lambda kv: (-kv[1], kv[0])) == everything[:k]


def test_vectorised_formulas_match_the_scalar_ones():
    import numpy as np

    df = np.array([1, 2, 5, 9, 10])
    tf = np.array([1, 3, 2, 1, 7])
    doc_len = np.array([4, 12, 30, 7, 19])
    for params in map(bm25.BM25Params, bm25.VARIANTS):
        idf_scalar = bm25.idf_table(params, {str(i): int(d) for i, d in enumerate(df)}, 10)
        idf = bm25.idf_array(params, df, 10)
        assert idf.tolist() == pytest.approx([idf_scalar[str(i)] for i in range(len(df))], abs=1e-12)
        impacts = bm25.impacts(params, idf, tf, doc_len, 11.5)
        expected = [bm25.impact(params, float(idf[i]), int(tf[i]), int(doc_len[i]), 11.5) for i in range(len(df))]
        assert impacts.tolist() == expected  # a reader mixes both: the same floats, not close ones


@pytest.mark.parametrize("variant", bm25.VARIANTS)
def test_one_postings_impact_is_its_share_of_the_score(tmp_path, variant):
    """`Index.impact` (one posting, scalar formula) is exactly what `bm25` adds for that term."""
    idx = _index(tmp_path, variant)
    for tid in range(idx.n_terms):
        constant = bm25.constant(idx.params, idx.idf[tid])
        for use_numpy in (False, True):
            scores = idx.bm25([tid], use_numpy=use_numpy)
            assert scores == {pid: idx.impact(tid, pid) + constant for pid in idx.passages_with(tid)}


def test_a_term_repeated_past_a_byte_is_counted_whole(tmp_path):
    """A tf above 255 widens the stored tf instead of wrapping: the score stays rank-bm25's."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("Buffalo " * 300 + "\n\nOne buffalo here.\n\nNo such animal.\n", encoding="utf-8")
    header, sections, _ = build(corpus, params=bm25.BM25Params())
    assert sections["post_tf"].dtype.itemsize == 2
    write_index(tmp_path / "index.sofa", header, sections)
    with Index(tmp_path / "index.sofa") as idx:
        tokens = [_tokens(idx, pid) for pid in range(idx.n_passages)]
        tid = idx.term_id("buffalo")
        theirs = RANK_BM25["plus"](tokens).get_scores(["buffalo"])
        ours = _full_scores(idx, [tid], idx.bm25([tid]))
        assert max(abs(a - b) for a, b in zip(ours, theirs)) < 1e-6


def test_typo_candidates_keep_every_form_within_the_distance(tmp_path):
    """The numpy pre-filter of typo correction never drops a form the edit distance accepts."""
    from sofa_cli.query.typos import edit_distance

    idx = _index(tmp_path, "plus")
    forms = [idx.form(i) for i in range(idx.n_forms)]
    for typo in ("hornug", "okinwa", "aliance", "revieww", "kaden", "troopss", "gaum"):
        for limit in (1, 2):
            within = {i for i, f in enumerate(forms) if edit_distance(typo, f, limit) <= limit}
            assert within, typo
            assert within <= set(idx.form_candidates(typo, limit, use_histograms=False))
            narrowed = set(idx.form_candidates(typo, limit, use_histograms=True))
            assert within <= narrowed
            assert len(narrowed) < len(forms) // 4  # and it does narrow
