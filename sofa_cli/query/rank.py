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

import re
from heapq import heappush, heappushpop
from typing import NamedTuple

from sofa_cli.index.reader import Index
from sofa_cli.index.schema import DocInfo, StoredPassage
from sofa_cli.model import Answer, Result, citation
from sofa_cli.query.config import Ranking, Weights
from sofa_cli.query.evidence import (
    _document_shares,
    _phrase_share,
    _title_excess,
    _title_terms,
    coverage,
    question_weights,
    title_share,
)
from sofa_cli.query.question import Query, analyse_question
from sofa_cli.query.sentences import _best_sentence, _Sentence, _sentence_terms, highlight_spans, is_small_talk

# Scores are shown, and compared for order, to this many decimals (see the sort in `rank`).
SCORE_DECIMALS = 6

_ISO_DATE = re.compile(r"\d{4}(?:[-/]\d\d){0,2}")


def parse_date(text: str) -> str:
    """A --since/--until DATE as the ISO prefix documents' dates are compared with
    ("2024", "2024-11", "2024-11-12"); ValueError says what is accepted."""
    import re

    text = text.strip()
    match = re.fullmatch(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?", text)
    if not match or not (match.group(2) is None or 1 <= int(match.group(2)) <= 12):
        raise ValueError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    if day is not None:
        import datetime

        try:
            datetime.date(int(year), int(month), int(day))  # the calendar's days: no 2024-02-30
        except ValueError:
            raise ValueError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)") from None
    return "-".join([year, *(f"{int(x):02d}" for x in (month, day) if x is not None)])


class Filters(NamedTuple):  # not a dataclass: one compiles its methods from source when defined
    sources: tuple[str, ...] = ()
    kind: str | None = None
    speaker: str | None = None
    min_score: float | None = None
    # h-cli (issue 14 #12): documents dated in [since, until]; ISO prefixes ("2024", "2024-11"),
    # compared as strings; an undated document is left out when either bound is set.
    since: str | None = None
    until: str | None = None

    def allows(self, p: StoredPassage) -> bool:
        if self.sources and p.doc.id not in self.sources:
            return False
        if self.since or self.until:
            iso = _ISO_DATE.match(p.doc.date or "")  # a date in another form cannot be compared: left out
            date = iso.group().replace("/", "-") if iso else ""
            if not date or (self.since and date < self.since) or (self.until and date[: len(self.until)] > self.until):
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
    weights = ranking.weights
    if not query.terms or limit <= 0 or query.unknown_subject is not None:
        return []
    if coverage(index, query, weights) < weights.min_coverage:
        return []
    # Without filters only the first rerank_depth candidates are re-scored: ask for just
    # those (at a million passages, a dict of every match costs more than the answer).
    top = ranking.rerank_depth if filters == Filters() else None
    bm25 = index.bm25(query.terms, top=top)
    candidates = sorted(bm25.items(), key=lambda kv: (-kv[1], kv[0]))
    term_weight = {t: index.idf[t] for t in set(query.terms) | query.person_terms}
    title_terms: dict[str, set[int]] = {}
    # (pid, document, BM25, the passage when a filter had to read it): without filters a
    # candidate's passage is read only if it is scored.
    chosen: list[tuple[int, DocInfo, float, StoredPassage | None]] = []
    if filters == Filters():
        chosen = [(pid, index.passage_doc(pid), raw, None) for pid, raw in candidates[: ranking.rerank_depth]]
    else:
        for pid, raw in candidates:
            p = index.passage(pid)
            if not filters.allows(p):
                continue
            if len(chosen) >= ranking.rerank_depth and not filters.min_score:
                break
            chosen.append((pid, p.doc, raw, p))
    doc_shares = _document_shares(index, query, (doc for _, doc, _, _ in chosen)) if ranking.weights.document else {}
    bar = _Bar.of(query, term_weight, ranking) if ranking.prune and filters.min_score is None else None
    most = bar.most if bar is not None else None
    # Each candidate's best possible score: BM25, its document's and title's points (known
    # before its sentences are read) and the most its sentences and phrases could add.
    bounded = []
    question = question_weights(index, query)
    title_shares: dict[str, float] = {}  # by document
    for pid, doc, raw, p in chosen:
        title = _title_terms(index, pid, doc, title_terms)
        share = title_shares.get(doc.id)
        if share is None:
            share = title_shares[doc.id] = title_share(question, title)
        points = 0.0
        if most is not None:
            points = (weights.document * doc_shares[doc.id] if weights.document else 0.0) + (
                weights.title * share if weights.title else 0.0
            )
        bounded.append((raw + points, pid, raw, p, title, share))
    if most is not None:  # the likeliest winners first: they set the bar the others must reach
        bounded.sort(key=lambda b: -b[0])
    scored: list[_Scored] = []
    kept: list[float] = []  # the best `limit` on-topic scores so far (a min-heap)
    for best_known, pid, raw, p, title, share in bounded:
        # A candidate whose best possible score is below `limit` on-topic scores already found
        # (by more than the shown decimals) cannot be shown: it is not scored. The bound is
        # first the question's (`_Bar.most`), then, closer, the one its stored terms allow.
        sentence_terms = phrase = None
        if bar is not None and len(kept) == limit and kept[0] > PRUNE_MARGIN:
            if best_known + bar.most < kept[0] - PRUNE_MARGIN:
                continue
            sentence_terms = index.sentence_terms(pid)
            if sentence_terms is not None:
                most, phrase = bar.of_passage(index, query, sentence_terms)
                if best_known + most < kept[0] - PRUNE_MARGIN:
                    continue
        p = p or index.passage(pid)
        if sentence_terms is None:
            sentence_terms = _sentence_terms(index, p)
        s = _score(index, query, p, raw, term_weight, title, share, doc_shares, ranking, sentence_terms, phrase)
        scored.append(s)
        if most is not None and s.standing == ON_TOPIC:
            (heappush if len(kept) < limit else heappushpop)(kept, s.score)
    # Passages that are no answer about the topic go last, whatever their score (`_standing`).
    # Scores equal as shown (SCORE_DECIMALS) are often exactly equal sums reached in another order:
    # paragraphs of one article that each hold its title words once. Rounding noise must not
    # order them; the BM25 before the title cap does (more mentions), then passage order.
    scored.sort(key=lambda s: (s.standing, -round(s.score, SCORE_DECIMALS), -s.bm25, s.passage.pid))
    results = []
    for s in scored:
        if filters.min_score is not None and s.score < filters.min_score:
            continue
        if len(results) == limit:
            break
        results.append(_result(index, query, len(results) + 1, s, explain))
    return results


