"""--explain's record: a result's score taken apart (`Result.explain`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Explanation:
    """Why a passage scored what it did: `terms` (each query word's BM25 part, summing to
    `bm25`) plus `evidence` (all that ranking adds to BM25), which add up to the score.
    `signals` itemises the evidence, each signal with its points (sentence, attribution,
    proximity, answer type, document, title, phrase, the question-turn factor and the title
    word cap as negative points), summing to `evidence`; `rewritten` is the question as it was
    searched for (corrections, stand-ins, added and left-out words)."""

    terms: dict[str, float]
    bm25: float
    evidence: float
    signals: dict[str, float] = field(default_factory=dict)
    rewritten: str = ""
