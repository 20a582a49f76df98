"""Text analysis shared by the index and the query: one analyser, so both sides agree.

A token keeps its character span in the original text, so highlighting never has to
re-align normalised text with what the user sees. Normalisation happens per token
(curly apostrophes, possessives, case, digit grouping) and never shifts offsets.

nltk is imported lazily and only for stemming a word the index has never seen: the
index stores the stem of every corpus word form, so the query path usually needs no
nltk at all (importing it costs ~0.6 s).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from sofa_cli.stopwords import STOPWORDS

# Order matters: dotted acronyms (U.S.) before words, grouped numbers (50,000; 2.5) before words.
_TOKEN_RE = re.compile(
    r"(?:[^\W\d_]\.){2,}"  # acronyms with dots: U.S., e.g.
    r"|\d+(?:[.,]\d+)*"  # numbers: 2004, 50,000, 2.5
    r"|[^\W_]+(?:['’ʼ][^\W_]+)*['’ʼ]?",  # words, with inner apostrophes (don't, Ishiba’s)
)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'"})


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the original text: `form` is its normalised surface form, before stemming."""

    form: str
    start: int
    end: int


def normalise_form(raw: str) -> str:
    """Surface form of one raw token: NFKC, straight apostrophes, lower case, no possessive."""
    form = unicodedata.normalize("NFKC", raw).translate(_APOSTROPHES).casefold()
    if form.endswith("'s"):
        form = form[:-2]
    form = form.rstrip("'")
    if form and form[0].isdigit():
        return form.replace(",", "")
    if "." in form:
        return form.rstrip(".")
    return form


def tokenize(text: str) -> Iterator[Token]:
    """Every word of `text` with its span; stopwords included (the caller decides)."""
    for match in _TOKEN_RE.finditer(text):
        raw = match.group()
        form = "u.s" if raw == "US" else normalise_form(raw)
        if form:
            yield Token(form, match.start(), match.end())


def is_stopword(form: str) -> bool:
    return form in STOPWORDS or (len(form) == 1 and not form.isdigit())


@lru_cache(maxsize=1)
def _snowball() -> Callable[[str], str]:
    from nltk.stem.snowball import SnowballStemmer

    return SnowballStemmer("english", ignore_stopwords=False).stem


@lru_cache(maxsize=65536)
def stem(form: str) -> str:
    """Snowball stem of a surface form; numbers and acronyms are kept as they are."""
    if form[0].isdigit() or "." in form:
        return form
    return _snowball()(form)


def analyse(text: str, stemmer: Callable[[str], str] = stem) -> list[str]:
    """The index terms of `text`, in order, stopwords removed."""
    return [stemmer(t.form) for t in tokenize(text) if not is_stopword(t.form)]


_ACRONYM_RE = re.compile(r"((?:[A-Z][\w’'-]*\s+)(?:(?:of|and|the|for|on|in)\s+|[A-Z][\w’'-]*\s+){1,6})\(([A-Z]{2,8})\)")


def acronym_definitions(text: str) -> dict[str, list[str]]:
    """Acronyms defined in `text` as "Status of Forces Agreement (SOFA)": acronym term -> expansion terms.

    Lets a question that spells the name out match passages that only use the acronym.
    """
    found: dict[str, list[str]] = {}
    for match in _ACRONYM_RE.finditer(text):
        words, acronym = match.group(1).split(), match.group(2)
        tail = _expansion_of(words, acronym)
        if not tail:
            continue
        expansion = analyse(" ".join(tail))
        if len(expansion) >= 2:
            found[stem(normalise_form(acronym))] = expansion
    return found


def _expansion_of(words: list[str], acronym: str) -> list[str] | None:
    """The shortest tail of `words` whose initials spell `acronym` (small words optional)."""
    for k in range(len(acronym), len(words) + 1):
        tail = words[-k:]
        if not tail[0][0].isupper():
            continue
        every = "".join(w[0] for w in tail).upper()
        capitals = "".join(w[0] for w in tail if w[0].isupper())
        if acronym in (every, capitals):
            return tail
    return None
