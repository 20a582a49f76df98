"""Question analysis: what to look for, whom it is about, and which words were corrected.

A question is analysed with the index's own analyser, then stripped of its scaffolding
("tell me about", "according to"), so only names, numbers and content words are scored.
Each word is resolved against the index vocabulary, in this order: a corpus word form gets its
stored stem (no nltk), an unseen form is stemmed; a word still unknown may stand for its
reporting-verb family ("advice" for "advised"), for a synonym the corpus has ("death" for "die"),
or be a typo of the closest corpus word ("Hornug" -> "hornung"). Each step is one function below,
and `analyse_question` reads as the list of them. Every word ends as a `Word` that says what
became of it, so none is dropped without a trace (`Query.words`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from sofa_cli.index.reader import Index
from sofa_cli.query.answer_types import answer_type
from sofa_cli.query.config import Limits, Ranking
from sofa_cli.query.people import (
    TITLES,
    VERB_FAMILIES,
    _names_by_part,
    asks_for_words,
    author_terms,
    authorship_asked,
    person_names,
)
from sofa_cli.query.typos import closest_form, split_joined_words
from sofa_cli.text.analysis import is_stopword, stem, tokenize
from sofa_cli.text.derivation import related_forms
from sofa_cli.text.english import is_common_word

# Words that ask rather than describe; they would only add noise to the scores.
SCAFFOLDING = frozenset(
    """
    tell according please know give show find explain describe mention mentioned anything
    something information details detail think thoughts opinion say says said talk talked
    """.split()
)


# What became of a question word (`Word.how`).
STOPWORD = "stopword"  # too common to search for
MATCHED = "matched"  # a corpus word, as typed or by its stem
FAMILY = "family"  # an unseen word of a reporting-verb family, standing for the family's corpus words
SYNONYM = "synonym"  # an unseen word, standing for its synonym the corpus has most
DERIVED = "derived"  # an unseen word, standing for a word of its family the corpus has ("analyst" -> "analysis")
CORRECTED = "corrected"  # a typo, corrected to the closest corpus word
ASKING = "asking"  # a word that asks, not describes ("many" in "how many"), which the corpus lacks
UNKNOWN = "unknown"  # none of these: the corpus lacks it


class Word(NamedTuple):
    """One word of the question and what became of it (`how`, one of the names above).

    Named tuples, this and `Query`: a one-shot answer does not generate dataclass methods for them."""

    typed: str
    how: str
    form: str  # the form used: the correction when corrected, else as typed
    term: str | None = None
    tid: int | None = None
    # For a FAMILY word, the corpus terms of its family; for SYNONYM and CORRECTED, (typed, shown).
    family: tuple[int, ...] = ()
    correction: tuple[str, str] | None = None
    capitalised: bool = False  # typed with a capital: likely a name


class Query(NamedTuple):
    """An analysed question. `terms` are index term ids (repeats kept, as BM25 counts them)."""

    text: str
    terms: tuple[int, ...]
    people: tuple[str, ...] = ()
    person_terms: frozenset[int] = frozenset()
    corrections: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = ()
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
    # Each word of the question and what became of it, in order (for --explain and "unknown").
    words: tuple[Word, ...] = ()
    # Terms the question did not type but searches for: the documents' authors ("who wrote ...?")
    # and acronyms whose expansion it spells out.
    author_terms: tuple[int, ...] = ()
    acronym_terms: tuple[int, ...] = ()
    # The unknown word the question asks about ("Okafor" in "what did Okafor propose?"): then
    # there is no answer, rather than someone else's words matching "proposed".
    unknown_subject: str | None = None
    # The terms that say what the question is about: not the names of the people it asks to
    # hear from, their titles ("Dr."), or reporting verbs ("say", "propose"). A passage that
    # holds none of them (a turn matched by its speaker only) is no answer about the topic.
    topic_terms: frozenset[int] = frozenset()
    # The terms other than the names of the people asked about and their titles (reporting
    # verbs included): a short sentence holding none of them is small talk (sentences.is_small_talk).
    content_terms: frozenset[int] = frozenset()


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


# Words after "how many" that may name what it counts ("how many [field] goals"): a noun phrase.
COUNTED_WORDS = 3
_COUNTED_RE = re.compile(rf"\bhow\s+(?:many|much)\s+((?:[\w'’-]+\s*){{1,{COUNTED_WORDS}}})", re.I)


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


def analyse_question(index: Index, question: str, ranking: Ranking = Ranking()) -> Query:
    """What to search for in `question`: one step per function, in the order they apply."""
    typos, scaffolding = ranking.switches.typos, ranking.switches.scaffolding
    question, splits = split_joined_words(index, question) if typos else (question, [])
    subject_needed = ranking.switches.known_subject
    words = _resolve_words(index, question, ranking)
    words = _drop_uncorroborated(index, words, scaffolding)
    stem_of = _stem_of(index)
    terms = _search_terms(words, scaffolding)
    forms = _term_of_form(words)
    people, person_terms = _people(index, words, forms, stem_of)
    bigrams = frozenset((a, b) for a, b in zip(terms, terms[1:]) if a != b)
    authors = _authorship(index, question, terms)
    acronyms, acronym_pairs = _acronyms(index, words, terms + authors, bigrams)
    terms = terms + authors + acronyms
    return Query(
        text=question,
        terms=tuple(terms),
        people=people,
        person_terms=person_terms,
        corrections=tuple(splits) + tuple(w.correction for w in words if w.correction),
        unknown=tuple(w.typed for w in words if w.how == UNKNOWN),
        bigrams=bigrams,
        acronym_pairs=acronym_pairs,
        spelled_out=_spelled_out(index, terms),
        synonyms=_said_otherwise(index, terms) if ranking.weights.synonyms > 0 else (),
        counted=_counted_terms(question, forms),
        answer_type=answer_type(question),
        forms=frozenset(w.form for w in words),
        words=tuple(words),
        author_terms=tuple(authors),
        acronym_terms=tuple(acronyms),
        unknown_subject=_unknown_subject(words, stem_of) if subject_needed else None,
        topic_terms=_topic_terms(terms, person_terms, words),
        content_terms=frozenset(terms) - person_terms - {w.tid for w in words if w.form in TITLES},
    )


def _stem_of(index: Index):
    """A word form's term: the corpus's stem for a corpus form, else Snowball's."""
    return lambda form: index.stem_of(form) or stem(form)


