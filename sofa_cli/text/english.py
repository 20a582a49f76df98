"""Common English words, for telling a word the corpus lacks from a misspelling.

A question word the corpus does not have is either a typo of a corpus word ("Hornug") or a real
word the corpus happens not to use ("nothing", "many", "genre"). Edit distance cannot tell them
apart ("nothing" is one edit from the corpus's "noting"); a list of the words English writing
uses most can. english_words.txt ships with sofa (made once from wordfreq, see its header), so
nothing is downloaded; it is read on first use only, when a question holds an unknown word.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("english_words.txt")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The list's words (lower case, four letters or more)."""
    lines = WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_common_word(form: str) -> bool:
    """Whether `form` (a normalised, lower-case word form) is one of the commonest English words."""
    return form in common_words()
