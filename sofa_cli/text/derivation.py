"""Word families that the Snowball stemmer leaves apart: "analyst" and "analysis", "Okinawan" and
"Okinawa", "Japanese" and "Japan". Snowball already joins "negotiator"/"negotiation" and
"critic"/"criticism"; these endings it does not strip.

Each group lists endings that derive one another on the same base; a word ending in one is
related to the same base with each other. Only forms the corpus has are ever used
(sofa_cli.query.question looks each candidate up), so a candidate that is not a word costs one
lookup and nothing else. A question word the corpus lacks stands for its family's commonest
corpus word; a known word keeps to itself (its family as synonyms cost answer@1, bench/quality).
"""

from __future__ import annotations

# Groups of endings that derive one another on one base ("analy" + "st" / "sis").
ENDING_GROUPS: tuple[tuple[str, ...], ...] = (
    ("yst", "ysts", "ysis", "yses", "ytic", "ytical", "yse", "yze", "ysed", "yzed"),  # analyst, analysis
    ("an", "ans", "a"),  # Okinawan, Okinawa; Korean, Korea
    ("ian", "ians", "ia", "y", "a"),  # Australian, Australia; Italian, Italy; Canadian, Canada
    ("ese", ""),  # Japanese, Japan; Chinese, China is irregular and left out
    ("ist", "ists", "ism", "isms"),  # journalist, journalism
)

# An agent noun and its verb ("starter", "start"/"started"): for a word the corpus lacks only.
# As a family for a known word it would join too much ("computer" is not "computed").
AGENT_ENDINGS: tuple[str, ...] = ("er", "ers", "", "s", "ed", "ing")

# Least letters the base keeps once an ending is taken off: shorter bases relate unrelated
# words ("plan" is not "pla" + "an").
MIN_BASE_LETTERS = 4


def related_forms(form: str, agent: bool = False) -> list[str]:
    """Word forms of the same family as `form` (a lower-case word form), by `ENDING_GROUPS`
    (and `AGENT_ENDINGS` with `agent`), in a fixed order; `form` itself is not among them.
    Most are not words: the caller keeps those its corpus has."""
    found: list[str] = []
    groups = (*ENDING_GROUPS, AGENT_ENDINGS) if agent else ENDING_GROUPS
    for group in groups:
        for ending in group:
            if not form.endswith(ending) or (agent and group is AGENT_ENDINGS and ending in ("", "s")):
                continue
            base = form[: len(form) - len(ending)]
            if len(base) < MIN_BASE_LETTERS:
                continue
            for other in group:
                candidate = base + other
                if candidate != form and candidate not in found:
                    found.append(candidate)
    return found
