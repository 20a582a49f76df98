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

from sofa_cli.analysis import is_stopword, normalise_form, stem, tokenize
from sofa_cli.index import Index

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
    # Terms of the corpus that say what a question term says (sofa_cli.synonyms), each with
    # the question term it stands for: "death" for "die".
    synonyms: tuple[tuple[int, int], ...] = ()
    # What "how many" counts ("how many tackles" -> tackl): its number stands beside it.
    counted: frozenset[int] = frozenset()


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


def closest_form(index: Index, form: str, name_like: bool = False) -> str | None:
    """The corpus word form nearest to `form`, or None when nothing is close enough.

    The first letter must agree (typos rarely hit it, and "losing" is not "closing"); one edit
    is allowed from 5 letters, two only for a long capitalised word (a name: "Nakashma"),
    and up to three from 6 letters for a word with the same letters ("Ghandi": `_anagram_form`).
    Looser rules turn real words into others: "France" into "face", "percentage" into
    "parentage" (bench/quality counted such corrections on XQuAD).
    """
    if len(form) < 5 or not form.isalpha():
        return None
    limit = 2 if name_like and len(form) >= 8 else 1
    best: tuple[int, int, str] | None = None
    blob, offsets = index.form_blob, index.form_off
    for i in index.form_candidates(form, limit):
        a, b = offsets[i], offsets[i + 1]
        candidate = bytes(blob[a:b]).decode("utf-8")
        if candidate[:1] != form[0]:
            continue
        d = edit_distance(form, candidate, limit)
        if d <= limit:
            df = index.doc_freq(index.form_term[i])
            key = (d, -df, candidate)
            if best is None or key < best:
                best = key
    if best is None and len(form) >= 6:
        return _anagram_form(index, form)
    return best[2] if best else None


def _anagram_form(index: Index, form: str) -> str | None:
    """A corpus form with the same letters as `form`, within three edits: letters swapped
    ("Ghandi" for "Gandhi") are a misspelling, where a word two edits away with other
    letters ("grand") is another word."""
    letters = sorted(form)
    best: tuple[int, int, str] | None = None
    blob, offsets = index.form_blob, index.form_off
    for i in index.form_candidates(form, 0):
        candidate = bytes(blob[offsets[i] : offsets[i + 1]]).decode("utf-8")
        if candidate[:1] != form[0] or candidate == form or sorted(candidate) != letters:
            continue
        d = edit_distance(form, candidate, 3)
        if d <= 3:
            key = (d, -index.doc_freq(index.form_term[i]), candidate)
            best = key if best is None or key < best else best
    return best[2] if best else None


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


_ANSWER_TYPES = (
    ("time", re.compile(r"when\b|(?:what|which) (?:year|date|day|month|century|decade|time)\b", re.I)),
    (
        "number",
        re.compile(
            r"how (?:many|much|old|long|far|large|big|tall|high|often|fast)\b"
            r"|what (?:percentage|percent|number|amount|proportion|size)\b",
            re.I,
        ),
    ),
    (
        "name",
        re.compile(
            r"(?:who|whom|whose)\b|(?:what|which) (?:\w+ )?(?:person|people|player|players|team|teams|company|"
            r"companies|country|countries|nation|nations|city|cities|state|states|king|queen|emperor|president|leader|"
            r"author|writer|actor|actress|scientist|man|woman|organization|organisation|group|university|church|"
            r"party|army|tribe|dynasty|empire|museum|newspaper|network|club|band|ship)\b",
            re.I,
        ),
    ),
    ("place", re.compile(r"where\b", re.I)),
    ("reason", re.compile(r"why\b", re.I)),
)
_WH_RE = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how)\b", re.I)
# Words after which a wh-word asks ("in what year", "by whom") rather than relates ("the year when").
_ASKING_AFTER = frozenset("in on at by for from to of with during since until after before about and but".split())
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_TIME_RE = re.compile(
    rf"\b(?:1\d{{3}}|20\d{{2}}|\d{{3,4}}s|{_MONTHS}|{_DAYS}|century|centuries|decade)\b"
    r"|\b\d[\d,.]*\s+(?:BC|BCE|AD|CE|BP)\b|\b\d[\d,.]*(?:\s+(?:thousand|million|billion))?\s+years\s+ago\b"
    r"|\b\d{1,2}:\d{2}\b"
)
_NUMBER_RE = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozen|half|twice|percent)\b",
    re.I,
)
_NAME_RE = re.compile(r"(?<=[\s(“\"])[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*")
# A reason: a causal connective ("because", "due to", "in order to").
_REASON_RE = re.compile(
    r"\b(?:because|due|since|so|therefore|thus|hence|cause[sd]?|reasons?|result(?:ed|s)?|order|led|lead|leads|"
    r"owing|thanks|consequently|why|motivated|aim(?:ed)?|purpose)\b",
    re.I,
)
# A place: a capitalised name right after a preposition of place ("in Geelong", "from the Rhine").
_PLACE_RE = re.compile(r"\b(?:in|at|from|near|to|into|across|throughout)\s+(?:the\s+)?([A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*)")


