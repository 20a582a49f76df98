"""The build's worker processes: results in order, a worker's error raised in the build,
a killed worker reported, and no worker left behind however the iteration ends."""

import os
import signal

import pytest

from sofa_cli.index.workers import WorkerDied, ordered_map


def _nothing():
    pass


def _square_slowly_first(n):
    if n == 0:
        import time

        time.sleep(0.3)  # the first job finishes last: the results must still come in order
    return n * n


def _fail_on_three(n):
    if n == 3:
        raise ValueError("three")
    return n


def _die_on_three(n):
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def _pid(_n):
    return os.getpid()


def test_results_come_in_the_order_of_the_jobs():
    assert list(ordered_map(_square_slowly_first, range(20), 2, _nothing)) == [n * n for n in range(20)]


def test_a_workers_error_is_raised_in_the_build():
    with pytest.raises(ValueError, match="three"):
        list(ordered_map(_fail_on_three, range(10), 2, _nothing))


def test_a_killed_worker_is_reported_not_waited_for():
    with pytest.raises(WorkerDied):
        list(ordered_map(_die_on_three, range(10), 2, _nothing))


def test_closing_early_ends_every_worker():
    results = ordered_map(_pid, range(50), 2, _nothing)
    pids = {next(results), next(results), next(results)}
    results.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
