"""`--explain`: a score taken apart into each question word's BM25 part and the evidence."""

from __future__ import annotations

from sofa_cli.index.bm25 import constant as bm25_constant
from sofa_cli.index.reader import Index
from sofa_cli.model import Explanation
from sofa_cli.query.question import Query


def _explain(index: Index, query: Query, pid: int, score: float) -> Explanation:
    """Each query term's part of the BM25 score (its impact here plus the model's per-term
    constant, so the parts add up to the BM25 score); the rest of the score is evidence."""
    terms: dict[str, float] = {}
    for tid in query.terms:
        name = index.term(tid)
        part = index.impact(tid, pid) + bm25_constant(index.params, index.idf[tid])
        terms[name] = round(terms.get(name, 0.0) + part, 6)
    total = sum(terms.values())
    return Explanation(terms=terms, bm25=round(total, 6), evidence=round(score - total, 6))
