"""Question analysis: what to look for, whom it is about, and which words were corrected.

A question is analysed with the index's own analyser, then stripped of its scaffolding
("tell me about", "according to"), so only names, numbers and content words are scored.
Each word is resolved against the index vocabulary: a corpus word form gets its stored
stem (no nltk), an unseen form is stemmed, and a form still unknown is matched to the
closest corpus word by edit distance ("Hornug" -> "hornung").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from sofa_cli.index.reader import Index
from sofa_cli.query.answer_types import answer_type
from sofa_cli.query.typos import closest_form, split_joined_words
from sofa_cli.text.analysis import is_stopword, normalise_form, stem, tokenize

# Words that ask rather than describe; they would only add noise to the scores.
SCAFFOLDING = frozenset(
    """
    tell according please know give show find explain describe mention mentioned anything
    something information details detail think thoughts opinion say says said talk talked
    """.split()
)


TITLES = frozenset({"dr", "mr", "mrs", "ms", "prof", "gen", "sen", "rep", "gov"})


# A reporting verb in the question stands for its family. These are Snowball stems, written
# out so the query path needs no stemmer (tests/test_analysis.py checks them against nltk).
VERB_FAMILIES: tuple[frozenset[str], ...] = tuple(
    frozenset(family.split())
    for family in (
        "suggest propos recommend advis advic urg",
        "say said tell told state note remark comment add describ",
        "argu assert claim contend insist maintain",
        "warn caution",
        "clarifi explain",
        "emphas emphasis highlight stress underscor",
        "critic criticis",
        "welcom prais",
        "think thought believ perceiv view",
        "acknowledg admit conced",
    )
)


# Nouns after a name that ask for that person's words: "Tanaka's view", "Nakashima advice".
OPINION_NOUNS = frozenset(
    """
    view views opinion opinions position stance thoughts thought take comments comment remarks remark
    perspective advice suggestion suggestions proposal argument arguments warning warnings words
    statement statements assessment concerns concern
    """.split()
)


@dataclass(frozen=True)
class Query:
    """An analysed question. `terms` are index term ids (repeats kept, as BM25 counts them)."""

    text: str
    terms: tuple[int, ...]
    people: tuple[str, ...] = ()
    person_terms: frozenset[int] = frozenset()
    corrections: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = field(default=())
    bigrams: frozenset[tuple[int, int]] = frozenset()
    # Acronyms the question spells out, each with the word pairs of its expansion: a passage
    # saying "SOFA" has the pairs of "Status of Forces Agreement" as much as one spelling it.
    acronym_pairs: tuple[tuple[int, frozenset[tuple[int, int]]], ...] = ()
    answer_type: str | None = None
    forms: frozenset[str] = frozenset()
    # Acronyms the question uses, each with its expansion's terms: a sentence spelling out
    # "Taskforce of United Methodists on Abortion and Sexuality" holds "TUMAS".
    spelled_out: tuple[tuple[int, frozenset[int]], ...] = ()
    # Terms of the corpus that say what a question term says (sofa_cli.text.synonyms), each with
    # the question term it stands for: "death" for "die".
    synonyms: tuple[tuple[int, int], ...] = ()
    # What "how many" counts ("how many tackles" -> tackl): its number stands beside it.
    counted: frozenset[int] = frozenset()


def person_names(index: Index, forms: set[str]) -> dict[str, set[str]]:
    """People of the index (speakers, reported persons) named in the question, with the name parts used."""
    hits: dict[int, set[str]] = {}
    by_part = _names_by_part(index)
    for form in forms:
        for n in by_part.get(form, ()):
            hits.setdefault(n, set()).add(form)
    return {index.names[n]: hits[n] for n in sorted(hits)}


@lru_cache(maxsize=8)
def _names_by_part(index: Index) -> dict[str, list[int]]:
    """Name part -> numbers of the index's people: looked up per question word, not
    rebuilt per question (a large corpus names thousands of people)."""
    by_part: dict[str, list[int]] = {}
    for n, name in enumerate(index.names):
        for part in {normalise_form(p) for p in name.split()} - TITLES:
            by_part.setdefault(part, []).append(n)
    return by_part


AUTHORSHIP_RE = re.compile(r"\b(?:who\s+wrote|written\s+by|author|authors|writer|byline|reporter)\b", re.IGNORECASE)


def author_terms(index: Index) -> list[int]:
    """Index terms of the documents' authors, for "who wrote ...?": the byline then answers."""
    found = []
    for doc in index.docs:
        for token in tokenize(doc.author or ""):
            term = index.stem_of(token.form)
            tid = index.term_id(term) if term else None
            if tid is not None and tid not in found:
                found.append(tid)
    return found


def asks_for_words(forms: list[str], name_forms: set[str], stem_of=stem) -> bool:
    """Whether the question asks what a named person said or thinks, not just about them.

    "what did Hornung suggest?", "according to Hornung, ...", "Tanaka's view of ..." do;
    "what challenges could Ishiba face?" does not, though it names him. `forms` are the
    question's word forms in order (stopwords included, typos corrected).
    """
    for i, form in enumerate(forms):
        if form not in name_forms:
            continue
        if i >= 2 and forms[i - 2 : i] == ["according", "to"]:
            return True
        after = [f for f in forms[i + 1 : i + 4] if f not in name_forms and not f.endswith("ly")]
        if after and after[0] in OPINION_NOUNS:
            return True
        content = [f for f in after if not is_stopword(f)][:1]
        if content and any(stem_of(content[0]) in family for family in VERB_FAMILIES):
            return True
    return False


