"""Question analysis: what to look for, whom it is about, and which words were corrected.

A question is analysed with the index's own analyser, then stripped of its scaffolding
("tell me about", "according to"), so only names, numbers and content words are scored.
Each word is resolved against the index vocabulary: a corpus word form gets its stored
stem (no nltk), an unseen form is stemmed, and a form still unknown is matched to the
closest corpus word by edit distance ("Hornug" -> "hornung").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sofa_cli.analysis import is_stopword, stem, tokenize
from sofa_cli.index import Index

# Words that ask rather than describe; they would only add noise to the scores.
SCAFFOLDING = frozenset(
    """
    tell according please know give show find explain describe mention mentioned anything
    something information details detail think thoughts opinion say says said talk talked
    """.split()
)

# A reporting verb in the question stands for its family. These are Snowball stems, written
# out so the query path needs no stemmer (tests/test_analysis.py checks them against nltk).
VERB_FAMILIES: tuple[frozenset[str], ...] = tuple(
    frozenset(family.split())
    for family in (
        "suggest propos recommend advis urg",
        "say said tell told state note remark comment add",
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
SAY_FAMILY = VERB_FAMILIES[1]


@dataclass(frozen=True)
class Query:
    """An analysed question. `terms` are index term ids (repeats kept, as BM25 counts them)."""

    text: str
    terms: tuple[int, ...]
    people: tuple[str, ...] = ()
    verbs: frozenset[str] = frozenset()
    corrections: tuple[tuple[str, str], ...] = ()
    unknown: tuple[str, ...] = field(default=())


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (adjacent transpositions), giving up past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def closest_form(index: Index, form: str) -> str | None:
    """The corpus word form nearest to `form`: 1 edit up to 7 letters, 2 beyond.

    Tighter limits would miss "Hornug"; looser ones turn "France" into "face".
    """
    if len(form) < 4 or not form.isalpha():
        return None
    limit = 1 if len(form) <= 7 else 2
    best: tuple[int, int, str] | None = None
    blob, offsets = index.form_blob, index.form_off
    for i in range(len(offsets) - 1):
        a, b = offsets[i], offsets[i + 1]
        if abs((b - a) - len(form)) > limit:
            continue
        candidate = bytes(blob[a:b]).decode("utf-8")
        d = edit_distance(form, candidate, limit)
        if d <= limit:
            df = index.doc_freq(index.form_term[i])
            key = (d, -df, candidate)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def person_names(index: Index, forms: set[str]) -> tuple[str, ...]:
    """People of the index (speakers, reported persons) named in the question by any name part."""
    found = []
    for name in index.names:
        parts = {p.lower().strip(".") for p in name.split()} - {"dr", "mr", "mrs", "ms", "prof"}
        if parts & forms:
            found.append(name)
    return tuple(found)


def analyse_question(index: Index, question: str) -> Query:
    terms: list[int] = []
    corrections: list[tuple[str, str]] = []
    unknown: list[str] = []
    verbs: set[str] = set()
    forms: set[str] = set()
    for token in tokenize(question):
        form = token.form
        if is_stopword(form):
            continue
        term = index.stem_of(form)
        if term is None:
            term = stem(form)
        tid = index.term_id(term)
        if tid is None:
            fixed = closest_form(index, form)
            if fixed is None:
                unknown.append(form)
                continue
            corrections.append((form, fixed))
            form = fixed
            term = index.stem_of(fixed)
            tid = index.term_id(term) if term else None
            if tid is None:
                continue
        forms.add(form)
        family = next((f for f in VERB_FAMILIES if term in f), None)
        if family is not None:
            verbs |= family
        if form in SCAFFOLDING:
            continue
        terms.append(tid)
    return Query(
        text=question,
        terms=tuple(terms),
        people=person_names(index, forms),
        verbs=frozenset(verbs),
        corrections=tuple(corrections),
        unknown=tuple(unknown),
    )
