"""Reading a sharded index as one: `ShardedIndex` offers the reader interface the ranking uses
(`reader.Index`'s), so `query/rank.py` runs unchanged and answers exactly as one index would.

Global numbers, global statistics: terms, forms, people and idf come from the statistics file
(the whole vocabulary); documents and passages are numbered as one index over the same files
numbers them; every posting is scored from its tf with the collection-wide idf and average
length, with the same formulas in the same order, so the floats are the same to the last bit.
BM25 top-k is asked of every shard (threads over the local shard files) and merged.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from sofa_cli.index import bm25
from sofa_cli.index.base_reader import DocTable, IndexReader
from sofa_cli.index.format import IndexFileError
from sofa_cli.index.postings import _top_positions
from sofa_cli.index.reader import Index
from sofa_cli.index.schema import DocInfo, StoredPassage
from sofa_cli.index.shard_scoring import SCORED, ClusterScorer, shard_top
from sofa_cli.index.shards import Manifest, ShardError, read_manifest

# Above this many postings for one question, the shards are scored by threads (numpy releases
# the GIL in its loops); below it, a thread costs more than the work.
THREAD_POSTINGS = 200_000


class _Shard:
    """One shard file and the maps from its numbers to the global ones."""

    def __init__(self, number: int, path: Path, index: Index, tids, deltas) -> None:
        self.number, self.path, self.index = number, path, index
        self.tids = tids  # local term id -> global (increasing)
        self.tid_view = _items(tids)
        self.deltas = deltas  # local document -> global minus local passage id
        self.delta_of = _items(deltas)
        self._np_arrays: dict[str, object] = {}
        self._views: dict[str, memoryview] = {}
        self._local_tids: dict[int, int | None] = {}

    def array(self, name: str):
        """A whole section as numpy, checked once (a shard's postings are read many times)."""
        arr = self._np_arrays.get(name)
        if arr is None:
            try:
                self.index._file.check(name, 0, self.index._file.count(name))
            except IndexFileError as err:
                raise ShardError(f"shard {self.path.name} is corrupt ({err}); rebuild with `sofa index --shards N --rebuild`")
            arr = self._np_arrays[name] = self.index._array(name)
        return arr

    def damaged(self, err: IndexFileError) -> ShardError:
        return ShardError(f"shard {self.path.name} is corrupt ({err}); rebuild with `sofa index --shards N --rebuild`")

    @contextmanager
    def reading(self):
        """Damage found while reading this shard (sections are checked as first read) is an
        error naming the shard."""
        try:
            yield self.index
        except IndexFileError as err:
            raise self.damaged(err)

    def view(self, name: str) -> memoryview:
        """A whole section for item look-ups at C speed (bisect, indexing), checked once."""
        found = self._views.get(name)
        if found is None:
            found = self._views[name] = _items(self.array(name))
        return found

    def local_tid(self, tid: int) -> int | None:
        """This shard's id of a global term (None when no passage of the shard holds it)."""
        try:
            return self._local_tids[tid]
        except KeyError:
            import numpy as np

            i = int(np.searchsorted(self.tids, tid))
            found = self._local_tids[tid] = i if i < len(self.tids) and self.tids[i] == tid else None
            return found

    def to_global(self, pids):
        """Local passage ids (numpy) -> global ones: each keeps its document's offset."""
        import numpy as np

        docs = np.searchsorted(self.array("doc_first"), pids, side="right") - 1
        return pids.astype(np.int64) + self.deltas[docs]


class _Docs(DocTable):
    """The documents in global order, each with its global first passage id."""

    def __init__(self, owner: ShardedIndex) -> None:
        super().__init__()
        self._owner = owner

    def __len__(self) -> int:
        return len(self._owner._doc_shard)

    def _load(self, i: int) -> DocInfo:
        o = self._owner
        with o._shards[o._doc_shard[i]].reading() as index:
            local = index.docs[o._doc_local[i]]
        return replace(local, first_passage=int(o._g_doc_first[i]), id=o._doc_ids.get(str(i), local.id))


class ShardedIndex(IndexReader):
    """A sharded index folder (its manifest, statistics file and shard files), read as one index."""

    def __init__(self, folder: Path, manifest: Manifest | None = None, cluster: str | None = None) -> None:
        """`cluster`: a Dask scheduler's address; each question's BM25 stage then runs on its
        workers, each holding its shards open between questions (`ClusterScorer`), instead of
        in threads of this process. Everything else (passages, vocabulary) is read here."""
        import numpy as np

        self.folder = folder
        manifest = manifest or read_manifest(folder)
        if manifest is None:
            raise ShardError(f"no sharded index in {folder} (build one with `sofa index DIR --shards N`)")
        self.manifest = manifest
        self.path = folder / "manifest.json"
        self._vocab = _open_checked(folder, manifest.stats, "statistics file")
        h = self._vocab.header
        self._read_header(h)
        self._doc_ids: dict[str, str] = h["doc_ids"]
        self.n_passages = h["n_passages"]
        self.n_terms = self._vocab.n_terms
        self.n_forms = self._vocab.n_forms
        self.idf = self._vocab.idf
        stats = self._vocab
        self._df = _items(_checked_array(stats, "df"))
        self._g_doc_first = _items(_checked_array(stats, "g_doc_first"))
        self._doc_shard = _items(_checked_array(stats, "doc_shard"))
        self._doc_local = _items(_checked_array(stats, "doc_local"))
        # The reader's hottest look-ups (once per word of every candidate), bound directly.
        self.term_of_form = self._vocab.term_of_form
        self.term_id = self._vocab.term_id
        self.stem_of = self._vocab.stem_of
        self._shards: list[_Shard] = []
        try:
            for i, entry in enumerate(manifest.shard_files):
                index = _open_checked(folder, entry, f"shard {i}")
                tids, deltas = _checked_array(stats, f"tid_{i}"), _checked_array(stats, f"delta_{i}")
                self._shards.append(_Shard(i, folder / entry["file"], index, tids, deltas))
        except BaseException:
            self.close()
            raise
        self.docs = _Docs(self)
        self._np = np
        # Connected on the first question that needs the workers: opening the index for a build
        # report, `sources` or `show` never waits for a scheduler.
        self._cluster_address = cluster
        self._cluster: ClusterScorer | None = None

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        if getattr(self, "_cluster", None) is not None:
            self._cluster.close()
            self._cluster = None
        for s in self._shards:
            s._np_arrays.clear()
            s.index.close()
        self._vocab.close()

    def check_all(self) -> None:
        self._vocab.check_all()
        for s in self._shards:
            try:
                s.index.check_all()
            except IndexFileError as err:
                raise ShardError(f"shard {s.path.name} is corrupt ({err}); rebuild with `sofa index --shards N --rebuild`")

    @property
    def header(self) -> dict:
        return self._vocab.header

    # -- vocabulary: the statistics file holds the whole corpus's ------------------------
    def term_id(self, term: str) -> int | None:
        return self._vocab.term_id(term)

    def term(self, tid: int) -> str:
        return self._vocab.term(tid)

    def is_number(self, tid: int) -> bool:
        return self._vocab.is_number(tid)

    def synonyms_of(self, term: str) -> dict[str, str]:
        return self._vocab.synonyms_of(term)

    def stem_of(self, form: str) -> str | None:
        return self._vocab.stem_of(form)

    def term_of_form(self, form: str) -> int | None:
        return self._vocab.term_of_form(form)

    def form_candidates(self, form: str, limit: int, use_histograms: bool | None = None) -> Iterable[int]:
        return self._vocab.form_candidates(form, limit, use_histograms)

    def form(self, i: int) -> str:
        return self._vocab.form(i)

    def form_term_id(self, i: int) -> int:
        return self._vocab.form_term_id(i)

    def doc_freq(self, tid: int) -> int:
        return int(self._df[tid])

    # -- documents and passages ------------------------------------------------------------
    def _locate(self, pid: int) -> tuple[_Shard, int, int]:
        """(shard, local passage id, global document) of a global passage id."""
        if not 0 <= pid < self.n_passages:
            raise IndexError(pid)
        d = bisect_right(self._g_doc_first, pid) - 1
        shard = self._shards[self._doc_shard[d]]
        return shard, pid - shard.delta_of[self._doc_local[d]], d

    def passage(self, pid: int) -> StoredPassage:
        shard, local, d = self._locate(pid)
        with shard.reading() as index:
            p = index.passage(local)
        offset = pid - local
        return replace(p, pid=pid, doc=self.docs[d], prompt_pid=p.prompt_pid + offset if p.prompt_pid >= 0 else -1)

    def passage_doc(self, pid: int) -> DocInfo:
        """The document holding passage `pid`."""
        return self.docs[self._locate(pid)[2]]

    def passage_text(self, pid: int) -> str:
        shard, local, _ = self._locate(pid)
        with shard.reading() as index:
            return index.passage_text(local)

    def is_question_turn(self, pid: int) -> bool:
        # A prompt lies in its answer's document, whose passages are consecutive in both numberings.
        shard, local, _ = self._locate(pid)
        try:
            return shard.index.is_question_turn(local)
        except IndexFileError as err:
            raise shard.damaged(err)

    def sentence_terms(self, pid: int) -> list[list[int]] | None:
        """The shard's stored sentence terms, mapped to global ids: a passage's words are all in
        its own shard's vocabulary (the shard was compiled from them), and a form stems to the
        same term in every shard, so the mapped ids are what tokenising the sentence against the
        whole vocabulary gives (tests/test_shards.py), without tokenising a hundred candidates
        per question. None where the shard stores none (the caller tokenises)."""
        shard, local, _ = self._locate(pid)
        try:
            stored = shard.index.sentence_terms(local)
        except IndexFileError as err:
            raise shard.damaged(err)
        if stored is None:
            return None
        tids = shard.tid_view
        return [[tids[t] for t in sequence] for sequence in stored]

    def title_terms(self, pid: int) -> None:
        """None: titles are tokenised against the global vocabulary. A shard looked its titles'
        words up in its own vocabulary, so a title word only other shards' passages hold is
        missing from what it stored: mapped, it would differ from one index's title terms."""
        return None

    def passages_with(self, tid: int) -> Sequence[int]:
        np = self._np
        parts = []
        for s in self._shards:
            lt = s.local_tid(tid)
            if lt is not None:
                off = s.array("post_off")
                parts.append(s.to_global(s.array("post_pid")[off[lt] : off[lt + 1]]))
        if not parts:
            return []
        return np.sort(np.concatenate(parts)).tolist()

    def occurs_between(self, tid: int, first_pid: int, end_pid: int) -> bool:
        if end_pid <= first_pid:
            return False
        shard, local, d = self._locate(first_pid)
        if end_pid <= self._g_doc_first[d + 1]:  # one document's passages: ask its shard
            lt = shard.local_tid(tid)
            try:  # (not `with shard.reading()`: this runs for every question term and candidate document)
                return lt is not None and shard.index.occurs_between(lt, local, local + (end_pid - first_pid))
            except IndexFileError as err:
                raise shard.damaged(err)
        pids = self.passages_with(tid)
        i = bisect_left(pids, first_pid)
        return i < len(pids) and pids[i] < end_pid

    # -- scoring: tf with the collection-wide statistics -----------------------------------
    def impact(self, tid: int, pid: int) -> float:
        shard, local, _ = self._locate(pid)
        lt = shard.local_tid(tid)
        if lt is None:
            return 0.0
        off = shard.view("post_off")
        a, b = off[lt], off[lt + 1]
        pids = shard.view("post_pid")
        i = bisect_left(pids, local, a, b)
        if i >= b or pids[i] != local:
            return 0.0
        return bm25.impact(self.params, self.idf[tid], shard.view("post_tf")[i], shard.view("p_len")[local], self.avgdl)

    def _query_terms(self, shard: _Shard, term_ids: list[int]) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """The query terms this shard holds, as its own ids, each with its global idf (in query order)."""
        local, idfs = [], []
        for tid in term_ids:
            lt = shard.local_tid(tid)
            if lt is not None:
                local.append(lt)
                idfs.append(float(self.idf[tid]))
        return tuple(local), tuple(idfs)

    def _shard_scores(self, shard: _Shard, term_ids: list[int], base: float, top: int | None):
        """One shard's BM25 sums for the query (global pids, scores), its best `top` only."""
        local, idfs = self._query_terms(shard, term_ids)
        arrays = tuple(shard.array(n) for n in SCORED)
        matched, scores = shard_top(self._np, arrays, local, idfs, self.params, self.avgdl, base, top)
        return shard.to_global(matched), scores

    def bm25(self, term_ids: Iterable[int], top: int | None = None, use_numpy: bool | None = None) -> dict[int, float]:
        """`Index.bm25` over every shard: the same floats (each passage's weights summed in query
        order, the constants added last), each shard's best `top` merged into the global best
        `top`, ties broken by global passage id."""
        np = self._np
        term_ids = list(term_ids)
        base = sum(bm25.constant(self.params, self.idf[t]) for t in term_ids)
        postings = sum(self.doc_freq(t) for t in term_ids)
        if self._cluster_address is not None:  # each shard scored by the worker that holds it open
            if self._cluster is None:
                self._cluster = ClusterScorer(self._cluster_address, self)
            parts = self._cluster.scores(self, term_ids, base, top)
        elif len(self._shards) > 1 and postings > THREAD_POSTINGS:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(len(self._shards), 8)) as pool:
                parts = list(pool.map(lambda s: self._shard_scores(s, term_ids, base, top), self._shards))
        else:
            parts = [self._shard_scores(s, term_ids, base, top) for s in self._shards]
        pids = np.concatenate([p for p, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
        scores = np.concatenate([s for _, s in parts]) if parts else np.zeros(0)
        if top is not None and len(scores) > top:
            order = np.argsort(pids, kind="stable")  # _top_positions breaks ties by position
            pids, scores = pids[order], scores[order]
            keep = _top_positions(np, scores, top)
            pids, scores = pids[keep], scores[keep]
        return dict(zip(pids.tolist(), scores.tolist()))


REBUILD = "rebuild with `sofa index DIR --shards N`"


def _open_checked(folder: Path, entry: dict, what: str) -> Index:
    """A file the manifest names, opened and compared with what the manifest recorded of it:
    a missing, replaced or damaged file is an error naming it, never a partial answer."""
    path = folder / entry["file"]
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ShardError(f"{what} ({path}) is missing: {err.strerror or err}; rebuild with `sofa index --shards N`")
    if size != entry["size"]:
        raise ShardError(f"{what} ({path}) is not the one the manifest names (size differs); {REBUILD}")
    try:
        index = Index(path)
    except IndexFileError as err:
        raise ShardError(f"{what} ({path}) is corrupt ({err}); rebuild with `sofa index --shards N --rebuild`")
    if index.header.get("block_crc") != entry["block_crc"]:
        index.close()
        raise ShardError(f"{what} ({path}) is not the one the manifest names (checksum differs); {REBUILD}")
    return index


def _items(arr) -> memoryview:
    """A little-endian numpy array (as sections are stored) as a native memoryview: its items
    read as Python ints at C speed (bisect, indexing), where a numpy scalar costs a microsecond."""
    return memoryview(arr).cast("B").cast(arr.dtype.char)


def _checked_array(index: Index, name: str, what: str = "statistics file"):
    try:
        index._file.check(name, 0, index._file.count(name))
    except IndexFileError as err:
        what = f"{what} {index.path.name}" if what == "statistics file" else what
        raise ShardError(f"{what} is corrupt ({err}); rebuild with `sofa index --shards N --rebuild`")
    return index._array(name)
