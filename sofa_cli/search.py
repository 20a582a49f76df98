"""Searching: score passages for an analysed question, choose each one's answering sentence.

A passage's score is its BM25 score (the model's exact value) plus evidence that the
BM25 bag of words cannot see:

- the best sentence's share of the question's weight (many questions paraphrase one
  sentence, and a passage that matches all words in one sentence beats one that
  scatters them);
- attribution: when the question names a person, sentences that report that person
  (an interview turn of theirs, "Hornung suggested ...", a "he clarified" that follows
  him).

The constants live in `Weights`, each with the reason for its value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from sofa_cli.analysis import form_of, raw_tokens, tokenize
from sofa_cli.bm25 import constant as bm25_constant
from sofa_cli.index import Index, StoredPassage
from sofa_cli.question import Query, analyse_question, has_answer_type


@dataclass(frozen=True)
class Weights:
    """Ranking constants, tuned on bench/qa/bundled.jsonl and checked on XQuAD (BENCHMARKS.md)."""

    # Points for a sentence that holds all the question's weight; a fraction for a share.
    # About one rare term's BM25 contribution, so it breaks ties between near-equal passages.
    sentence: float = 4.0
    # Bonus for a passage with a sentence that reports the person the question names.
    # Larger than one term, smaller than two: the person must still talk about the topic.
    attribution: float = 6.0
    # Share of the score an interviewer's question turn loses: its answer turn carries its
    # words (it is matched on them) and is what a user asking wants to read.
    question_turn: float = 0.4
    # Least share of the question's weight (unknown words counting at the highest IDF) the
    # matched words must hold; below it, "no answer" beats a passage sharing one stray word.
    min_coverage: float = 0.34
    # Points for a sentence that repeats all the question's word pairs side by side
    # ("national anthem"); proximity that a bag of words cannot see.
    proximity: float = 2.0
    # Points for a passage that repeats all the question's word pairs side by side anywhere,
    # by their IDF (the sentence-level `proximity` misses pairs outside the best sentence).
    phrase: float = 4.0
    # Points (times the sentence's share) when it holds the kind of answer asked for: a name
    # for "who", a date for "when", a number for "how many".
    answer_type: float = 2.0
    # Points for a passage whose document holds all the question's words (see _document_shares).
    document: float = 3.0
    # Share of a sentence's evidence passed to the next one when it goes on from it ("This ...",
    # "He ..."); it picks the answer sentence only, never the rank. A quarter since `untyped`
    # and `local_idf` also favour the sentence after an echo (0.5 then cost answer@1, BENCHMARKS.md).
    continuation: float = 0.25
    # Share of its evidence (for the answer choice only) a sentence loses when it lacks the kind
    # of answer the question asks for: typing is rough, so a penalty, not a filter.
    untyped: float = 0.3
    # Weigh question words by how few of the passage's sentences hold them when choosing its
    # answer sentence (see _sentence_weights); the passage's score keeps the corpus IDF.
    local_idf: bool = True
    # Points for a passage whose document's title holds all the question's weight (a share for
    # part): a title names the topic as the question does. About one rare term's BM25.
    title: float = 4.0
    # Title words count once per passage (see _title_excess).
    title_terms: bool = True
    # Share of a question word's weight that a sentence holding only its synonym gets
    # (sofa_cli.synonyms): "his death in 1227" answers "when did he die?", but a synonym is
    # weaker evidence than the word itself, and a group's words are not always the same sense.
    synonyms: float = 0.3
    # Evidence (for the answer choice only) of a sentence where a number the question lacks
    # stands beside what "how many" counts: "led the team in tackles (118)" answers "how many
    # tackles ...?", where "two of the three linebackers ... Kuechly" only has a number.
    counted: float = 0.5
    # Query analysis switches, for measuring each feature (bench/quality).
    typos: bool = True
    scaffolding: bool = True
    # Candidates re-scored with sentence evidence; BM25 beyond this rank never climbs to the top.
    rerank_depth: int = 100


PLAIN = Weights(
    sentence=0.0,
    attribution=0.0,
    question_turn=0.0,
    min_coverage=0.0,
    phrase=0.0,
    title=0.0,
    synonyms=0.0,
    counted=0.0,
    untyped=0.0,
    local_idf=False,
    typos=False,
    scaffolding=False,
)


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


@dataclass(frozen=True)
class Explanation:
    """Why a passage scored what it did: `terms` (each query word's BM25 part, summing to
    `bm25`) plus `evidence` (all that ranking adds to BM25: best sentence, attribution and
    the other features of `Weights`), which add up to the score."""

    terms: dict[str, float]
    bm25: float
    evidence: float


@dataclass(frozen=True)
class Result:
    """One answer to a question; the JSON output is this dataclass (see README: JSON output)."""

    rank: int
    score: float
    doc: str
    title: str
    path: str
    kind: str
    passage: int
    speaker: str | None
    text: str
    answer: str
    highlights: list[list[int]]
    citation: str
    answer_span: list[int] = field(default_factory=list)
    answer_by: str | None = None
    explain: Explanation | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    results: list[Result]
    corrections: list[list[str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def citation(doc_id: str, number: int) -> str:
    return f"{doc_id} ¶{number}"


def ask(
    index: Index,
    question: str,
    limit: int = 3,
    filters: Filters = Filters(),
    weights: Weights = Weights(),
    explain: bool = False,
) -> Answer:
    query = analyse_question(index, question, typos=weights.typos, scaffolding=weights.scaffolding, synonyms=weights.synonyms > 0)
    results = rank(index, query, limit, filters, weights, explain)
    return Answer(
        question=question,
        results=results,
        corrections=[list(c) for c in query.corrections],
        unknown=list(query.unknown),
    )


@dataclass(frozen=True)
class _Sentence:
    index: int
    score: float


def rank(
    index: Index,
    query: Query,
    limit: int,
    filters: Filters = Filters(),
    weights: Weights = Weights(),
    explain: bool = False,
) -> list[Result]:
    if not query.terms or limit <= 0 or coverage(index, query) < weights.min_coverage:
        return []
    # Without filters only the first rerank_depth candidates are re-scored: ask for just
    # those (at a million passages, a dict of every match costs more than the answer).
    top = weights.rerank_depth if filters == Filters() else None
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
        if len(scored) >= weights.rerank_depth and not filters.min_score:
            break
        if weights.title_terms:
            base -= _title_excess(index, p, query, _title_terms(index, p.doc, title_terms))
        sentence_terms = _sentence_terms(index, p)
        best = _best_sentence(index, p, sentence_terms, term_weight, query, weights)
        score = base + best.score
        if weights.document:
            score += weights.document * _document_share(index, query, p.doc, doc_shares)
        if weights.title:
            score += weights.title * _title_share(index, query, _title_terms(index, p.doc, title_terms))
        if weights.question_turn and _is_question_turn(index, pid):
            score *= 1 - weights.question_turn
        elif weights.phrase and query.bigrams:
            # (Not for an interviewer's question: it echoes the user's words, its answer turn answers.)
            score += weights.phrase * _phrase_share(index, query, sentence_terms)
        scored.append((score, pid, p, best, raw))
    # Scores equal as shown (6 decimals) are often exactly equal sums reached in another order:
    # paragraphs of one article that each hold its title words once. Rounding noise must not
    # order them; the BM25 before the title cap does (more mentions), then passage order.
    scored.sort(key=lambda s: (-round(s[0], 6), -s[4], s[1]))
    results = []
    for score, _pid, p, best, _raw in scored:
        if filters.min_score is not None and score < filters.min_score:
            continue
        if len(results) == limit:
            break
        results.append(_result(index, query, len(results) + 1, score, p, best, explain))
    return results


def _title_terms(index: Index, doc, cache: dict[str, set[int]]) -> set[int]:
    terms = cache.get(doc.id)
    if terms is None:
        terms = cache[doc.id] = {tid for _, tid in _passage_terms(index, doc.title)}
    return terms


def _title_excess(index: Index, p: StoredPassage, query: Query, title: set[int]) -> float:
    """BM25 a passage owes to repeating its document's title words beyond once.

    A question names the topic ("Super Bowl 50") to pick the document; within that document
    the paragraph that says "Super Bowl" five times is no better an answer. So a query term
    in the title counts at most as one occurrence would (its IDF).
    """
    excess = 0.0
    for tid in query.terms:
        if tid in title:
            excess += max(0.0, index.impact(tid, p.pid) - index.idf[tid])
    return excess


def _title_share(index: Index, query: Query, title: set[int]) -> float:
    """The share of the question's weight that its document's title holds.

    The title names what a document is about, as the question names what it asks about
    ("How many species of ctenophore are there?" of the article "Ctenophora"): the title
    picks the document, `_title_excess` keeps it from picking the paragraph.
    """
    terms = set(query.terms)
    total = sum(index.idf[t] for t in terms)
    return sum(index.idf[t] for t in terms if t in title) / total if total else 0.0


def _phrase_share(index: Index, query: Query, sentence_terms: list[list[int]]) -> float:
    """The IDF-weighted share of the question's word pairs the passage repeats side by side.

    "Which famous Indian practiced civil disobedience?": a paragraph saying "civil
    disobedience" is about it; one saying "civil rights" and "disobedience" apart may not be.
    """
    present = {t for sequence in sentence_terms for t in sequence}
    pairs = {pair for sequence in sentence_terms for pair in zip(sequence, sequence[1:])}
    for acronym, expansion in query.acronym_pairs:
        if acronym in present:
            pairs |= expansion
    idf = index.idf
    total = sum(idf[a] + idf[b] for a, b in query.bigrams)
    found = sum(idf[a] + idf[b] for a, b in query.bigrams & pairs)
    return found / total if total else 0.0


def _document_share(index: Index, query: Query, doc, cache: dict[str, float]) -> float:
    """The share of the question's weight found anywhere in the document.

    Questions lean on their document's context ("what goal do these protests have?" is asked
    of an article on civil disobedience): a passage of a document that holds all the question's
    words elsewhere is likelier the answer than a lone passage sharing one of them.
    """
    share = cache.get(doc.id)
    if share is None:
        terms = set(query.terms)
        total = sum(index.idf[t] for t in terms) or 1.0
        end = doc.first_passage + doc.passage_count
        found = sum(index.idf[t] for t in terms if index.occurs_between(t, doc.first_passage, end))
        share = cache[doc.id] = found / total
    return share


def coverage(index: Index, query: Query) -> float:
    """Share of the question's weight held by words the corpus has."""
    top_idf = max((index.idf[t] for t in query.terms), default=0.0)
    unknown_idf = max(top_idf, 1.0)
    matched = sum(index.idf[t] for t in set(query.terms))
    total = matched + unknown_idf * len(query.unknown)
    return matched / total if total else 0.0