def _resolve_words(index: Index, question: str, ranking: Ranking) -> list[Word]:
    """Every word of the question, each resolved against the corpus (`_resolve`)."""
    words: list[Word] = []
    for token in tokenize(question):
        if is_stopword(token.form):
            words.append(Word(token.form, STOPWORD, token.form))
        else:
            after_how = bool(words) and words[-1].typed == "how"
            capitalised = question[token.start].isupper()
            words.append(_resolve(index, token.form, capitalised, after_how, ranking)._replace(capitalised=capitalised))
    return words


def _resolve(index: Index, form: str, name_like: bool, after_how: bool, ranking: Ranking) -> Word:
    """A content word: the corpus term of its form or stem; else, in turn, a word that asks
    ("how many"), its reporting-verb family, its synonym, its typo correction; else unknown."""
    term = index.stem_of(form) or stem(form)
    tid = index.term_id(term)
    if tid is not None:
        return Word(form, MATCHED, form, term, tid)
    if after_how:
        # "how many", "how much", "how often": the word asks for a number, it says nothing that a
        # passage should hold, so neither a synonym ("numerous") nor a typo fix stands in for it.
        return Word(form, ASKING, form, term)
    return (
        _family_stand_in(index, form, term)
        or (_synonym_stand_in(index, form, term) if ranking.weights.synonyms > 0 else None)
        or (_derived_stand_in(index, form) if ranking.switches.derivations else None)
        or (
            _typo_correction(index, form, name_like, ranking.limits, ranking.switches.common_words)
            if ranking.switches.typos
            else None
        )
        or Word(form, UNKNOWN, form, term)
    )


