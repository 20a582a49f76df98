"""What sofa lists without a question: documents (`sources`), a cited passage in its context
(`show`), people and their quotes, and the indexes kept; the JSON output is each dataclass."""

from __future__ import annotations

from dataclasses import dataclass


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
    path: str  # relative to the corpus folder, as citations and `--source` name files
    file: str  # the absolute path, as results carry it (for an editor, or a script outside the folder)


@dataclass(frozen=True)
class ShownPassage:
    passage: int
    citation: str
    speaker: str | None
    text: str
    cited: bool
    role: str | None = None  # the speaker's job title, from a transcript's labels


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
