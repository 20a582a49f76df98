"""The results sofa gives, as plain dataclasses, and the one JSON serializer for all of them.

Every command's JSON is one of these dataclasses serialized by `to_record` / `json_line`:
`Answer` (ask), `Source` (sources), `Shown` (show), `Scores` (eval), `Person` (people),
`Quotes` (quotes), `IndexInfo` (index --list).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sofa_cli.text.safety import escape_json_unsafe

# What a document is: a news article (paragraphs) or an interview (speaker turns).
KINDS = ("article", "interview")


@dataclass(frozen=True)
class Explanation:
    """Why a passage scored what it did: `terms` (each query word's BM25 part, summing to
    `bm25`) plus `evidence` (all that ranking adds to BM25), which add up to the score.
    `signals` itemises the evidence, each signal with its points (sentence, attribution,
    proximity, answer type, document, title, phrase, the question-turn factor and the title
    word cap as negative points), summing to `evidence`; `rewritten` is the question as it was
    searched for (corrections, stand-ins, added and left-out words)."""

    terms: dict[str, float]
    bm25: float
    evidence: float
    signals: dict[str, float] = field(default_factory=dict)
    rewritten: str = ""


@dataclass(frozen=True)
class Result:
    """One answer to a question; the JSON output is this dataclass (see README: JSON output)."""

    rank: int
    score: float
    doc: str
    title: str
    path: str
    kind: str
    passage: int
    speaker: str | None
    text: str
    answer: str
    highlights: list[list[int]]
    citation: str
    answer_span: list[int] = field(default_factory=list)
    answer_by: str | None = None
    explain: Explanation | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    file: str | None = None  # the absolute path of the document's file
    lines: list[int] | None = None  # [first, last] line of the passage in `file`, 1-based; None when unknown


@dataclass(frozen=True)
class Answer:
    """The answer to one question: its results, best first, and what was made of its words.

    It reads as the sequence of its results (`answer[0].citation`, `len(answer)`, `for r in answer`).
    """

    question: str
    results: list[Result]
    corrections: list[list[str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def notices(self) -> list[str]:
        """What became of the question's words, for stderr: each correction, and the words the
        corpus lacks (a reader must know an answer ignored them)."""
        lines = [f"showing results for {right!r} (no match for {wrong!r})" for wrong, right in self.corrections]
        if self.unknown:
            words = ", ".join(repr(w) for w in self.unknown)
            lines.append(f"not in the corpus, so not searched for: {words}")
        return lines

    def __getitem__(self, i):
        return self.results[i]

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self):
        return iter(self.results)


def citation(doc_id: str, number: int) -> str:
    return f"{doc_id} ¶{number}"


@dataclass(frozen=True)
class Source:
    """One document as `sofa sources` lists it; the JSON output is this dataclass."""

    doc: str
    title: str
    kind: str
    author: str | None
    date: str | None
    source: str | None
    url: str | None
    passages: int
    path: str


@dataclass(frozen=True)
class ShownPassage:
    passage: int
    citation: str
    speaker: str | None
    text: str
    cited: bool


@dataclass(frozen=True)
class Shown:
    """A cited passage and its neighbours, in reading order; the JSON output is this dataclass."""

    citation: str
    doc: str
    title: str
    kind: str
    path: str
    passages: list[ShownPassage]
    file: str | None = None  # the absolute path of the document's file
    lines: list[int] | None = None  # [first, last] line of the cited passage (of the first shown, for a whole document)
    author: str | None = None
    date: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Person:
    """Someone who speaks (an interview turn) or is quoted (a reported sentence); `sofa people`."""

    name: str
    sentences: int
    documents: list[str]


@dataclass(frozen=True)
class Quote:
    """One sentence attributed to a person, with the citation of its passage."""

    citation: str
    doc: str
    passage: int
    speaker: str
    text: str
    title: str


@dataclass(frozen=True)
class Quotes:
    """Every sentence attributed to `name`, in document order (`sofa quotes NAME`).

    `asked` is the name as typed; `corrected` says it matched no one and `name` is the
    closest name the corpus has."""

    asked: str
    name: str | None
    corrected: bool
    quotes: list[Quote]


@dataclass(frozen=True)
class IndexInfo:
    """One index in the cache folder (`sofa index --list`); `exists` says whether its corpus folder still does."""

    corpus: str
    documents: int
    passages: int
    size: int
    modified: float
    path: str
    exists: bool


@dataclass(frozen=True)
class QAItem:
    q: str
    gold: tuple[str, ...]


@dataclass
class Scores:
    questions: int = 0
    k: int = 5
    hit_at_1: float = 0.0
    hit_at_k: float = 0.0
    mrr: float = 0.0
    answer_at_1: float = 0.0
    misses: list[dict] = field(default_factory=list)


def to_record(result, omit: tuple[str, ...] = ()) -> dict:
    """A result as the dict its JSON is made of: the dataclass's fields, with a result's
    `explain` left out when unset and the fields named in `omit` dropped. An answer's
    `corrections` and `unknown` are always there, empty or not: every question word is
    accounted for, and a reader need not guess what a missing key means."""
    record = asdict(result)
    if isinstance(result, Answer):
        for r in record["results"]:
            if r["explain"] is None:
                del r["explain"]
    for key in omit:
        record.pop(key, None)
    return record


def json_line(result, omit: tuple[str, ...] = ()) -> str:
    """One JSON line, with control and bidi characters written as \\u escapes: the data
    is exact once parsed, and the bytes are harmless when the JSON lands on a terminal."""
    record = result if isinstance(result, dict) else to_record(result, omit)
    return escape_json_unsafe(json.dumps(record, ensure_ascii=False)) + "\n"
