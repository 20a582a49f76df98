"""Evaluation: how often sofa's answers hold a known-good passage, on a user's QA file.

A QA file is JSON Lines of {"q": question, "gold": [substring, ...]}; a result is a hit
when its passage text contains one of the gold substrings. An empty gold list means the
question should get no answer, and counts as a hit when sofa returns none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from sofa_cli.errors import SofaError
from sofa_cli.model import Answer, QAItem, Scores


class QAFileError(SofaError):
    """A QA file that cannot be read or holds a line that is not {"q": ..., "gold": [...]}."""


def read_qa(path: Path) -> list[QAItem]:
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise QAFileError(f"cannot read QA file {path}: {getattr(err, 'strerror', None) or err}") from err
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            q, gold = record["q"], record.get("gold", [])
            if not isinstance(q, str) or not isinstance(gold, list):
                raise TypeError
        except (json.JSONDecodeError, KeyError, TypeError):
            raise QAFileError(f'{path}:{n}: expected {{"q": str, "gold": [str, ...]}}') from None
        items.append(QAItem(q, tuple(str(g) for g in gold)))
    return items


def evaluate(items: Iterable[QAItem], answer: Callable[[str], Answer], k: int) -> Scores:
    """Each item's question answered in turn; the rates are sums over the questions, divided
    once at the end."""
    questions, hit_at_1, hit_at_k, mrr, answer_at_1 = 0, 0, 0, 0.0, 0
    misses: list[dict] = []
    for item in items:
        result = answer(item.q)
        questions += 1
        texts = [r.text for r in result.results[:k]]
        if not item.gold:
            ok = not result.results
            hit_at_1 += ok
            hit_at_k += ok
            mrr += ok
            answer_at_1 += ok
            if not ok:
                misses.append({"q": item.q, "gold": [], "got": result.results[0].citation})
            continue
        ranks = [i for i, t in enumerate(texts, start=1) if any(g in t for g in item.gold)]
        first = ranks[0] if ranks else None
        hit_at_1 += first == 1
        hit_at_k += first is not None
        mrr += 1 / first if first else 0.0
        if result.results and any(g in result.results[0].answer for g in item.gold):
            answer_at_1 += 1
        if first != 1:
            got = result.results[0].citation if result.results else None
            misses.append({"q": item.q, "gold": list(item.gold), "got": got, "rank": first})
    n = questions or 1
    return Scores(questions, k, hit_at_1 / n, hit_at_k / n, mrr / n, answer_at_1 / n, misses)
