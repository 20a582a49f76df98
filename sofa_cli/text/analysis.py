"""Text analysis shared by the index and the query: one analyser, so both sides agree.

A token keeps its character span in the original text, so highlighting never has to
re-align normalised text with what the user sees. Normalisation happens per token
(curly apostrophes, possessives, case, digit grouping) and never shifts offsets.

nltk is imported lazily and only for stemming a word the index has never seen: the
index stores the stem of every corpus word form, so the query path usually needs no
nltk at all (importing it costs ~0.6 s).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import NamedTuple

from sofa_cli.text.stopwords import STOPWORDS

# Order matters: dotted acronyms (U.S.) before words, grouped numbers (50,000; 2.5) before words.
_TOKEN_RE = re.compile(
    r"(?:[^\W\d_]\.){2,}"  # acronyms with dots: U.S., e.g.
    r"|\d+(?:[.,]\d+)*"  # numbers: 2004, 50,000, 2.5
    r"|[^\W_]+(?:['’ʼ][^\W_]+)*['’ʼ]?",  # words, with inner apostrophes (don't, Ishiba’s)
)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "‘": "'", "`": "'"})


class Token(NamedTuple):
    """A word of the original text: `form` is its normalised surface form, before stemming.
    (A named tuple: a dataclass's methods are compiled from source when it is defined, ~3M
    instructions of every one-shot `sofa ask`; a named tuple's ~0.6M, and it is made faster.)"""

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


# The same pattern for ASCII text, where [^\W\d_] is [A-Za-z] and the curly apostrophes
# cannot occur: 2.5x faster, and most corpus text is ASCII. It is
#   (?:[A-Za-z]\.){2,}|\d+(?:[.,]\d+)*|[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*'?
# with the alternatives grouped by their first character (a word after a digit is never
# reached: the number alternative always matches first), which lets `re` skip to a token's
# first character instead of trying every alternative at every space: 1.6x faster, the same
# matches (tests/test_segment_fast.py checks both equivalences).
_ASCII_TOKEN_RE = re.compile(r"[A-Za-z](?:\.(?:[A-Za-z]\.)+|[A-Za-z0-9]*(?:'[A-Za-z0-9]+)*'?)|[0-9]+(?:[.,][0-9]+)*")
# Text with an "&" also joins a word and a short name after it into one token: "V&A", "AT&T",
# "R&D" (else "v" and "a" are single letters, dropped as stopwords). A separate pattern, since
# the optional suffix costs every word 10% more and most text has no "&".
_AMP = r"(?:(?<=[^\W\d_])&[^\W\d_]{1,3}(?![^\W_]))?"
_ASCII_AMP = r"(?:(?<=[A-Za-z])&[A-Za-z]{1,3}(?![A-Za-z0-9]))?"


@lru_cache(maxsize=1)
def amp_token_patterns() -> tuple[re.Pattern, re.Pattern]:
    """The "&" tokenizers, for ASCII text and for any text: compiled when a text first has an
    "&" (a one-shot question seldom does, and compiling a pattern costs it millions of instructions)."""
    ascii_amp = r"[A-Za-z](?:\.(?:[A-Za-z]\.)+|[A-Za-z0-9]*(?:'[A-Za-z0-9]+)*'?" + _ASCII_AMP + r")|[0-9]+(?:[.,][0-9]+)*"
    return re.compile(ascii_amp), re.compile(_TOKEN_RE.pattern + _AMP)


def token_pattern(text: str) -> re.Pattern:
    """The tokenizer for `text`: the ASCII one when it can be, the "&" one only when needed."""
    if "&" in text:
        return amp_token_patterns()[0 if text.isascii() else 1]
    return _ASCII_TOKEN_RE if text.isascii() else _TOKEN_RE


def raw_tokens(text: str) -> list[str]:
    """The raw tokens `tokenize` would find, without spans (for the index builder, which
    memoises `form_of` per distinct raw token: the same forms at a fraction of the cost)."""
    return token_pattern(text).findall(text)


@lru_cache(maxsize=1 << 17)
def form_of(raw: str) -> str:
    """The surface form of a raw token ("" when nothing is left); cached, because ranking
    re-tokenizes a hundred candidate passages per question and words repeat."""
    return "u.s" if raw == "US" else normalise_form(raw)


def tokenize(text: str) -> Iterator[Token]:
    """Every word of `text` with its span; stopwords included (the caller decides)."""
    for match in token_pattern(text).finditer(text):
        form = form_of(match.group())
        if form:
            yield Token(form, match.start(), match.end())


def is_stopword(form: str) -> bool:
    return form in STOPWORDS or (len(form) == 1 and not form.isdigit())


def nltk_module(name: str, stand_ins: dict | None = None):
    """nltk's module `name`, imported without running `nltk/__init__.py` when possible.

    `import nltk` imports most of the toolkit (and SciPy when it is installed): 0.8-6 s and
    ~100 MB, several times a whole `sofa ask`. The two modules sofa uses, the Snowball
    stemmer and Punkt, need little of it. So while `name` loads, nltk's packages are
    stood in for by empty packages with the real search path (and `stand_ins` replaces
    siblings the module names but does not use); afterwards every nltk entry is removed
    from sys.modules, so a later `import nltk` still runs in full. If nltk is already
    imported, or a future nltk needs more, the plain import is used.
    """
    import importlib
    import sys

    if "nltk" not in sys.modules:
        try:
            return _import_isolated(importlib, sys, name, stand_ins or {})
        except Exception:
            for key in [m for m in sys.modules if m == "nltk" or m.startswith("nltk.")]:
                del sys.modules[key]
    return importlib.import_module(name)


def _import_isolated(importlib, sys, name: str, stand_ins: dict):
    import importlib.util
    import types

    spec = importlib.util.find_spec("nltk")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nltk not found")
    home = list(spec.submodule_search_locations)[0]
    parts = name.split(".")
    for n in range(1, len(parts)):
        package = types.ModuleType(".".join(parts[:n]))
        package.__path__ = [os.path.join(home, *parts[1:n])]
        sys.modules[package.__name__] = package
    for key, attrs in stand_ins.items():
        module = types.ModuleType(key)
        module.__dict__.update(attrs)
        sys.modules[key] = module
    try:
        return importlib.import_module(name)
    finally:
        for key in [m for m in sys.modules if m == "nltk" or m.startswith("nltk.")]:
            del sys.modules[key]


@lru_cache(maxsize=1)
def _snowball() -> Callable[[str], str]:
    """nltk's English Snowball stemmer (imported in ~10 ms rather than seconds)."""
    guarded_re = {name: getattr(re, name) for name in ("compile", "match", "search", "sub", "split", "findall", "finditer")}
    snowball = nltk_module(
        "nltk.stem.snowball",
        stand_ins={
            "nltk.corpus": {"stopwords": None},  # only for ignore_stopwords=True
            "nltk.redos": guarded_re,  # nltk's guarded `re`: other languages' stemmers only
            "nltk.termsec": {"safe_print": print},  # only its demos print (~8M instructions of an ask)
        },
    )
    return snowball.EnglishStemmer(ignore_stopwords=False).stem


@lru_cache(maxsize=65536)
def stem(form: str) -> str:
    """Snowball stem of a surface form; numbers and acronyms are kept as they are."""
    if form[0].isdigit() or "." in form:
        return form
    return _snowball()(form)


def analyse(text: str, stemmer: Callable[[str], str] = stem) -> list[str]:
    """The index terms of `text`, in order, stopwords removed."""
    return [stemmer(t.form) for t in tokenize(text) if not is_stopword(t.form)]


# A definition starts at the beginning of a word (the look-behind) and its words are taken
# whole (possessive `*+`): else a run of 20,000 capitals is tried from each of its letters,
# each try scanning to its end (34 s; issue 17 #5, tests/test_regex_safety.py). Compiled when
# an index is first built: a question never needs it.
@lru_cache(maxsize=1)
def acronym_pattern() -> re.Pattern:
    return re.compile(
        r"(?<![\w’'-])((?:[A-Z][\w’'-]*+\s+)(?:(?:of|and|the|for|on|in)\s+|[A-Z][\w’'-]*+\s+){1,9})\(([A-Z]{2,8})\)"
    )


def acronym_definitions(text: str) -> dict[str, list[str]]:
    """Acronyms defined in `text` as "Status of Forces Agreement (SOFA)": acronym term -> expansion terms.

    Lets a question that spells the name out match passages that only use the acronym.
    """
    found: dict[str, list[str]] = {}
    for match in acronym_pattern().finditer(text):
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
