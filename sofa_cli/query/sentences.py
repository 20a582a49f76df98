"""Choosing a passage's answering sentence, and the sentence-level evidence it adds to the score."""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from sofa_cli.index.reader import Index
from sofa_cli.index.schema import StoredPassage
from sofa_cli.query.answer_types import has_answer_type
from sofa_cli.query.config import Ranking
from sofa_cli.query.question import Query
from sofa_cli.text.analysis import form_of, raw_tokens, token_pattern, tokenize


class _Sentence(NamedTuple):
    """The chosen answer sentence: its number in the passage, the points it adds to the passage's
    score, and those points itemised by signal (for --explain)."""

    index: int
    score: float
    parts: tuple[tuple[str, float], ...] = ()


def _sentence_terms(index: Index, p: StoredPassage) -> list[list[int]]:
    """For each sentence of `p`, its content terms in order: as the index stored them at
    build time (a question reads a hundred candidates; tokenising them was a quarter of its
    time), else tokenised (`tokenised_sentence_terms`)."""
    stored = index.sentence_terms(p.pid)
    return stored if stored is not None else tokenised_sentence_terms(index, p)


def tokenised_sentence_terms(index: Index, p: StoredPassage) -> list[list[int]]:
    """For each sentence of `p`, its content terms in order, found by tokenising its text.

    Tokenised sentence by sentence (a token never crosses a sentence span), without spans.
    What the index stores must equal this (tests/test_stored_terms.py).
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


def highlight_spans(index: Index, text: str, wanted: set[int]) -> list[list[int]]:
    """[start, end] of each word of `text` whose term is `wanted`: `_passage_terms`' tokens,
    found without building them."""
    term_of_form = index.term_of_form
    spans = []
    for match in token_pattern(text).finditer(text):
        form = form_of(match.group())
        if form and term_of_form(form) in wanted:
            spans.append([match.start(), match.end()])
    return spans


def _best_sentence(index: Index, p, sentence_terms, term_weight, query: Query, ranking: Ranking) -> _Sentence:
    """The sentence with most of the question's evidence, reported speech of its person first.

    Evidence: the share of the question's weight the sentence holds; the question's word pairs
    it repeats side by side; the kind of answer the question wants (a name for "who", a date for
    "when", a number for "how many"); and attribution. A sentence attributed to the person the
    question names counts as containing the name: "“...,” he advised" answers "what did
    Nakashima advise?" as fully as a sentence naming him.
    """
    weights = ranking.weights
    best = _Sentence(0, 0.0)
    best_evidence = (False, -1.0)
    people = set(query.people)
    total_weight = sum(term_weight.values()) or 1.0
    held = [_with_acronyms(set(sequence), query) for sequence in sentence_terms]
    local_weight = _sentence_weights(held, term_weight) if ranking.switches.local_idf else term_weight
    local_total = sum(local_weight.values()) or 1.0
    synonyms = dict(query.synonyms) if weights.synonyms else {}
    previous_share = previous_global = 0.0
    for i, sequence in enumerate(sentence_terms):
        a, b = p.sentences[i]
        sentence = p.text[a:b]
        terms = held[i] & term_weight.keys()
        who = p.attributions[i] if i < len(p.attributions) else None
        small_talk = is_small_talk(sequence, held[i], query, ranking)
        reported = bool(people) and who in people and not small_talk
        courtesy = small_talk and _COURTESY_RE.match(sentence) is not None
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
        parts = [("sentence", score)]
        previous_share, previous_global = local_share, share
        evidence = local_share + carried + synonym_share
        if query.bigrams:
            pairs = len(query.bigrams & set(zip(sequence, sequence[1:]))) / len(query.bigrams)
            score += weights.proximity * pairs
            parts.append(("proximity", weights.proximity * pairs))
            evidence += weights.pair_evidence * pairs
        if weights.counted and query.counted and _counts(index, sequence, query, ranking.limits.count_window):
            evidence += weights.counted
        if query.answer_type:
            if has_answer_type(sentence, query.answer_type, query.forms):
                if terms or carried:
                    score += weights.answer_type * share
                    parts.append(("answer type", weights.answer_type * share))
                    evidence += weights.typed_evidence * max(local_share, carried)
            else:
                # "When was X destroyed?" is not answered by the sentence that only restates it.
                evidence *= 1 - weights.untyped
        if reported:
            score += weights.attribution
            parts.append(("attribution", weights.attribution))
            evidence += weights.reported_evidence
        # The answer is chosen on evidence even when the weights are off (PLAIN): which sentence
        # answers is not a ranking feature, only its contribution to the score is. Courtesy is
        # never the answer while the passage says anything else ("Thank you for having me."
        # when only the speaker's name matched: every sentence then has the same evidence);
        # other short sentences can be ("My grandmother's bakery." answers "what brought you back?").
        if (not courtesy, evidence) > best_evidence:
            best_evidence = (not courtesy, evidence)
            best = _Sentence(i, score, tuple(parts))
    return best


# How courtesy opens ("Thank you for having me.", "My pleasure."): small talk that starts so
# is never a passage's answer while it has another sentence (`_best_sentence`).
_COURTESY_RE = re.compile(
    r"\W*(?:thanks?|my pleasure|(?:it'?s )?a pleasure|you'?re welcome|welcome|good (?:morning|afternoon|evening)|hello)\b",
    re.IGNORECASE,
)


def is_small_talk(sequence: list[int], held: set[int], query: Query, ranking: Ranking) -> bool:
    """Whether a sentence is courtesy, not content: a few words, none of the question's but the
    names of the people asked about ("Thank you for having me."). Attributed to the person asked
    about, it still reports nothing; "Hornung notes in markdown." answers "Hornung notes"."""
    if not ranking.switches.topic_first:
        return False
    return len(sequence) <= ranking.limits.small_talk_words and not held & query.content_terms


def _counts(index: Index, sequence: list[int], query: Query, window: int) -> bool:
    """Whether a number the question lacks stands within `window` words of what it counts."""
    for j, t in enumerate(sequence):
        if t in query.counted:
            for u in sequence[max(0, j - window) : j + window + 1]:
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