def acronyms_named(index: Index, stems: list[str]) -> list[str]:
    """Acronyms whose expansion the question spells out ("Status of Forces Agreement" -> "sofa")."""
    found = []
    for acronym, expansion in index.acronyms.items():
        n = len(expansion)
        if n and any(stems[i : i + n] == expansion for i in range(len(stems) - n + 1)):
            found.append(acronym)
    return found


def _cooccur(index: Index, a: int, b: int) -> bool:
    """Whether some passage holds both terms (the shorter postings list is walked)."""
    if index.doc_freq(a) > index.doc_freq(b):
        a, b = b, a
    return any(index.impact(b, pid) for pid in index.passages_with(a))


_COUNTED_RE = re.compile(r"\bhow\s+(?:many|much)\s+((?:[\w'’-]+\s*){1,3})", re.I)


def _counted_terms(question: str, forms: dict[str, int]) -> frozenset[int]:
    """The terms of the words "how many" counts: up to three words after it, up to a stopword
    (`forms`: the question's word forms and their terms)."""
    match = _COUNTED_RE.search(question)
    found = set()
    for token in tokenize(match.group(1)) if match else ():
        if is_stopword(token.form):
            break
        if token.form in forms:
            found.add(forms[token.form])
    return frozenset(found)


def analyse_question(index: Index, question: str, typos: bool = True, scaffolding: bool = True, synonyms: bool = True) -> Query:
    terms: list[int] = []
    corrections: list[tuple[str, str]] = []
    unknown: list[str] = []
    forms: dict[str, int] = {}
    stems: list[str] = []
    sequence: list[str] = []
    corrected: dict[int, tuple[tuple[str, str], int]] = {}
    if typos:
        question, corrections = split_joined_words(index, question)
    for token in tokenize(question):
        form = token.form
        sequence.append(form)
        if is_stopword(form):
            continue
        term = index.stem_of(form) or stem(form)
        tid = index.term_id(term)
        family = next((f for f in VERB_FAMILIES if term in f), None)
        if tid is None and family is not None:
            # An unseen word of a reporting family ("advice") stands for the family's corpus words.
            found = [t for t in (index.term_id(m) for m in sorted(family)) if t is not None]
            terms.extend(t for t in found if t not in terms)
            if found:
                continue
        if tid is None and synonyms:
            # A word the corpus lacks stands for its synonym that the corpus has most ("died" for
            # "death"): the list is surer than a one-letter correction.
            stand_ins = [
                (index.doc_freq(t), t, w) for s, w in index.synonyms_of(term).items() if (t := index.term_id(s)) is not None
            ]
            if stand_ins:
                _, tid, word = max(stand_ins)
                corrections.append((form, word))
                term = index.term(tid)
        if tid is None and typos:
            fixed = closest_form(index, form, name_like=question[token.start].isupper())
            if fixed is not None:
                corrections.append((form, fixed))
                form, term = fixed, index.stem_of(fixed) or fixed
                sequence[-1] = form
                tid = index.term_id(term)
                if tid is not None:
                    corrected[tid] = (corrections[-1], len(sequence) - 1)
        if tid is None:
            unknown.append(form)
            continue
        forms[form] = tid
        stems.append(term)
        if scaffolding and form in SCAFFOLDING:
            continue
        terms.append(tid)
    for tid, (correction, position) in corrected.items():
        others = set(terms) - {tid}
        wrong, right = correction
        if sorted(wrong) == sorted(right):
            continue  # letters swapped: a misspelling for sure (see _anagram_form)
        if others and not any(_cooccur(index, tid, other) for other in others):
            # A correction no passage bears out is likelier a real word the corpus lacks
            # ("genre" is not "gene" in a question about music): leave it unknown.
            terms = [t for t in terms if t != tid]
            corrections.remove(correction)
            unknown.append(correction[0])
            sequence[position] = correction[0]
            forms = {f: t for f, t in forms.items() if t != tid}
    people = person_names(index, set(forms))
    name_forms = {f for used in people.values() for f in used}
    if people and not asks_for_words(sequence, name_forms, lambda f: index.stem_of(f) or stem(f)):
        people = {}
    person_terms = {forms[f] for used in people.values() for f in used}
    bigrams = frozenset((a, b) for a, b in zip(terms, terms[1:]) if a != b)
    if AUTHORSHIP_RE.search(question):
        for tid in author_terms(index):
            if tid not in terms:
                terms.append(tid)
    acronym_pairs = []
    for acronym in acronyms_named(index, stems):
        tid = index.term_id(acronym)
        if tid is not None and tid not in terms:
            terms.append(tid)
            expansion = [index.term_id(s) for s in index.acronyms[acronym]]
            acronym_pairs.append((tid, frozenset(zip(expansion, expansion[1:])) & bigrams))
    spelled_out = []
    for tid in dict.fromkeys(terms):
        expansion = [index.term_id(s) for s in index.acronyms.get(index.term(tid), ())]
        if expansion and None not in expansion:
            spelled_out.append((tid, frozenset(expansion)))
    counted = _counted_terms(question, forms)
    said_otherwise: dict[int, int] = {}
    for tid in dict.fromkeys(terms) if synonyms else ():
        for other in sorted(index.synonyms_of(index.term(tid))):
            oid = index.term_id(other)
            if oid is not None and oid not in terms:
                said_otherwise.setdefault(oid, tid)
    return Query(
        text=question,
        terms=tuple(terms),
        people=tuple(people),
        person_terms=frozenset(person_terms),
        corrections=tuple(corrections),
        unknown=tuple(unknown),
        bigrams=bigrams,
        acronym_pairs=tuple(acronym_pairs),
        spelled_out=tuple(spelled_out),
        synonyms=tuple(said_otherwise.items()),
        counted=counted,
        answer_type=answer_type(question),
        forms=frozenset(sequence),
    )
