"""Typo correction: a question word the corpus lacks, matched to the closest corpus word form."""

from __future__ import annotations

import re

from sofa_cli.index.reader import Index
from sofa_cli.query.config import Limits
from sofa_cli.text.analysis import normalise_form


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


def closest_form(index: Index, form: str, name_like: bool = False, limits: Limits = Limits()) -> str | None:
    """The corpus word form nearest to `form`, or None when nothing is close enough.

    The first letter must agree (typos rarely hit it, and "losing" is not "closing"); the
    lengths and edit counts are `Limits`' (one edit from five letters, two for a long
    capitalised word, a name: "Nakashma"; up to three for a word with the same letters,
    "Ghandi": `_anagram_form`). Looser rules turn real words into others: "France" into
    "face", "percentage" into "parentage" (bench/quality counted such corrections on XQuAD).
    """
    if len(form) < limits.typo_min_letters or not form.isalpha():
        return None
    limit = limits.name_edits if name_like and len(form) >= limits.name_min_letters else limits.typo_edits
    best: tuple[int, int, str] | None = None
    for i in index.form_candidates(form, limit):
        candidate = index.form(i)
        if candidate[:1] != form[0]:
            continue
        d = edit_distance(form, candidate, limit)
        if d <= limit:
            df = index.doc_freq(index.form_term_id(i))
            key = (d, -df, candidate)
            if best is None or key < best:
                best = key
    if best is None and len(form) >= limits.anagram_min_letters:
        return _anagram_form(index, form, limits.anagram_edits)
    return best[2] if best else None


def _anagram_form(index: Index, form: str, edits: int) -> str | None:
    """A corpus form with the same letters as `form`, within `edits` edits: letters swapped
    ("Ghandi" for "Gandhi") are a misspelling, where a word two edits away with other
    letters ("grand") is another word."""
    letters = sorted(form)
    best: tuple[int, int, str] | None = None
    for i in index.form_candidates(form, 0):
        candidate = index.form(i)
        if candidate[:1] != form[0] or candidate == form or sorted(candidate) != letters:
            continue
        d = edit_distance(form, candidate, edits)
        if d <= edits:
            key = (d, -index.doc_freq(index.form_term_id(i)), candidate)
            best = key if best is None or key < best else best
    return best[2] if best else None


_JOINED_RE = re.compile(r"\b[A-Za-z][a-z]+(?:[A-Z][a-z]+)+\b")


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