def answer_type(question: str) -> str | None:
    """The kind of answer a question asks for: "time", "number", "name", "place", or None.

    Read at the wh-words that ask: one that opens the question or a clause ("..., who"),
    follows a preposition ("in what year", "the estimate of how many") or ends the question;
    the first of them with a kind decides. A "when" inside the question ("what sea bordered
    the empire when he died?") only relates a clause, and "Doctor Who" is a name.
    """
    for match in _WH_RE.finditer(question):
        if not _asks(question, match):
            continue
        for kind, pattern in _ANSWER_TYPES:
            if pattern.match(question, match.start()):
                return kind
    return None


def _asks(question: str, match: re.Match) -> bool:
    before = question[: match.start()].rstrip()
    if not before or before.endswith((",", ";", ":")):
        return True
    if not question[match.end() :].strip(" ?.!\"'”"):
        return True
    return before.split()[-1].lower() in _ASKING_AFTER


def has_answer_type(sentence: str, kind: str, question_forms: frozenset[str]) -> bool:
    """Whether `sentence` holds an answer of `kind` that the question does not already say."""
    if kind == "reason":
        return any(m.group().lower() not in question_forms for m in _REASON_RE.finditer(sentence))
    if kind == "time":
        return any(m.group().lower() not in question_forms for m in _TIME_RE.finditer(sentence))
    if kind == "number":
        return any(m.group().lower() not in question_forms for m in _NUMBER_RE.finditer(sentence))
    if kind == "place":
        return any(_new_name(m.group(1), question_forms) for m in _PLACE_RE.finditer(sentence))
    return any(_new_name(m.group(), question_forms) for m in _NAME_RE.finditer(sentence))


def _new_name(name: str, question_forms: frozenset[str]) -> bool:
    words = [normalise_form(w) for w in name.split()]
    return any(w not in question_forms and not is_stopword(w) for w in words)


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
    start, end = index.post_off[a], index.post_off[a + 1]
    return any(index.impact(b, pid) for pid in index.post_pid[start:end])


_JOINED_RE = re.compile(r"\b[A-Za-z][a-z]+(?:[A-Z][a-z]+)+\b")


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


def split_joined_words(index: Index, question: str) -> tuple[str, list[tuple[str, str]]]:
    """The question with words run together in camel case ("UserDatagram") split apart
    when the corpus lacks the joined form but has every part (a typo that edit distance
    cannot mend), and the splits made, as corrections."""
    splits: list[tuple[str, str]] = []

    def split(match: re.Match) -> str:
        word = match.group()
        parts = re.findall(r"[A-Z]?[a-z]+", word)
        if index.stem_of(normalise_form(word)) is None and all(index.stem_of(p.lower()) for p in parts):
            splits.append((normalise_form(word), " ".join(p.lower() for p in parts)))
            return " ".join(parts)
        return word

    return _JOINED_RE.sub(split, question), splits


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
