"""A sharded index's BM25 stage, shard by shard: `shard_top` scores one shard's postings with
the collection-wide statistics (the same function for local threads and a cluster's workers,
so the floats are the same), and `ClusterScorer` runs it on a Dask cluster's workers, each
keeping its shards open between questions (`score_on_worker`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sofa_cli.index import bm25
from sofa_cli.index.postings import _top_positions
from sofa_cli.index.reader import Index

if TYPE_CHECKING:
    from sofa_cli.index.sharded_reader import ShardedIndex

# The sections a shard's BM25 stage reads.
SCORED = ("post_off", "post_pid", "post_tf", "p_len")


def shard_top(np, arrays, local_terms, idfs, params, avgdl: float, base: float, top: int | None):
    """One shard's BM25 sums for the query terms it holds (its own term ids, each with its global
    idf), its best `top` as (local passage ids, scores): one function for the local threads and
    for a cluster's workers, so both compute each float by the same operations."""
    off, post_pid, post_tf, p_len = arrays
    pids, weights = [], []
    for lt, idf in zip(local_terms, idfs):
        a, b = int(off[lt]), int(off[lt + 1])
        ids = post_pid[a:b]
        pids.append(ids)
        # Exactly the compiler's expression (bm25.impacts), with the collection-wide statistics.
        weights.append(bm25.impacts(params, idf, post_tf[a:b], p_len[ids], avgdl))
    if not pids:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    ids, w = np.concatenate(pids), np.concatenate(weights)
    matched, where = np.unique(ids, return_inverse=True)
    scores = np.bincount(where.ravel(), weights=w)
    if base:
        scores += base
    if top is not None and len(scores) > top:
        keep = _top_positions(np, scores, top)
        matched, scores = matched[keep], scores[keep]
    return matched, scores


# -- on a cluster's workers: shards kept open between questions -------------------------------


class ShardQuery(NamedTuple):
    """One shard's part of one question, as sent to the worker holding the shard: small (the
    query's terms as the shard numbers them, their global idf), never postings."""

    path: str
    block_crc: int
    size: int
    terms: tuple[int, ...]
    idfs: tuple[float, ...]
    params: dict
    avgdl: float
    base: float
    top: int | None


# Shards open in this (worker) process, by (path, block checksum): opened and checked once, then
# every question reads their mapped, already-checked postings. A new generation's shard has a
# new path, so an entry is never stale; the oldest are closed beyond WORKER_SHARDS.
_OPEN_SHARDS: dict[tuple[str, int], tuple[Index, tuple]] = {}
_OPENINGS: dict[str, int] = {}  # path -> times this process opened it (tests/test_cluster.py)
WORKER_SHARDS = 256


def _open_on_worker(path: str, block_crc: int, size: int) -> tuple:
    from sofa_cli.index.sharded_reader import _checked_array, _open_checked

    key = (path, block_crc)
    found = _OPEN_SHARDS.get(key)
    if found is None:
        entry = {"file": Path(path).name, "size": size, "block_crc": block_crc}
        index = _open_checked(Path(path).parent, entry, f"shard {Path(path).name}")
        try:
            arrays = tuple(_checked_array(index, name, f"shard {Path(path).name}") for name in SCORED)
        except BaseException:
            index.close()
            raise
        while len(_OPEN_SHARDS) >= WORKER_SHARDS:
            _OPEN_SHARDS.pop(next(iter(_OPEN_SHARDS)))[0].close()
        found = _OPEN_SHARDS[key] = (index, arrays)
        _OPENINGS[path] = _OPENINGS.get(path, 0) + 1
    return found[1]


def score_on_worker(query: ShardQuery):
    """A worker's task: the best candidates of the shard it holds (opened on first use)."""
    import numpy as np

    arrays = _open_on_worker(query.path, query.block_crc, query.size)
    return shard_top(np, arrays, query.terms, query.idfs, bm25.BM25Params(**query.params), query.avgdl, query.base, query.top)


def opened_on_worker() -> dict[str, int]:
    """The shard files this worker process holds open, each with how many times it opened it
    (for tests and diagnostics: each should be 1, however many questions were asked)."""
    return {path: _OPENINGS[path] for path, _ in _OPEN_SHARDS}


class ClusterScorer:
    """The BM25 stage of a sharded index on a Dask cluster's workers: shard i is sent to one
    worker (its home, i modulo the workers, so each worker opens its shards once and keeps them),
    each question's per-shard tasks go to their homes, and the best candidates come back to be
    merged here. A home that has gone is replaced by any worker (a loose restriction): it opens
    the shard from the shared filesystem, and the answer is the same."""

    def __init__(self, address: str, index: ShardedIndex) -> None:
        from sofa_cli.cluster import connect

        self.address = address
        self.client = connect(address)
        try:
            workers = sorted(self.client.scheduler_info()["workers"])
            if not workers:
                self.client.wait_for_workers(1, timeout=CLUSTER_WAIT)
                workers = sorted(self.client.scheduler_info()["workers"])
        except (OSError, TimeoutError) as err:
            self.client.close()
            raise self._lost(err)
        entries = index.manifest.shard_files
        self.home = [workers[i % len(workers)] for i in range(len(entries))]
        self.files = [(str(index.folder / e["file"]), e["block_crc"], e["size"]) for e in entries]

    def scores(self, index: ShardedIndex, term_ids: list[int], base: float, top: int | None):
        """Each shard's (global pids, scores) for the query, computed by the workers."""
        import asyncio

        from distributed.client import FutureCancelledError

        params = index.params.record()
        asked, futures = [], []
        for shard, (path, crc, size), home in zip(index._shards, self.files, self.home):
            local, idfs = index._query_terms(shard, term_ids)
            if not local:  # no term of the question in this shard: nothing to ask it
                continue
            query = ShardQuery(path, crc, size, local, idfs, params, index.avgdl, base, top)
            futures.append(self.client.submit(score_on_worker, query, workers=[home], allow_other_workers=True, pure=False))
            asked.append(shard)
        try:
            results = self.client.gather(futures)
        except (FutureCancelledError, asyncio.CancelledError, OSError, TimeoutError) as err:
            raise self._lost(err)
        return [(shard.to_global(matched), scores) for shard, (matched, scores) in zip(asked, results)]

    def _lost(self, err: BaseException):
        from sofa_cli.cluster import first_line
        from sofa_cli.index.shards import ClusterError

        return ClusterError(f"the Dask cluster at {self.address} stopped answering ({first_line(err)})")

    def close(self) -> None:
        self.client.close()


# How long a question waits for a cluster with no workers yet to get one.
CLUSTER_WAIT = 30.0