def _is_question_turn(index: Index, pid: int) -> bool:
    """An interview turn that prompted the next one (the interviewer's question)."""
    return pid + 1 < index.n_passages and index.p_prompt[pid + 1] == pid


def _sentence_terms(index: Index, p: StoredPassage) -> list[list[int]]:
    """For each sentence of `p`, its content terms in order.

    Tokenised sentence by sentence (a token never crosses a sentence span), without spans:
    this runs over every word of a hundred candidates per question.
    """
    term_of_form = index.term_of_form
    out = []
    for a, b in p.sentences:
        terms = [term_of_form(form_of(raw)) for raw in raw_tokens(p.text[a:b])]
        out.append([t for t in terms if t is not None])
    return out


def _passage_terms(index: Index, text: str):
    for token in tokenize(text):
        tid = index.term_of_form(token.form)
        if tid is not None:
            yield token, tid


def _best_sentence(index: Index, p, sentence_terms, term_weight, query: Query, weights: Weights) -> _Sentence:
    """The sentence with most of the question's evidence, reported speech of its person first.

    Evidence: the share of the question's weight the sentence holds; the question's word pairs
    it repeats side by side; the kind of answer the question wants (a name for "who", a date for
    "when", a number for "how many"); and attribution. A sentence attributed to the person the
    question names counts as containing the name: "“...,” he advised" answers "what did
    Nakashima advise?" as fully as a sentence naming him.
    """
    best = _Sentence(0, 0.0)
    best_evidence = -1.0
    people = set(query.people)
    total_weight = sum(term_weight.values()) or 1.0
    held = [_with_acronyms(set(sequence), query) for sequence in sentence_terms]
    local_weight = _sentence_weights(held, term_weight) if weights.local_idf else term_weight
    local_total = sum(local_weight.values()) or 1.0
    synonyms = dict(query.synonyms) if weights.synonyms else {}
    previous_share = previous_global = 0.0
    for i, sequence in enumerate(sentence_terms):
        a, b = p.sentences[i]
        sentence = p.text[a:b]
        terms = held[i] & term_weight.keys()
        who = p.attributions[i] if i < len(p.attributions) else None
        reported = bool(people) and who in people
        if reported:
            terms |= query.person_terms
        said_otherwise = {synonyms[t] for t in held[i] if t in synonyms} - terms
        synonym_share = weights.synonyms * sum(term_weight[t] for t in said_otherwise) / total_weight
        share = sum(term_weight[t] for t in terms) / total_weight + synonym_share
        local_share = sum(local_weight[t] for t in terms) / local_total
        # A sentence that goes on from the one before ("This imbalance stems from ...") answers
        # what that one raised: the question is often echoed by one sentence, answered by the next.
        continues = _CONTINUES_RE.match(sentence) is not None
        carried = weights.continuation * previous_share if continues else 0.0
        # Chosen for what it carries, it scores the passage with the coverage it carries: else a
        # passage answering in "Its existence was first proved in 1962" loses its best evidence.
        score = weights.sentence * (max(share, previous_global) if continues else share)
        previous_share, previous_global = local_share, share
        evidence = local_share + carried + synonym_share
        if query.bigrams:
            pairs = len(query.bigrams & set(zip(sequence, sequence[1:]))) / len(query.bigrams)
            score += weights.proximity * pairs
            evidence += 0.5 * pairs
        if weights.counted and query.counted and _counts(index, sequence, query):
            evidence += weights.counted
        if query.answer_type:
            if has_answer_type(sentence, query.answer_type, query.forms):
                if terms or carried:
                    score += weights.answer_type * share
                    evidence += 0.5 * max(local_share, carried)
            else:
                # "When was X destroyed?" is not answered by the sentence that only restates it.
                evidence *= 1 - weights.untyped
        if reported:
            score += weights.attribution
            evidence += 1.0
        # The answer is chosen on evidence even when the weights are off (PLAIN): which sentence
        # answers is not a ranking feature, only its contribution to the score is.
        if evidence > best_evidence:
            best_evidence = evidence
            best = _Sentence(i, score)
    return best


