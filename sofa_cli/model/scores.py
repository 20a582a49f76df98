"""Evaluation's records: a QA item and the scores over a QA file (`sofa eval`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QAItem:
    q: str
    gold: tuple[str, ...]


@dataclass
class Scores:
    questions: int = 0
    k: int = 5
    hit_at_1: float = 0.0
    hit_at_k: float = 0.0
    mrr: float = 0.0
    answer_at_1: float = 0.0
    misses: list[dict] = field(default_factory=list)
