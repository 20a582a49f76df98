"""Reading an index: documents, passages, vocabulary and BM25 postings, looked up lazily
from the memory-mapped file (`format.IndexFile`)."""

from __future__ import annotations

import heapq
import json
import sys
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from pathlib import Path

from sofa_cli.index import bm25
from sofa_cli.index.format import IndexFile, IndexFileError
from sofa_cli.index.schema import DocInfo, StoredPassage
from sofa_cli.index.vocabulary import FORM_SCAN, HIST_BINS, _char_hist, _find

# A query whose terms have more postings than this is scored with numpy; below it, pure
# Python is faster than importing numpy (~55 ms), which a small corpus never needs. Once
# numpy is imported (a long session, a large index), it pays from far fewer postings.
NUMPY_POSTINGS = 50_000


NUMPY_LOADED_POSTINGS = 1_000


class _Docs(Sequence):
    """The documents of an index, decoded one at a time from the mapped file.

    At a million passages there are tens of thousands of documents: decoding them all
    would cost more than a whole one-shot answer, which needs only the few it cites.
    """

    def __init__(self, blob: memoryview, offsets: memoryview, first: memoryview) -> None:
        self._blob, self._off, self._first = blob, offsets, first
        self._cache: dict[int, DocInfo] = {}
        self._by_id: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self._off) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        info = self._cache.get(i)
        if info is None:
            record = json.loads(bytes(self._blob[self._off[i] : self._off[i + 1]]))
            first = self._first[i]
            info = self._cache[i] = DocInfo(**record, first_passage=first, passage_count=self._first[i + 1] - first)
        return info

    def find(self, doc_id: str) -> DocInfo | None:
        if self._by_id is None:
            self._by_id = {d.id: n for n, d in enumerate(self)}
        n = self._by_id.get(doc_id)
        return None if n is None else self[n]


