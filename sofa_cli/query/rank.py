"""Searching: score passages for an analysed question, choose each one's answering sentence.

A passage's score is its BM25 score (the model's exact value) plus evidence that the
BM25 bag of words cannot see:

- the best sentence's share of the question's weight (many questions paraphrase one
  sentence, and a passage that matches all words in one sentence beats one that
  scatters them);
- attribution: when the question names a person, sentences that report that person
  (an interview turn of theirs, "Hornung suggested ...", a "he clarified" that follows
  him).

The constants live in `sofa_cli.query.config.Ranking`, each with the reason for its value.
"""

from __future__ import annotations

from dataclasses import dataclass

from sofa_cli.index.reader import Index
from sofa_cli.index.schema import StoredPassage
from sofa_cli.model import Answer, Result, citation
from sofa_cli.query.config import Ranking
from sofa_cli.query.evidence import (
    _document_share,
    _phrase_share,
    _title_excess,
    _title_share,
    _title_terms,
    coverage,
)
from sofa_cli.query.explain import _explain
from sofa_cli.query.question import Query, analyse_question
from sofa_cli.query.sentences import _best_sentence, _passage_terms, _Sentence, _sentence_terms

# Scores are shown, and compared for order, to this many decimals (see the sort in `rank`).
SCORE_DECIMALS = 6


@dataclass(frozen=True)
class Filters:
    sources: tuple[str, ...] = ()
    kind: str | None = None
    speaker: str | None = None
    min_score: float | None = None

    def allows(self, p: StoredPassage) -> bool:
        if self.sources and p.doc.id not in self.sources:
            return False
        if self.kind and p.doc.kind != self.kind:
            return False
        if self.speaker:
            wanted = self.speaker.casefold()
            names = {p.speaker, *p.attributions} - {None}
            if not any(wanted in n.casefold() for n in names):
                return False
        return True


def ask(
    index: Index,
    question: str,
    limit: int = 3,
    filters: Filters = Filters(),
    ranking: Ranking = Ranking(),
    explain: bool = False,
) -> Answer:
    query = analyse_question(index, question, ranking)
    results = rank(index, query, limit, filters, ranking, explain)
    return Answer(
        question=question,
        results=results,
        corrections=[list(c) for c in query.corrections],
        unknown=list(query.unknown),
    )


def rank(
    index: Index,
    query: Query,
    limit: int,
    filters: Filters = Filters(),
    ranking: Ranking = Ranking(),
    explain: bool = False,
) -> list[Result]:
    weights, switches = ranking.weights, ranking.switches
    if not query.terms or limit <= 0 or query.unknown_subject is not None:
        return []
    if coverage(index, query, weights.unknown_weight_floor) < weights.min_coverage:
        return []
    # Without filters only the first rerank_depth candidates are re-scored: ask for just
    # those (at a million passages, a dict of every match costs more than the answer).
    top = ranking.rerank_depth if filters == Filters() else None
    bm25 = index.bm25(query.terms, top=top)
    candidates = sorted(bm25.items(), key=lambda kv: (-kv[1], kv[0]))
    term_weight = {t: index.idf[t] for t in set(query.terms) | query.person_terms}
    title_terms: dict[str, set[int]] = {}
    doc_shares: dict[str, float] = {}
    scored: list[tuple[float, int, StoredPassage, _Sentence, float]] = []
    for pid, raw in candidates:
        base = raw
        p = index.passage(pid)
        if not filters.allows(p):
            continue
        if len(scored) >= ranking.rerank_depth and not filters.min_score:
            break
        if switches.title_terms:
            base -= _title_excess(index, p, query, _title_terms(index, p.doc, title_terms))
        sentence_terms = _sentence_terms(index, p)
        best = _best_sentence(index, p, sentence_terms, term_weight, query, ranking)
        score = base + best.score
        if weights.document:
            score += weights.document * _document_share(index, query, p.doc, doc_shares)
        if weights.title:
            score += weights.title * _title_share(index, query, _title_terms(index, p.doc, title_terms))
        if weights.question_turn and index.is_question_turn(pid):
            score *= 1 - weights.question_turn
        elif weights.phrase and query.bigrams:
            # (Not for an interviewer's question: it echoes the user's words, its answer turn answers.)
            score += weights.phrase * _phrase_share(index, query, sentence_terms)
        scored.append((score, pid, p, best, raw))
    # Scores equal as shown (SCORE_DECIMALS) are often exactly equal sums reached in another order:
    # paragraphs of one article that each hold its title words once. Rounding noise must not
    # order them; the BM25 before the title cap does (more mentions), then passage order.
    scored.sort(key=lambda s: (-round(s[0], SCORE_DECIMALS), -s[4], s[1]))
    results = []
    for score, _pid, p, best, _raw in scored:
        if filters.min_score is not None and score < filters.min_score:
            continue
        if len(results) == limit:
            break
        results.append(_result(index, query, len(results) + 1, score, p, best, explain))
    return results


def _result(index: Index, query: Query, rank_: int, score: float, p: StoredPassage, best: _Sentence, explain: bool) -> Result:
    wanted = set(query.terms)
    highlights = [[t.start, t.end] for t, tid in _passage_terms(index, p.text) if tid in wanted]
    a, b = p.sentences[best.index] if p.sentences else (0, len(p.text))
    contributions = _explain(index, query, p.pid, score) if explain else None
    return Result(
        rank=rank_,
        score=round(score, SCORE_DECIMALS),
        doc=p.doc.id,
        title=p.doc.title,
        path=p.doc.path,
        kind=p.doc.kind,
        passage=p.number,
        speaker=p.speaker,
        text=p.text,
        answer=p.text[a:b],
        highlights=highlights,
        citation=citation(p.doc.id, p.number),
        answer_span=[a, b],
        answer_by=p.attributions[best.index] if best.index < len(p.attributions) else None,
        explain=contributions,
    )