# How far below the `limit`-th score a candidate's best possible score must lie for it to be
# left unscored: well above float rounding of the sums, and a shown decimal (SCORE_DECIMALS).
PRUNE_MARGIN = 1e-5


class _Bar(NamedTuple):
    """The most points a candidate's sentences, attribution and phrases can add to its BM25 and
    its document's and title's points (`_score`), for leaving unscored the candidates that cannot
    reach the top: `most` for any passage, `of_passage` for one whose terms are read."""

    most: float
    weights: Weights
    total: float  # the question's weight, as `_best_sentence` divides by it
    scale: float  # the most a share of that weight can be: one, or the synonyms' weight if larger
    always: frozenset[int]  # terms a sentence counts as holding whatever it says (acronyms, people)
    synonyms: dict[int, int]
    term_weight: dict[int, float]

    @staticmethod
    def of(query: Query, term_weight: dict[int, float], ranking: Ranking) -> _Bar | None:
        """Each share is at most one (`scale`), each signal counts only when the question has what
        it needs. None when a weight or a term weight is negative: then no bound holds and every
        candidate is scored."""
        w = ranking.weights
        used = (w.sentence, w.proximity, w.phrase, w.answer_type, w.attribution, w.document, w.title, w.synonyms)
        if min(used) < 0 or not 0 <= w.question_turn <= 1 or any(v < 0 for v in term_weight.values()):
            return None
        scale = max(1.0, w.synonyms)
        always = {acronym for acronym, _ in query.spelled_out} | (query.person_terms if query.people else set())
        synonyms = dict(query.synonyms) if w.synonyms else {}
        bar = _Bar(0.0, w, sum(term_weight.values()) or 1.0, scale, frozenset(always), synonyms, term_weight)
        return bar._replace(most=bar._points(scale, 1.0 if query.bigrams else 0.0, 1.0, query))

    def _points(self, share: float, pairs: float, phrase: float, query: Query) -> float:
        w = self.weights
        most = w.sentence * share
        if query.bigrams:
            most += w.proximity * pairs + w.phrase * phrase
        if query.answer_type:
            most += w.answer_type * share
        if query.people:
            most += w.attribution
        return most

    def of_passage(self, index: Index, query: Query, sentence_terms: list[list[int]]) -> tuple[float, float | None]:
        """The bound for a passage with these sentence terms: its shares count only the question
        words it holds (or their synonyms), its word pairs only those it repeats; and its phrase
        share (`_phrase_share`, exact, for `_score` to add)."""
        present = {t for sequence in sentence_terms for t in sequence} | self.always
        words = {t for t in self.term_weight if t in present}
        words.update(self.synonyms[t] for t in present if t in self.synonyms)
        share = min(self.scale, self.scale * sum(self.term_weight.get(t, 0.0) for t in words) / self.total)
        pairs, phrase = 0.0, None
        if query.bigrams:
            found = {pair for sequence in sentence_terms for pair in zip(sequence, sequence[1:])}
            pairs = len(query.bigrams & found) / len(query.bigrams)
            phrase = _phrase_share(index, query, sentence_terms)
        return self._points(share, pairs, phrase or 0.0, query), phrase


