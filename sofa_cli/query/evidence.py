"""Passage-level evidence beside BM25: title, document, phrase and coverage shares of the question."""

from __future__ import annotations

from collections.abc import Iterable

from sofa_cli.index.reader import Index
from sofa_cli.index.schema import DocInfo, StoredPassage
from sofa_cli.query.config import Weights
from sofa_cli.query.question import UNKNOWN, Query
from sofa_cli.query.sentences import _passage_terms
from sofa_cli.text.english import is_common_word


def _title_terms(index: Index, pid: int, doc: DocInfo, cache: dict[str, set[int]]) -> set[int]:
    """The content terms of the title of `doc`, which holds passage `pid`: stored at build time,
    else tokenised."""
    terms = cache.get(doc.id)
    if terms is None:
        stored = index.title_terms(pid)
        terms = cache[doc.id] = set(stored) if stored is not None else tokenised_title_terms(index, doc.title)
    return terms


def tokenised_title_terms(index: Index, title: str) -> set[int]:
    """The content terms of a title, found by tokenising it (what the index stores must equal)."""
    return {tid for _, tid in _passage_terms(index, title)}


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


def question_weights(index: Index, query: Query) -> list[tuple[int, float]]:
    """Each distinct term of the question with its IDF, in the order `title_share` sums them:
    looked up once a question, not once a candidate."""
    idf = index.idf
    return [(t, idf[t]) for t in set(query.terms)]


def title_share(weights: list[tuple[int, float]], title: set[int]) -> float:
    """The share of the question's weight (`question_weights`) that its document's title holds.

    The title names what a document is about, as the question names what it asks about
    ("How many species of ctenophore are there?" of the article "Ctenophora"): the title
    picks the document, `_title_excess` keeps it from picking the paragraph.
    """
    total = sum(w for _, w in weights)
    return sum(w for t, w in weights if t in title) / total if total else 0.0


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


def _document_shares(index: Index, query: Query, docs: Iterable[DocInfo]) -> dict[str, float]:
    """Each document's share of the question's weight found anywhere in it.

    Questions lean on their document's context ("what goal do these protests have?" is asked
    of an article on civil disobedience): a passage of a document that holds all the question's
    words elsewhere is likelier the answer than a lone passage sharing one of them. The
    candidates' documents are looked up together, a term at a time (`occurs_in_ranges`).
    """
    unique = list({doc.id: doc for doc in docs}.values())
    terms = set(query.terms)
    total = sum(index.idf[t] for t in terms) or 1.0
    ranges = [(doc.first_passage, doc.first_passage + doc.passage_count) for doc in unique]
    occurs = {t: index.occurs_in_ranges(t, ranges) for t in terms}
    return {doc.id: sum(index.idf[t] for t in terms if occurs[t][j]) / total for j, doc in enumerate(unique)}


def coverage(index: Index, query: Query, weights: Weights) -> float:
    """Share of the question's weight held by words the corpus has.

    An unknown word counts at the question's highest IDF (at least `unknown_weight_floor`):
    a name or a rare word the corpus lacks may be the point of the question. An everyday word
    (common English, typed in lower case: "yesterday") counts `common_unknown` of that: the
    corpus not having it says little, and it must not refuse a question whose other words
    match well ("Kadena flags photographed yesterday").
    """
    top_idf = max((index.idf[t] for t in query.terms), default=0.0)
    unknown_idf = max(top_idf, weights.unknown_weight_floor)
    matched = sum(index.idf[t] for t in set(query.terms))
    unknown = [w for w in query.words if w.how == UNKNOWN] if query.words else []
    everyday = sum(1 for w in unknown if not w.capitalised and is_common_word(w.typed))
    others = len(query.unknown) - everyday
    total = matched + unknown_idf * (others + weights.common_unknown * everyday)
    return matched / total if total else 0.0