def _family_stand_in(index: Index, form: str, term: str) -> Word | None:
    """An unseen word of a reporting family ("advice") stands for the family's corpus words."""
    family = next((f for f in VERB_FAMILIES if term in f), None)
    found = [t for t in (index.term_id(m) for m in sorted(family or ())) if t is not None]
    return Word(form, FAMILY, form, term, family=tuple(found)) if found else None


def _synonym_stand_in(index: Index, form: str, term: str) -> Word | None:
    """A word the corpus lacks stands for its synonym that the corpus has most ("died" for
    "death"): the list is surer than a one-letter correction. Announced as a correction."""
    stand_ins = [(index.doc_freq(t), t, w) for s, w in index.synonyms_of(term).items() if (t := index.term_id(s)) is not None]
    if not stand_ins:
        return None
    _, tid, word = max(stand_ins)
    return Word(form, SYNONYM, form, index.term(tid), tid, correction=(form, word))


def _relatives(index: Index, form: str) -> list[tuple[int, str]]:
    """The corpus terms of `form`'s word family (sofa_cli.text.derivation, agent nouns
    included), each with the first corpus form found for it."""
    found: dict[int, str] = {}
    for candidate in related_forms(form, agent=True):
        term = index.stem_of(candidate)
        other = index.term_id(term) if term else None
        if other is not None:
            found.setdefault(other, candidate)
    return list(found.items())


def _derived_stand_in(index: Index, form: str) -> Word | None:
    """A word the corpus lacks stands for the word of its family that the corpus has most
    ("analyst" -> "analysis", "Okinawan" -> "Okinawa"): surer than a typo fix, which would take
    a word one letter away. Announced as a correction."""
    relatives = [(index.doc_freq(t), t, shown) for t, shown in _relatives(index, form)]
    if not relatives:
        return None
    _, tid, shown = max(relatives)
    return Word(form, DERIVED, form, index.term(tid), tid, correction=(form, shown))


def _typo_correction(index: Index, form: str, name_like: bool, limits: Limits, common_words: bool) -> Word | None:
    """A misspelled word, corrected to the closest corpus word form (sofa_cli.query.typos).
    A common English word is not a misspelling but a word the corpus lacks: "nothing" is left
    alone, though "noting" is one edit away (sofa_cli.text.english)."""
    if common_words and is_common_word(form):
        return None
    fixed = closest_form(index, form, name_like=name_like, limits=limits)
    if fixed is None:
        return None
    term = index.stem_of(fixed) or fixed
    tid = index.term_id(term)
    if tid is None:
        return None
    return Word(form, CORRECTED, fixed, term, tid, correction=(form, fixed))


def _drop_uncorroborated(index: Index, words: list[Word], scaffolding: bool) -> list[Word]:
    """The words with each correction that no passage bears out left unknown.

    A correction that shares no passage with any other word of the question is likelier a real
    word the corpus lacks ("genre" is not "gene" in a question about music). Letters swapped
    ("Ghandi") are a misspelling for sure, a correction to a person's name ("Tanka" -> "Tanaka")
    is borne out by that person, and a question of one word has nothing to bear it out.
    """
    corrected = {w.tid: w for w in words if w.how == CORRECTED}
    names = _names_by_part(index)
    for tid, word in corrected.items():
        if sorted(word.typed) == sorted(word.form) or word.form in names:
            continue
        others = set(_search_terms(words, scaffolding)) - {tid}
        if others and not any(_cooccur(index, tid, other) for other in others):
            words = [
                Word(w.typed, UNKNOWN, w.typed, w.term, capitalised=w.capitalised) if w.how == CORRECTED and w.tid == tid else w
                for w in words
            ]
    return words


def _search_terms(words: list[Word], scaffolding: bool) -> list[int]:
    """The terms to search for, in question order: each resolved word's term (repeats kept, as
    BM25 counts them), a family's terms once, scaffolding ("tell", "according") left out."""
    terms: list[int] = []
    for w in words:
        if w.how == FAMILY:
            terms.extend(t for t in w.family if t not in terms)
        elif w.tid is not None and not (scaffolding and w.form in SCAFFOLDING):
            terms.append(w.tid)
    return terms


