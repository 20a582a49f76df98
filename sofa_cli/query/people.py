"""Who speaks and who is quoted: the attribution the index already holds, read person by person.

An interview turn's sentences belong to its speaker; an article sentence belongs to the person
it reports ("Hornung suggested ..."), as attribution marked it at indexing. `people` counts them
per name; `quotes` lists one person's, in document order. A name is matched as `--speaker` is
(a part of the name, any case: "hornung", "Tanaka"), and a name that matches no one is
corrected to the closest one the corpus has, as a question's unknown word is.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from sofa_cli.index.reader import Index
from sofa_cli.model import Person, Quote, Quotes
from sofa_cli.model import citation as format_citation

# How alike a misspelt name must be to a known one (difflib's ratio) to be taken for it:
# "hornug" ~ "hornung" is 0.92, "tanka" ~ "tanaka" 0.91; unrelated names stay below 0.6.
NAME_CUTOFF = 0.75


def _attributed(index: Index) -> Iterator[tuple[str, object, tuple[int, int]]]:
    """(name, passage, sentence span) for every attributed sentence, in index order."""
    for pid in range(index.n_passages):
        p = index.passage(pid)
        spans = p.sentences or ((0, len(p.text)),)
        for i, span in enumerate(spans):
            name = (p.attributions[i] if i < len(p.attributions) else None) or p.speaker
            if name:
                yield name, p, span


def attributed_names(index: Index) -> Iterator[str]:
    """Each attributed sentence's person, in index order (a name many times over)."""
    return (name for name, _, _ in _attributed(index))


def people(index: Index) -> list[Person]:
    """Everyone who speaks or is quoted, most sentences first (then by name)."""
    counts: dict[str, int] = {}
    docs: dict[str, dict[str, None]] = {}
    for name, p, _ in _attributed(index):
        counts[name] = counts.get(name, 0) + 1
        docs.setdefault(name, {})[p.doc.id] = None
    return [Person(name, counts[name], list(docs[name])) for name in sorted(counts, key=lambda n: (-counts[n], n.casefold()))]


def names(index: Index) -> list[str]:
    return [p.name for p in people(index)]


def matches(name: str, wanted: str) -> bool:
    """`wanted` names `name` the way --speaker does: a part of it, any case."""
    return wanted.casefold() in name.casefold()


def closest_name(wanted: str, known: list[str]) -> str | None:
    """The known name (or the name one of whose words) `wanted` is a misspelling of."""
    folded = wanted.casefold()
    candidates: dict[str, str] = {}
    for name in known:
        candidates.setdefault(name.casefold(), name)
        for word in name.replace(".", " ").split():
            if len(word) > 2:
                candidates.setdefault(word.casefold(), name)
    close = difflib.get_close_matches(folded, list(candidates), n=1, cutoff=NAME_CUTOFF)
    return candidates[close[0]] if close else None


def quotes(index: Index, wanted: str) -> Quotes:
    """Every sentence attributed to the person `wanted` names, in document order, cited."""
    wanted = " ".join(wanted.split())
    known = names(index)
    chosen = wanted
    corrected = False
    if not any(matches(n, wanted) for n in known):
        guess = closest_name(wanted, known)
        if guess is None:
            return Quotes(asked=wanted, name=None, corrected=False, quotes=[])
        chosen, corrected = guess, True
    found = [
        Quote(
            citation=format_citation(p.doc.id, p.number),
            doc=p.doc.id,
            passage=p.number,
            speaker=name,
            text=p.text[a:b].strip(),
            title=p.doc.title,
        )
        for name, p, (a, b) in _attributed(index)
        if matches(name, chosen)
    ]
    return Quotes(asked=wanted, name=chosen, corrected=corrected, quotes=found)
