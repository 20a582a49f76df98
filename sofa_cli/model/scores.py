"""Evaluation's records: a QA item and the scores over a QA file (`sofa eval`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QAItem:
    q: str
    gold: tuple[str, ...]


@dataclass(frozen=True)
class Scores:
    """The scores over a QA file, made once its questions are all answered (rates in 0..1)."""

    questions: int
    k: int
    hit_at_1: float
    hit_at_k: float
    mrr: float
    answer_at_1: float
    misses: list[dict]
