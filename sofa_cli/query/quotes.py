"""Who speaks and who is quoted: the attribution the index already holds, read person by person.

An interview turn's sentences belong to its speaker; an article sentence belongs to the person
it reports ("Hornung suggested ..."), as attribution marked it at indexing. `people` counts them
per name; `quotes` lists one person's, in document order. A name is matched as `--speaker` is
(a part of the name, any case: "hornung", "Tanaka"), and a name that matches no one is
corrected to the closest one the corpus has, as a question's unknown word is.
"""

from __future__ import annotations

from collections.abc import Iterator

from sofa_cli.index.reader import Index
from sofa_cli.model import Person, Quote, Quotes
from sofa_cli.model import citation as format_citation
from sofa_cli.query.typos import edit_distance


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


def _word_distance(typed: str, word: str) -> int | None:
    """Edits from a typed word to a name's word, by the rules a question's words are corrected
    with (query/typos.py): the first letter agrees, one edit from 5 letters, two from 8; None
    when they are further apart."""
    if typed == word:
        return 0
    if len(typed) < 5 or typed[:1] != word[:1]:
        return None
    limit = 2 if len(typed) >= 8 else 1
    d = edit_distance(typed, word, limit)
    return d if d <= limit else None


def closest_name(wanted: str, known: list[str]) -> str | None:
    """The known name `wanted` is a misspelling of: each typed word within the question's typo
    rules of a word of the name ("hornug" → "Jeffrey Hornung", "Dr. Tanka" → "Dr. Tanaka");
    the fewest edits win, then the name first in `known` (people() lists the most quoted first)."""
    typed = [w.casefold() for w in wanted.replace(".", " ").split()]
    best: tuple[int, int, str] | None = None
    for rank, name in enumerate(known):
        words = [w.casefold() for w in name.replace(".", " ").split()]
        total = 0
        for t in typed:
            distances = [d for d in (_word_distance(t, w) for w in words) if d is not None]
            if not distances:
                break
            total += min(distances)
        else:
            if typed and (best is None or (total, rank) < best[:2]):
                best = (total, rank, name)
    return best[2] if best else None


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
