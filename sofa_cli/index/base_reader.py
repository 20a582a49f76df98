"""What every reader of an index shares, the single-file `Index` and the `ShardedIndex`: the
document table decoded one document at a time, and the header's corpus-wide fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

from sofa_cli.index.schema import DocInfo, IndexDependencies


class DocTable(Sequence):
    """Documents decoded one at a time, on first use, and kept: `_load(i)` decodes the i-th.

    At a million passages there are tens of thousands of documents: decoding them all
    would cost more than a whole one-shot answer, which needs only the few it cites.
    """

    def __init__(self) -> None:
        self._cache: dict[int, DocInfo] = {}
        self._cached_ids: dict[str, int] = {}  # the ids of the documents in `_cache`, first read first
        self._by_id: dict[str, int] | None = None

    def _load(self, i: int) -> DocInfo:
        raise NotImplementedError

    def __getitem__(self, i):
        if i.__class__ is int:  # a document already read (ranking asks for each candidate's) first
            info = self._cache.get(i)
            if info is not None:
                return info
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        info = self._cache.get(i)
        if info is None:
            info = self._cache[i] = self._load(i)
            self._cached_ids.setdefault(info.id, i)
        return info

    def find(self, doc_id: str) -> DocInfo | None:
        """The document with this id. Those already read are looked at first: an answer's
        results come from documents the ranking read, and the map of every id costs a
        decoding of every document (2.5 s at a million passages, for a one-shot answer). Those
        read are found by a dict, not a scan: a session reads thousands of documents, and each
        answer looks up its results' twice (a scan was 67 of a question's CPU ms at 1M after
        300 questions)."""
        if self._by_id is None:
            n = self._cached_ids.get(doc_id)
            if n is not None:
                return self._cache[n]
            self._by_id = {d.id: n for n, d in enumerate(self)}
        n = self._by_id.get(doc_id)
        return None if n is None else self[n]


class IndexReader:
    """What `Index` and the sharded index (`sharded_reader.ShardedIndex`) share: the
    corpus-wide fields of the header, the document table and `with ... as index`."""

    docs: DocTable

    def _read_header(self, h: dict) -> None:
        """The header's corpus-wide fields as attributes (KeyError where one is missing)."""
        self.corpus = h["corpus"]
        self.depends = IndexDependencies.from_record(h["depends"])
        self.params = self.depends.bm25
        self.avgdl = h["avgdl"]
        self.files = h["files"]
        self.names: list[str] = h["names"]
        # Every byline once, in document order: "who wrote ...?" reads these, not 50,000
        # document records (0.75 s at a million passages, more than a one-shot answer's budget).
        self.authors: list[str] = h["authors"]
        self.acronyms: dict[str, list[str]] = h["acronyms"]
        self.synonym_groups: list[dict[str, str]] = h["synonyms"]

    def doc_by_id(self, doc_id: str) -> DocInfo | None:
        return self.docs.find(doc_id)

    def occurs_between(self, tid: int, first_pid: int, end_pid: int) -> bool:
        raise NotImplementedError

    def occurs_in_ranges(self, tid: int, ranges: Sequence[tuple[int, int]]) -> list[bool]:
        """For each (first_pid, end_pid), whether the term occurs in a passage of that range."""
        return [self.occurs_between(tid, first, end) for first, end in ranges]

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