class Index:
    """Read access to an index file; everything is looked up lazily from the mapped arrays."""

    def __init__(self, path: Path, verify: bool | None = None) -> None:
        self.path = path
        self.file = IndexFile(path, verify=verify)
        h = self.file.header
        s = self.file.section
        try:
            self.corpus = h["corpus"]
            self.variant = h["variant"]
            self.avgdl = h["avgdl"]
            self.files = h["files"]
            self.names: list[str] = h["names"]
            self.acronyms: dict[str, list[str]] = h.get("acronyms", {})
            self.synonym_groups: list[dict[str, str]] = h.get("synonyms", [])
            self.docs = _Docs(self.file.raw("doc_blob"), s("doc_off"), s("doc_first"))
            self.text_blob = self.file.raw("text")
            self.text_off = s("text_off")
            self.p_doc, self.p_num, self.p_speaker = s("p_doc"), s("p_num"), s("p_speaker")
            self.p_prompt, self.p_sent = s("p_prompt"), s("p_sent")
            self.s_start, self.s_end, self.s_attr = s("s_start"), s("s_end"), s("s_attr")
            self.term_blob, self.term_off = self.file.raw("term_blob"), s("term_off")
            self.form_blob, self.form_off = self.file.raw("form_blob"), s("form_off")
            self.form_term = s("form_term")
            sections = self.file.header["sections"]
            # Hash tables of the two vocabularies (absent from indexes built before them:
            # then the sorted tables are binary-searched, with the same answers).
            self.term_hash = s("term_hash") if "term_hash" in sections else None
            self.form_hash = s("form_hash") if "form_hash" in sections else None
            self.idf, self.post_off = s("idf"), s("post_off")
            self.post_pid, self.post_w = s("post_pid"), s("post_w")
        except (KeyError, TypeError) as err:
            raise IndexFileError(f"index is missing {err}") from err
        self.n_passages = len(self.p_doc)
        self.n_terms = len(self.idf)
        # Vocabulary look-ups go through hash tables in the mapped file; a question and the
        # passages it ranks repeat words, so each answer is kept.
        self._term_ids: dict[str, int | None] = {}
        self._stems: dict[str, str | None] = {}
        self._form_tids: dict[str, int | None] = {}
        self._arrays: dict[str, object] = {}

    def close(self) -> None:
        """Unmap the file; the index cannot be read afterwards."""
        self._arrays.clear()
        self.file.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- passages -------------------------------------------------------------------
    def passage(self, pid: int) -> StoredPassage:
        a, b = self.p_sent[pid], self.p_sent[pid + 1]
        speaker_id = self.p_speaker[pid]
        return StoredPassage(
            pid=pid,
            doc=self.docs[self.p_doc[pid]],
            number=self.p_num[pid],
            text=self.passage_text(pid),
            sentences=tuple(zip(self.s_start[a:b], self.s_end[a:b])),
            speaker=self.names[speaker_id] if speaker_id >= 0 else None,
            attributions=tuple(self.names[x] if x >= 0 else None for x in self.s_attr[a:b]),
            prompt_pid=self.p_prompt[pid],
        )

    def passage_text(self, pid: int) -> str:
        return bytes(self.text_blob[self.text_off[pid] : self.text_off[pid + 1]]).decode("utf-8")

    def doc_by_id(self, doc_id: str) -> DocInfo | None:
        return self.docs.find(doc_id)

    def is_question_turn(self, pid: int) -> bool:
        """An interview turn that prompted the next one (the interviewer's question)."""
        return pid + 1 < self.n_passages and self.p_prompt[pid + 1] == pid

    # -- vocabulary -----------------------------------------------------------------
    def term_id(self, term: str) -> int | None:
        try:
            return self._term_ids[term]
        except KeyError:
            tid = self._term_ids[term] = _find(self.term_hash, self.term_blob, self.term_off, term.encode("utf-8"))
            return tid

    def is_number(self, tid: int) -> bool:
        """Whether a term is a number ("118", "14000", "four")."""
        memo = self.__dict__.setdefault("_numbers", {})
        value = memo.get(tid)
        if value is None:
            term = self.term(tid)
            value = memo[tid] = term[:1].isdigit() or term in _NUMBER_WORDS
        return value

    def synonyms_of(self, term: str) -> dict[str, str]:
        """Stems that share a synonym group with `term` (see sofa_cli.text.synonyms), each with a
        word it stands for; the corpus need not hold them, nor `term`."""
        by_term = self.__dict__.get("_synonyms")
        if by_term is None:
            by_term = self._synonyms = {}
            for group in self.synonym_groups:
                for t in group:
                    by_term.setdefault(t, {}).update(group)
        return {s: w for s, w in by_term.get(term, {}).items() if s != term}

    def term(self, tid: int) -> str:
        return bytes(self.term_blob[self.term_off[tid] : self.term_off[tid + 1]]).decode("utf-8")

    def stem_of(self, form: str) -> str | None:
        """The stem of a corpus word form, without nltk; None for a form the corpus lacks."""
        try:
            return self._stems[form]
        except KeyError:
            pass
        i = _find(self.form_hash, self.form_blob, self.form_off, form.encode("utf-8"))
        if i is None:
            term = None
        else:
            tid = self.form_term[i]
            term = self.term(tid)
            self._term_ids[term] = tid
        self._stems[form] = term
        return term

    def term_of_form(self, form: str) -> int | None:
        """The term id of a corpus word form (None for a form the corpus lacks): reranking's
        look-up, once per distinct word of the candidates, with no term string decoded."""
        try:
            return self._form_tids[form]
        except KeyError:
            i = _find(self.form_hash, self.form_blob, self.form_off, form.encode("utf-8"))
            tid = self._form_tids[form] = None if i is None else self.form_term[i]
            return tid

    def form_candidates(self, form: str, limit: int) -> Iterable[int]:
        """Numbers of the corpus forms that may lie within `limit` edits of `form`.

        A necessary condition only (callers measure the distance): the UTF-8 length differs
        by at most 4 bytes an edit and, for large vocabularies, the bag of characters by at
        most `limit` in each direction (one edit changes each side's surplus by at most
        one), checked for every form at once against the `form_hist` section: scanning
        100,000 forms with an edit distance in Python would take seconds.
        """
        n = len(self.form_off) - 1
        size = len(form.encode("utf-8"))
        if n <= FORM_SCAN or "form_hist" not in self.file.header["sections"]:
            off = self.form_off
            return (i for i in range(n) if abs((off[i + 1] - off[i]) - size) <= 4 * limit)
        import numpy as np

        hist = self._array("form_hist").reshape(n, HIST_BINS)
        wanted = np.frombuffer(_char_hist(form), dtype=np.uint8).astype(np.int16)
        chars = self._arrays.get("form_chars")
        if chars is None:
            chars = self._arrays["form_chars"] = hist.sum(1, dtype=np.int16)
        # The character counts differ by at most `limit` (a cheap first cut), then the bags.
        rows = np.flatnonzero(np.abs(chars - int(wanted.sum())) <= limit)
        diff = hist[rows].astype(np.int16) - wanted
        ok = (np.maximum(diff, 0).sum(1) <= limit) & (np.maximum(-diff, 0).sum(1) <= limit)
        return rows[ok].tolist()

    @property
    def n_forms(self) -> int:
        return len(self.form_off) - 1

    def form(self, i: int) -> str:
        """Corpus word form number `i` (forms are numbered in byte order)."""
        return bytes(self.form_blob[self.form_off[i] : self.form_off[i + 1]]).decode("utf-8")

    def form_term_id(self, i: int) -> int:
        """The term id of corpus word form number `i`."""
        return self.form_term[i]

    def passages_with(self, tid: int) -> Sequence[int]:
        """The ids of the passages holding the term, ascending."""
        return self.post_pid[self.post_off[tid] : self.post_off[tid + 1]]

    def doc_freq(self, tid: int) -> int:
        return self.post_off[tid + 1] - self.post_off[tid]

    # -- scoring --------------------------------------------------------------------
    def bm25(self, term_ids: Iterable[int], top: int | None = None) -> dict[int, float]:
        """BM25 scores (the model's exact values) of the passages matching any of `term_ids`.

        Repeated ids count again, as rank-bm25 does with repeated query tokens. With `top`,
        only the `top` best passages (ties broken by passage id), which is all a ranking
        needs and, at a million passages, far cheaper than a dict of every match.
        """
        term_ids = list(term_ids)
        base = sum(bm25.constant(self.variant, self.idf[t]) for t in term_ids)
        postings = sum(self.doc_freq(t) for t in term_ids)
        if postings > NUMPY_POSTINGS or (postings > NUMPY_LOADED_POSTINGS and "numpy" in sys.modules):
            return self._bm25_numpy(term_ids, base, top)
        scores: dict[int, float] = {}
        get = scores.get
        for tid in term_ids:
            a, b = self.post_off[tid], self.post_off[tid + 1]
            for pid, w in zip(self.post_pid[a:b], self.post_w[a:b]):
                scores[pid] = get(pid, 0.0) + w
        if base:
            for pid in scores:
                scores[pid] += base
        if top is not None and len(scores) > top:
            best = heapq.nsmallest(top, scores.items(), key=lambda kv: (-kv[1], kv[0]))
            scores = dict(best)
        return scores

    def impact(self, tid: int, pid: int) -> float:
        """The term's impact on one passage (0.0 when absent), by binary search of its postings."""
        a, b = self.post_off[tid], self.post_off[tid + 1]
        i = bisect_left(self.post_pid, pid, a, b)
        return self.post_w[i] if i < b and self.post_pid[i] == pid else 0.0

    def occurs_between(self, tid: int, first_pid: int, end_pid: int) -> bool:
        """Whether the term occurs in any passage first_pid <= pid < end_pid (e.g. one document's)."""
        a, b = self.post_off[tid], self.post_off[tid + 1]
        i = bisect_left(self.post_pid, first_pid, a, b)
        return i < b and self.post_pid[i] < end_pid

    def _array(self, name: str):
        """A section as a numpy array over the mapping (no copy)."""
        arr = self._arrays.get(name)
        if arr is None:
            import numpy as np

            dtype = np.dtype(self.file.header["sections"][name][1]).newbyteorder("<")
            arr = self._arrays[name] = np.frombuffer(self.file.raw(name), dtype=dtype)
        return arr

    def _bm25_numpy(self, term_ids: list[int], base: float, top: int | None) -> dict[int, float]:
        """The same sums as the pure path, in the same order (so the same floats), vectorised.

        np.bincount adds each passage's weights in input order, term by term, exactly as
        the dict loop does; the per-term constant is added last, as there.
        """
        import numpy as np

        post_pid, post_w = self._array("post_pid"), self._array("post_w")
        spans = [(self.post_off[t], self.post_off[t + 1]) for t in term_ids]
        pids = np.concatenate([post_pid[a:b] for a, b in spans])
        weights = np.concatenate([post_w[a:b] for a, b in spans])
        if len(pids) * 4 < self.n_passages:
            matched, where = np.unique(pids, return_inverse=True)
            scores = np.bincount(where.ravel(), weights=weights)
        else:
            dense = np.bincount(pids, weights=weights, minlength=self.n_passages)
            matched = np.flatnonzero(np.bincount(pids, minlength=self.n_passages))
            scores = dense[matched]
        if base:
            scores += base
        if top is not None and len(scores) > top:
            keep = _top_positions(np, scores, top)
            matched, scores = matched[keep], scores[keep]
        return dict(zip(matched.tolist(), scores.tolist()))

    def impacts(self, tid: int) -> dict[int, float]:
        a, b = self.post_off[tid], self.post_off[tid + 1]
        return dict(zip(self.post_pid[a:b], self.post_w[a:b]))


def _top_positions(np, scores, top: int):
    """Positions of the `top` highest scores; among equal scores the lowest positions
    (passage ids are sorted), which is the order `sorted(key=(-score, pid))` gives."""
    part = np.argpartition(-scores, top - 1)[:top]
    threshold = scores[part].min()
    above = np.flatnonzero(scores > threshold)
    ties = np.flatnonzero(scores == threshold)[: top - len(above)]
    return np.concatenate([above, ties])


_NUMBER_WORDS = frozenset(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenti thirti forti fifti sixti seventi eighti nineti hundr thousand million billion dozen".split()
)
