"""Answer types: the kind of answer a question asks for, and whether a sentence holds one."""

from __future__ import annotations

import re
from functools import cache

from sofa_cli.text.analysis import is_stopword, normalise_form

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


# What each kind of answer looks like in a sentence, compiled by `_holds` when first asked for:
# a question of no kind (or of one kind) does not compile the others.
_ANSWERS = {
    "time": (
        rf"\b(?:1\d{{3}}|20\d{{2}}|\d{{3,4}}s|{_MONTHS}|{_DAYS}|century|centuries|decade)\b"
        r"|\b\d[\d,.]*\s+(?:BC|BCE|AD|CE|BP)\b|\b\d[\d,.]*(?:\s+(?:thousand|million|billion))?\s+years\s+ago\b"
        r"|\b\d{1,2}:\d{2}\b",
        0,
    ),
    "number": (
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
        r"hundred|thousand|million|billion|dozen|half|twice|percent)\b",
        re.I,
    ),
    "name": (r"(?<=[\s(“\"])[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*", 0),
    # A reason: a causal connective ("because", "due to", "in order to").
    "reason": (
        r"\b(?:because|due|since|so|therefore|thus|hence|cause[sd]?|reasons?|result(?:ed|s)?|order|led|lead|leads|"
        r"owing|thanks|consequently|why|motivated|aim(?:ed)?|purpose)\b",
        re.I,
    ),
    # A place: a capitalised name right after a preposition of place ("in Geelong", "from the Rhine").
    "place": (r"\b(?:in|at|from|near|to|into|across|throughout)\s+(?:the\s+)?([A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*)", 0),
}


@cache
def _holds(kind: str) -> re.Pattern:
    return re.compile(*_ANSWERS[kind])


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
    found = _holds(kind if kind in _ANSWERS else "name").finditer(sentence)
    if kind in ("reason", "time", "number"):
        return any(m.group().lower() not in question_forms for m in found)
    if kind == "place":
        return any(_new_name(m.group(1), question_forms) for m in found)
    return any(_new_name(m.group(), question_forms) for m in found)


def _new_name(name: str, question_forms: frozenset[str]) -> bool:
    words = [normalise_form(w) for w in name.split()]
    return any(w not in question_forms and not is_stopword(w) for w in words)
