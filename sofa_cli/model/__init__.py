"""The results sofa gives, as plain dataclasses, and the one JSON serializer for all of them.

An answer's records are here; --explain's (`model.explanation`: Explanation), the listings'
(`model.listings`: Source, Shown, Person, Quotes, IndexInfo...) and evaluation's (`model.scores`:
QAItem, Scores) are imported on first use, and read as `sofa_cli.model.Source` all the same: a
one-shot answer need not define them.

Every command's JSON is one of these dataclasses serialized by `to_record` / `json_line`:
`Answer` (ask), `Source` (sources), `Shown` (show), `Scores` (eval), `Person` (people),
`Quotes` (quotes), `IndexInfo` (index --list).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from sofa_cli.text.safety import escape_json_unsafe

if TYPE_CHECKING:
    from sofa_cli.model.explanation import Explanation


def counted(n: int, noun: str) -> str:
    """`1 document`, `2 documents`: the counts sofa reports read as sentences."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# What a document is: a news article (paragraphs) or an interview (speaker turns).
KINDS = ("article", "interview")


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
    role: str | None = None  # the speaker's job title, from a transcript's labels ("Baker")


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


_ELSEWHERE = {
    "Explanation": "explanation",
    **dict.fromkeys(("Source", "ShownPassage", "Shown", "Person", "Quote", "Quotes", "IndexInfo"), "listings"),
    **dict.fromkeys(("QAItem", "Scores"), "scores"),
}


def __getattr__(name: str):
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sofa_cli.model' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"sofa_cli.model.{module}"), name)