def _term_of_form(words: list[Word]) -> dict[str, int]:
    """Each resolved word form (as used: corrected) with its term, scaffolding included."""
    return {w.form: w.tid for w in words if w.tid is not None}


def _people(index: Index, words: list[Word], forms: dict[str, int], stem_of) -> tuple[tuple[str, ...], frozenset[int]]:
    """The people the question asks to hear from, and the terms of their names used: none when
    it only names them ("what challenges could Ishiba face?", see `asks_for_words`)."""
    people = person_names(index, set(forms))
    name_forms = {f for used in people.values() for f in used}
    sequence = [w.form for w in words]
    if people and not asks_for_words(sequence, name_forms, stem_of):
        return (), frozenset()
    return tuple(people), frozenset(forms[f] for used in people.values() for f in used)


def _topic_terms(terms: list[int], person_terms: frozenset[int], words: list[Word]) -> frozenset[int]:
    """The question's terms less the names of the people it asks to hear from, their titles
    ("Dr.") and the reporting verbs that ask for their words ("say", "suggest", "advice"): what
    a passage must hold to be about the question (`Query.topic_terms`)."""
    asking = set(person_terms)
    for w in words:
        if w.how == FAMILY:
            asking.update(w.family)
        elif w.tid is not None and (w.form in TITLES or any(w.term in family for family in VERB_FAMILIES)):
            asking.add(w.tid)
    return frozenset(terms) - asking


def _unknown_subject(words: list[Word], stem_of) -> str | None:
    """The unknown name whose words the question asks for ("what did Okafor propose?",
    "according to Okafor", "Okafor's view"), if any: a person the corpus does not know. Only a
    capitalised word: "what U.S. entity said ..." asks about an entity, not for its words."""
    sequence = [w.form for w in words]
    for w in words:
        if w.how == UNKNOWN and w.capitalised and asks_for_words(sequence, {w.typed}, stem_of):
            return w.typed
    return None


def _authorship(index: Index, question: str, terms: list[int]) -> list[int]:
    """For "who wrote ...?", the documents' authors' terms: the byline then answers."""
    if not authorship_asked(question):
        return []
    return [t for t in author_terms(index) if t not in terms]


def _acronyms(
    index: Index, words: list[Word], terms: list[int], bigrams: frozenset[tuple[int, int]]
) -> tuple[list[int], tuple[tuple[int, frozenset[tuple[int, int]]], ...]]:
    """Acronyms whose expansion the question spells out, to search for too, each with the
    expansion's word pairs that the question repeats."""
    stems = [w.term for w in words if w.tid is not None and w.how != FAMILY]
    added: list[int] = []
    pairs = []
    for acronym in acronyms_named(index, stems):
        tid = index.term_id(acronym)
        if tid is not None and tid not in terms and tid not in added:
            added.append(tid)
            expansion = [index.term_id(s) for s in index.acronyms[acronym]]
            pairs.append((tid, frozenset(zip(expansion, expansion[1:])) & bigrams))
    return added, tuple(pairs)


def _spelled_out(index: Index, terms: list[int]) -> tuple[tuple[int, frozenset[int]], ...]:
    """The question's acronyms, each with its expansion's terms (all in the corpus)."""
    found = []
    for tid in dict.fromkeys(terms):
        expansion = [index.term_id(s) for s in index.acronyms.get(index.term(tid), ())]
        if expansion and None not in expansion:
            found.append((tid, frozenset(expansion)))
    return tuple(found)


def _said_otherwise(index: Index, terms: list[int]) -> tuple[tuple[int, int], ...]:
    """Corpus terms that say what a question term says (sofa_cli.text.synonyms), each with the
    question term it stands for; the first question term claims a synonym shared by two.

    (A known word's derivational family is not added here: "America" for "American" cost an
    answer sentence on each of XQuAD, TIME and mixed, bench/quality; only an unknown word
    stands for its family, `_derived_stand_in`.)"""
    found: dict[int, int] = {}
    for tid in dict.fromkeys(terms):
        for other in sorted(index.synonyms_of(index.term(tid))):
            oid = index.term_id(other)
            if oid is not None and oid not in terms:
                found.setdefault(oid, tid)
    return tuple(found.items())
