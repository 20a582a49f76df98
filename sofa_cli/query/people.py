"""The people a question is about: names of the index's people, whether it asks for their
words ("what did Hornung suggest?") or only names them, and who wrote the corpus ("who wrote ...?").
"""

from __future__ import annotations

import re
from functools import lru_cache

from sofa_cli.index.reader import Index
from sofa_cli.text.analysis import is_stopword, normalise_form, stem, tokenize

# Titles before a name ("Dr. Tanaka"): not a part of it, and not what a question is about.
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


def authorship_asked(question: str) -> bool:
    """Whether the question asks who wrote the corpus's documents."""
    return AUTHORSHIP_RE.search(question) is not None


@lru_cache(maxsize=8)
def author_terms(index: Index) -> tuple[int, ...]:
    """Index terms of the documents' authors, for "who wrote ...?": the byline then answers."""
    found: dict[int, None] = {}  # ordered, and a member test that stays constant-time
    for author in index.authors:
        for token in tokenize(author):
            term = index.stem_of(token.form)
            tid = index.term_id(term) if term else None
            if tid is not None:
                found.setdefault(tid)
    return tuple(found)


ACCORDING_TO = ["according", "to"]
# Words after a name in which its verb or opinion noun stands: "Hornung [has] suggested",
# "Tanaka's [overall] view"; further on, the verb is likelier another clause's.
WORDS_AFTER_NAME = 3


def asks_for_words(forms: list[str], name_forms: set[str], stem_of=stem) -> bool:
    """Whether the question asks what a named person said or thinks, not just about them.

    "what did Hornung suggest?", "according to Hornung, ...", "Tanaka's view of ..." do;
    "what challenges could Ishiba face?" does not, though it names him. `forms` are the
    question's word forms in order (stopwords included, typos corrected).
    """
    for i, form in enumerate(forms):
        if form not in name_forms:
            continue
        if forms[max(0, i - len(ACCORDING_TO)) : i] == ACCORDING_TO:
            return True
        after = [f for f in forms[i + 1 : i + 1 + WORDS_AFTER_NAME] if f not in name_forms and not f.endswith("ly")]
        if after and after[0] in OPINION_NOUNS:
            return True
        content = [f for f in after if not is_stopword(f)][:1]
        if content and any(stem_of(content[0]) in family for family in VERB_FAMILIES):
            return True
    return False
