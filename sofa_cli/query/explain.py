"""`--explain`: a score taken apart, and the question as it was searched for.

A score is each question word's BM25 part plus the evidence signals of `Ranking.weights`, each
with its points (`Explanation.signals`); `rewritten` says what became of the question's words:
corrected, standing in for another, added (the authors for "who wrote ...?"), left out, unknown.
"""

from __future__ import annotations

from sofa_cli.index.bm25 import constant as bm25_constant
from sofa_cli.index.reader import Index
from sofa_cli.model.explanation import Explanation
from sofa_cli.query import question as q
from sofa_cli.query.question import Query

# Points are shown, and summed, to this many decimals (as scores are).
DECIMALS = 6
# Signals listed though they add nothing: they say why a passage got no evidence.
NOTES = frozenset({"off topic: no evidence", "small talk: no evidence"})


def _explain(index: Index, query: Query, pid: int, score: float, parts: tuple[tuple[str, float], ...] = ()) -> Explanation:
    """Each query term's part of the BM25 score (its impact here plus the model's per-term
    constant, so the parts add up to the BM25 score); the rest of the score is evidence,
    itemised by signal in `parts` (as `rank._score` added them)."""
    terms: dict[str, float] = {}
    for tid in query.terms:
        name = index.term(tid)
        part = index.impact(tid, pid) + bm25_constant(index.params, index.idf[tid])
        terms[name] = round(terms.get(name, 0.0) + part, DECIMALS)
    total = sum(terms.values())
    signals: dict[str, float] = {}
    for name, points in parts:
        if round(points, DECIMALS) or name in NOTES:
            signals[name] = round(signals.get(name, 0.0) + points, DECIMALS)
    return Explanation(
        terms=terms,
        bm25=round(total, DECIMALS),
        evidence=round(score - total, DECIMALS),
        signals=signals,
        rewritten=rewritten(index, query),
    )


def rewritten(index: Index, query: Query) -> str:
    """The question as searched for, in words: "searched: tanaka (for 'tanka'), crash; left out:
    what, did (common words); not in the corpus: okafor; added: keita, nakamura (authors)"."""
    searched, common, asking, unknown = [], [], [], []
    for w in query.words:
        if w.how == q.STOPWORD:
            common.append(w.typed)
        elif w.how == q.UNKNOWN:
            unknown.append(w.typed)
        elif w.how == q.ASKING or (w.tid is not None and w.tid not in query.terms):
            asking.append(w.typed)
        elif w.how == q.FAMILY:
            searched.append(f"{'|'.join(index.term(t) for t in w.family)} (for {w.typed!r}, its reporting verbs)")
        elif w.how == q.SYNONYM:
            searched.append(f"{index.term(w.tid)} (for {w.typed!r}, a synonym)")
        elif w.how == q.DERIVED:
            searched.append(f"{w.correction[1]} (for {w.typed!r}, its family)")
        elif w.how == q.CORRECTED:
            searched.append(f"{w.form} (for {w.typed!r}, corrected)")
        else:
            searched.append(w.form)
    parts = ["searched: " + (", ".join(dict.fromkeys(searched)) or "nothing")]
    added = [
        (query.author_terms, "the authors, for who wrote"),
        (query.acronym_terms, "acronyms spelled out"),
        (tuple(dict.fromkeys(other for other, _ in query.synonyms)), "synonyms, for the answer sentence"),
    ]
    for tids, why in added:
        if tids:
            parts.append(f"added: {', '.join(index.term(t) for t in tids)} ({why})")
    left_out = [f"{', '.join(words)} ({why})" for words, why in ((asking, "they ask"), (common, "common words")) if words]
    if left_out:
        parts.append("left out: " + "; ".join(left_out))
    if unknown:
        parts.append(f"not in the corpus: {', '.join(unknown)}")
    if query.people:
        parts.append(f"asks for the words of: {', '.join(query.people)}")
    return "; ".join(parts)