class _Scored(NamedTuple):
    """A candidate passage scored: its score, BM25, answer sentence, standing, and the points
    each signal added (`parts`, in the order they apply; for --explain)."""

    score: float
    bm25: float
    passage: StoredPassage
    best: _Sentence
    standing: int
    parts: tuple[tuple[str, float], ...]


def _score(
    index: Index,
    query: Query,
    p: StoredPassage,
    raw: float,
    term_weight: dict[int, float],
    title: set[int],
    title_held: float,
    doc_shares: dict[str, float],
    ranking: Ranking,
    sentence_terms: list[list[int]],
    phrase: float | None = None,
) -> _Scored:
    """One passage's score: BM25 (title words capped) plus the evidence of `Ranking.weights`.

    A passage that is no answer about the topic (`_standing`) keeps its BM25 only: evidence is
    evidence of an answer, and its sentence, attribution or document say nothing of this topic.
    """
    weights = ranking.weights
    parts: list[tuple[str, float]] = []
    score = raw
    if ranking.switches.title_terms:
        excess = _title_excess(index, p, query, title)
        score -= excess
        parts.append(("title words once", -excess))
    best = _best_sentence(index, p, sentence_terms, term_weight, query, ranking)
    standing = _standing(index, query, p.pid, sentence_terms, ranking)
    if standing != ON_TOPIC:
        parts.append(("off topic: no evidence" if standing == OFF_TOPIC else "small talk: no evidence", 0.0))
        return _Scored(score, raw, p, best, standing, tuple(parts))
    score += best.score
    parts.extend(best.parts)
    if weights.document:
        points = weights.document * doc_shares[p.doc.id]
        score += points
        parts.append(("document", points))
    if weights.title:
        points = weights.title * title_held
        score += points
        parts.append(("title", points))
    if weights.question_turn and index.is_question_turn(p.pid):
        before = score
        score *= 1 - weights.question_turn
        parts.append(("question turn", score - before))
    elif weights.phrase and query.bigrams:
        # (Not for an interviewer's question: it echoes the user's words, its answer turn answers.)
        points = weights.phrase * (phrase if phrase is not None else _phrase_share(index, query, sentence_terms))
        score += points
        parts.append(("phrase", points))
    return _Scored(score, raw, p, best, standing, tuple(parts))


ON_TOPIC, OFF_TOPIC, SMALL_TALK = 0, 1, 2  # a passage's standing, the first key of the ranking


def _standing(index: Index, query: Query, pid: int, sentence_terms: list[list[int]], ranking: Ranking) -> int:
    """SMALL_TALK for a passage whose every sentence is small talk (`is_small_talk`); OFF_TOPIC
    for one that holds none of the topic of a question asking for someone's words (matched by
    the speaker's name or a reporting verb only); else ON_TOPIC."""
    if not ranking.switches.topic_first:
        return ON_TOPIC
    if all(is_small_talk(sequence, set(sequence), query, ranking) for sequence in sentence_terms):
        return SMALL_TALK
    if query.people and query.topic_terms and not any(index.impact(t, pid) for t in query.topic_terms):
        return OFF_TOPIC
    return ON_TOPIC


def _result(index: Index, query: Query, rank_: int, scored: _Scored, explain: bool) -> Result:
    p, best, score = scored.passage, scored.best, scored.score
    wanted = set(query.terms)
    highlights = highlight_spans(index, p.text, wanted)
    a, b = p.sentences[best.index] if p.sentences else (0, len(p.text))
    contributions = None
    if explain:
        from sofa_cli.query.explain import _explain  # --explain only

        contributions = _explain(index, query, p.pid, score, scored.parts)
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
        author=p.doc.author,  # h-cli (issue 14 #7): the document's metadata on every result
        date=p.doc.date,
        url=p.doc.url,
        role=p.role,
    )
