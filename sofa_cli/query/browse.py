"""Looking up without a question: the documents of an index, and a cited passage in its context.

`sofa sources` and `sofa show` (and the shell's `:sources` / `:show`) read everything from
the index, never from the corpus files: a citation names a document id and a passage
number, and nothing in it is ever used as a file path.
"""

from __future__ import annotations

import re
from pathlib import Path

from sofa_cli.errors import SofaError
from sofa_cli.index.reader import Index
from sofa_cli.model import citation as format_citation
from sofa_cli.model.listings import Shown, ShownPassage, Source

# Passages shown either side of a cited one by default: enough to see the question an
# interview answer replies to, or the paragraph a quotation continues.
SHOW_CONTEXT = 1

# "kyodo-sofa ¶19" as `ask` prints it, and the typeable "kyodo-sofa:19".
# re.S: an id may hold a newline (a file named so); h-cli, issue 17 #20.
_CITATION_RE = re.compile(r"^(?P<doc>.+?)(?:\s*¶\s*|:)(?P<number>\d+)$", re.S)


class CitationError(SofaError, ValueError):
    """A citation that is malformed or names no passage in the index; the message says which."""


def sources(index: Index) -> list[Source]:
    root = Path(index.corpus)
    return [
        Source(
            doc=d.id,
            title=d.title,
            kind=d.kind,
            author=d.author,
            date=d.date,
            source=d.source,
            url=d.url,
            passages=d.passage_count,
            path=d.path,
            file=str(root / d.path),
        )
        for d in index.docs
    ]


def parse_citation(text: str) -> tuple[str, int]:
    """(document id, passage number) of "kyodo-sofa ¶19" or "kyodo-sofa:19"."""
    match = _CITATION_RE.match(text.strip())
    if not match:
        raise CitationError(f"not a citation: {text.strip()!r} (expected e.g. 'kyodo-sofa ¶19' or 'kyodo-sofa:19')")
    number = match.group("number")
    if len(number) > 9:  # h-cli (issue 17 #9): no document has a billion passages; int() of 5,000 digits fails
        raise CitationError(f"{match.group('doc').strip()} has no passage {number[:12]}… (a number of {len(number)} digits)")
    return match.group("doc").strip(), int(number)


def show(index: Index, cited: str, context: int = SHOW_CONTEXT) -> Shown:
    """The passage `cited` names, with up to `context` passages of the same document either side."""
    doc_id, number = parse_citation(cited)
    doc = index.doc_by_id(doc_id)
    if doc is None:
        raise CitationError(f"unknown document {doc_id!r} (see `sofa sources`)")
    if not 1 <= number <= doc.passage_count:
        raise CitationError(f"{doc_id} has no passage {number} (it has passages 1-{doc.passage_count})")
    first = max(1, number - max(context, 0))
    last = min(doc.passage_count, number + max(context, 0))
    shown = []
    for n in range(first, last + 1):
        p = index.passage(doc.first_passage + n - 1)
        shown.append(
            ShownPassage(
                passage=p.number,
                citation=format_citation(doc.id, p.number),
                speaker=p.speaker,
                text=p.text,
                cited=p.number == number,
                role=p.role,
            )
        )
    return Shown(
        citation=format_citation(doc.id, number),
        doc=doc.id,
        title=doc.title,
        kind=doc.kind,
        path=doc.path,
        passages=shown,
    )