def _counts(index: Index, sequence: list[int], query: Query) -> bool:
    """Whether a number the question lacks stands within two words of what it counts."""
    for j, t in enumerate(sequence):
        if t in query.counted:
            for u in sequence[max(0, j - 2) : j + 3]:
                if u not in query.terms and index.is_number(u):
                    return True
    return False


def _with_acronyms(terms: set[int], query: Query) -> set[int]:
    """`terms` plus the question's acronyms whose expansion they spell out."""
    for acronym, expansion in query.spelled_out:
        if expansion <= terms:
            terms.add(acronym)
    return terms


def _sentence_weights(sentence_terms: list[set[int]], term_weight: dict[int, float]) -> dict[int, float]:
    """Each question word's weight for telling a passage's sentences apart: its IDF times its
    IDF among the passage's sentences, log((n + 1) / sentences holding it).

    In a paragraph on Tesla every sentence says "Tesla": it picked the paragraph, but it
    cannot pick the sentence; the rarer words of the question can. (A word no sentence
    holds counts as if one did, for the share's denominator.)
    """
    n = len(sentence_terms)
    holding = dict.fromkeys(term_weight, 0)
    for held in sentence_terms:
        for t in held:
            if t in holding:
                holding[t] += 1
    return {t: w * math.log((n + 1) / max(holding[t], 1)) for t, w in term_weight.items()}


_CONTINUES_RE = re.compile(r"[“\"(]?(?:This|These|That|Those|It|Its|He|She|His|Her|They|Their|Such|The result)\b")


def _result(index: Index, query: Query, rank_: int, score: float, p: StoredPassage, best: _Sentence, explain: bool) -> Result:
    wanted = set(query.terms)
    highlights = [[t.start, t.end] for t, tid in _passage_terms(index, p.text) if tid in wanted]
    a, b = p.sentences[best.index] if p.sentences else (0, len(p.text))
    contributions = _explain(index, query, p.pid, score) if explain else None
    return Result(
        rank=rank_,
        score=round(score, 6),
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


def _explain(index: Index, query: Query, pid: int, score: float) -> Explanation:
    """Each query term's part of the BM25 score (its impact here plus the model's per-term
    constant, so the parts add up to the BM25 score); the rest of the score is evidence."""
    terms: dict[str, float] = {}
    for tid in query.terms:
        name = index.term(tid)
        part = index.impact(tid, pid) + bm25_constant(index.variant, index.idf[tid])
        terms[name] = round(terms.get(name, 0.0) + part, 6)
    total = sum(terms.values())
    return Explanation(terms=terms, bm25=round(total, 6), evidence=round(score - total, 6))
