"""An index file's BM25 postings: the passages holding a term, and BM25 sums over them, each
impact computed from the stored tf and passage length (`bm25.impact`/`impacts`: the same
floats either way). `reader.Index` is made of this and the look-ups of the file's other sections.
"""

from __future__ import annotations

import heapq
import sys
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from sofa_cli.index import bm25

# A query whose terms have more postings than this is scored with numpy; below it, pure
# Python is faster than importing numpy (~55 ms), which a small corpus never needs. Once
# numpy is imported (a long session, a large index), it pays from far fewer postings.
NUMPY_POSTINGS = 50_000


NUMPY_LOADED_POSTINGS = 1_000


class Postings:
    """The BM25 stage of `reader.Index`: reads its `_post_off`, `_post_pid`, `_post_tf`,
    `_p_len`, `idf`, `params`, `avgdl` and `n_passages`, and `_array`/`_file` for numpy views."""

    def passages_with(self, tid: int) -> Sequence[int]:
        """The ids of the passages holding the term, ascending."""
        return self._post_pid[self._post_off[tid] : self._post_off[tid + 1]]

    def doc_freq(self, tid: int) -> int:
        return self._post_off[tid + 1] - self._post_off[tid]

    def bm25(self, term_ids: Iterable[int], top: int | None = None, use_numpy: bool | None = None) -> dict[int, float]:
        """BM25 scores (the model's exact values) of the passages matching any of `term_ids`.

        Repeated ids count again, as rank-bm25 does with repeated query tokens. With `top`,
        only the `top` best passages (ties broken by passage id), which is all a ranking
        needs and, at a million passages, far cheaper than a dict of every match. Both ways
        of summing give the same floats; `use_numpy` forces one (default: by postings count).
        """
        term_ids = list(term_ids)
        base = sum(bm25.constant(self.params, self.idf[t]) for t in term_ids)
        if use_numpy is None:
            postings = sum(self.doc_freq(t) for t in term_ids)
            use_numpy = postings > NUMPY_POSTINGS or (postings > NUMPY_LOADED_POSTINGS and "numpy" in sys.modules)
        if use_numpy:
            return self._bm25_numpy(term_ids, base, top)
        scores: dict[int, float] = {}
        get = scores.get
        params, avgdl, p_len, impact = self.params, self.avgdl, self._p_len, bm25.impact
        for tid in term_ids:
            a, b, idf = self._post_off[tid], self._post_off[tid + 1], self.idf[tid]
            # A term's impact depends on (tf, length) only, and few pairs recur.
            known: dict[tuple[int, int], float] = {}
            for pid, tf in zip(self._post_pid[a:b], self._post_tf[a:b]):
                key = (tf, p_len[pid])
                w = known.get(key)
                if w is None:
                    w = known[key] = impact(params, idf, tf, key[1], avgdl)
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
        a, b = self._post_off[tid], self._post_off[tid + 1]
        pids = self._post_pid[a:b]  # checked once here, then searched at C speed
        i = bisect_left(pids, pid)
        if i < len(pids) and pids[i] == pid:
            return bm25.impact(self.params, self.idf[tid], self._post_tf[a + i], self._p_len[pid], self.avgdl)
        return 0.0

    def occurs_between(self, tid: int, first_pid: int, end_pid: int) -> bool:
        """Whether the term occurs in any passage first_pid <= pid < end_pid (e.g. one document's)."""
        pids = self._post_pid[self._post_off[tid] : self._post_off[tid + 1]]
        i = bisect_left(pids, first_pid)
        return i < len(pids) and pids[i] < end_pid

    def occurs_in_ranges(self, tid: int, ranges: Sequence[tuple[int, int]]) -> list[bool]:
        """`occurs_between` for many ranges (a question's candidate documents) with one search
        of the term's postings when numpy is loaded: one look-up per term and document was
        a tenth of a question at 1M."""
        a, b = self._post_off[tid], self._post_off[tid + 1]
        if len(ranges) < 2 or b - a < NUMPY_LOADED_POSTINGS or "numpy" not in sys.modules:
            return [self.occurs_between(tid, first, end) for first, end in ranges]
        import numpy as np

        self._file.check("post_pid", a, b)
        pids = self._array("post_pid")[a:b]
        firsts, ends = np.array(ranges, dtype=np.int64).T
        at = np.searchsorted(pids, firsts)
        found = pids[np.minimum(at, len(pids) - 1)]
        return ((at < len(pids)) & (found < ends)).tolist()

    def _bm25_numpy(self, term_ids: list[int], base: float, top: int | None) -> dict[int, float]:
        """The same sums as the pure path, in the same order (so the same floats), vectorised.

        Each term's impacts are computed with bm25.impacts, whose operations are bm25.impact's
        in the same order (the same floats as the pure path). np.bincount adds each passage's
        weights in input order, term by term, exactly as the dict loop does; the per-term
        constant is added last, as there.
        """
        import numpy as np

        post_pid, post_tf, p_len = self._array("post_pid"), self._array("post_tf"), self._array("p_len")
        self._file.check("p_len", 0, self.n_passages)  # (once: then every block is marked checked)
        spans = [(self._post_off[t], self._post_off[t + 1]) for t in term_ids]
        for a, b in spans:
            self._file.check("post_pid", a, b)
            self._file.check("post_tf", a, b)
        parts = [post_pid[a:b] for a, b in spans]
        pids = np.concatenate(parts)
        weights = np.concatenate(
            [
                bm25.impacts(self.params, self.idf[t], post_tf[a:b], p_len[ids], self.avgdl)
                for t, (a, b), ids in zip(term_ids, spans, parts)
            ]
        )
        if len(pids) * 4 < self.n_passages:
            # The matched passages (sorted, once each) and each posting's place among them: a
            # sort costs less than np.unique's argsort (6.0 against 7.1 CPU ms a question at 1M;
            # the same arrays), and the places are read from a table indexed by passage id,
            # written at the matched ones only (what np.searchsorted(matched, pids) gives, at a
            # third of its cost: 1.3 against 3.0 CPU ms a question at 1M).
            ordered = np.sort(pids)
            first = np.empty(len(ordered), dtype=bool)
            first[:1] = True
            np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
            matched = ordered[first]
            place = np.empty(self.n_passages, dtype=np.int32 if self.n_passages < 1 << 31 else np.int64)
            place[matched] = np.arange(len(matched), dtype=place.dtype)
            scores = np.bincount(place[pids], weights=weights)
        else:
            dense = np.bincount(pids, weights=weights, minlength=self.n_passages)
            # The matched passages marked rather than counted: 12 against 19 ms with bincount's
            # counts at 1M, for the 1.1M postings of the bylines' terms ("who wrote ...?").
            hit = np.zeros(self.n_passages, dtype=bool)
            hit[pids] = True
            matched = np.flatnonzero(hit)
            scores = dense[matched]
        if base:
            scores += base
        if top is not None and len(scores) > top:
            keep = _top_positions(np, scores, top)
            matched, scores = matched[keep], scores[keep]
        return dict(zip(matched.tolist(), scores.tolist()))


def _top_positions(np, scores, top: int):
    """Positions of the `top` highest scores; among equal scores the lowest positions
    (passage ids are sorted), which is the order `sorted(key=(-score, pid))` gives."""
    part = np.argpartition(-scores, top - 1)[:top]
    threshold = scores[part].min()
    above = np.flatnonzero(scores > threshold)
    ties = np.flatnonzero(scores == threshold)[: top - len(above)]
    return np.concatenate([above, ties])
