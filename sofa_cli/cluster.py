"""Running shard builds on Dask: a scheduler's workers (`--cluster tcp://HOST:8786` or
SOFA_CLUSTER), or a local cluster of one process per core; and connecting to the scheduler whose
workers answer questions of a sharded index (`shard_scoring.ClusterScorer`).

Dask is the `cluster` extra; nothing else in sofa imports it, so asking an ordinary index never
pays for it. Workers read corpus files and write shard files by path: the corpus and the index
folder must be on a filesystem every worker sees (docs/scale.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from sofa_cli.index.shards import ClusterError, ShardJob, ShardResult

EXTRA = "pip install 'sofa-cli[cluster]'"
# How long to wait for a scheduler to answer before saying it cannot be reached.
CONNECT_SECONDS = 10.0
# How many times a task may fail with an error before the build gives up (a worker that dies
# is Dask's to handle: its tasks are rescheduled on the others, up to
# `distributed.scheduler.allowed-failures` deaths per task).
RETRIES = 2


def require_dask() -> None:
    """Fail with one line naming the extra when Dask is not installed."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterError(f"sharded builds need Dask: {EXTRA}")


def dask_runner(address: str | None = None, workers: int | None = None, connect_seconds: float | None = None):
    """A `shards.Runner` that builds each shard as one Dask task: on the scheduler at `address`,
    or on a local cluster of `workers` processes (default: one per core) started for the build.
    `connect_seconds` (default $SOFA_CLUSTER_TIMEOUT, else CONNECT_SECONDS) bounds the wait for
    the scheduler to answer.

    Checks now that Dask is importable, so a missing extra fails before any work."""
    require_dask()
    if connect_seconds is None:
        connect_seconds = float(os.environ.get("SOFA_CLUSTER_TIMEOUT") or CONNECT_SECONDS)

    def run(build: Callable[[ShardJob], ShardResult], jobs: Sequence[ShardJob]) -> list[ShardResult]:
        import asyncio
        import logging

        from distributed import Client, LocalCluster
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        logging.getLogger("distributed").setLevel(logging.ERROR)
        cluster = None
        try:
            if address:
                client = connect(address, connect_seconds)
            else:
                n = workers or os.cpu_count() or 1
                cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
                )
                client = Client(cluster)
            try:
                futures = client.map(build, jobs, pure=False, retries=RETRIES)
                return client.gather(futures)
            except KilledWorker as err:
                raise ClusterError(f"a shard build killed every worker that ran it ({first_line(err)})")
            except (FutureCancelledError, asyncio.CancelledError, OSError, TimeoutError) as err:
                # The scheduler went away mid-build (its connection closed, its futures cancelled).
                raise ClusterError(f"the Dask cluster lost the build ({first_line(err)}); the previous index still answers")
            finally:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    return run


def connect(address: str, connect_seconds: float | None = None):
    """A Dask client of the scheduler at `address`, or one line saying it cannot be reached
    (within `connect_seconds`, default $SOFA_CLUSTER_TIMEOUT, else CONNECT_SECONDS)."""
    require_dask()
    import logging

    from distributed import Client

    if connect_seconds is None:
        connect_seconds = float(os.environ.get("SOFA_CLUSTER_TIMEOUT") or CONNECT_SECONDS)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    try:
        return Client(address, timeout=connect_seconds)
    except (OSError, TimeoutError) as err:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({first_line(err)}); is it running?")


@contextmanager
def local_query_cluster(workers: int = 2):
    """A local Dask cluster of `workers` single-threaded processes for the length of the block,
    its scheduler's address yielded (bench/scale/shards.py queries shards held open on it)."""
    require_dask()
    import logging

    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:200]
