"""Worker processes for a build: jobs run across processes, results handed back in order.

Not `multiprocessing.Pool`: its workers take jobs from one shared queue behind one lock, and
`Pool.terminate` takes that lock, so a worker blocked (or killed) while holding it made an
interrupted build wait for ever (1 run in 7 under Ctrl-C, and once in CI). Here each worker
has its own pipe and nothing is shared: ending the build is killing the workers.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed, or out of memory)."""


def _serve(conn, others, function: Callable, initializer: Callable, initargs: tuple) -> None:
    """A worker: ignores Ctrl-C (it reaches the whole process group; the build handles it
    and ends the workers), answers each job on its pipe until the pipe closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for other in others:  # the build's ends of the pipes: held here, they would never read as closed
        other.close()
    initializer(*initargs)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the build has ended
            return
        try:
            answer = (True, function(job))
        except BaseException as err:  # noqa: BLE001 - handed to the build, which raises it
            answer = (False, err)
        try:
            conn.send(answer)
        except (BrokenPipeError, OSError):
            return


def ordered_map(
    function: Callable[[Any], Any],
    jobs: Iterable[Any],
    processes: int,
    initializer: Callable[..., None],
    initargs: tuple = (),
    ahead: int = 2,
) -> Iterator[Any]:
    """`map(function, jobs)` across `processes` forked workers, each set up by `initializer`.

    Each worker holds at most `ahead` jobs, so the results waiting for an earlier one are
    bounded (memory stays flat however many files). Whatever ends the iteration (the last
    result, an error, the generator closed by Ctrl-C) kills the workers; a worker's error is
    raised here; a worker that dies raises `WorkerDied`."""
    import multiprocessing
    from multiprocessing.connection import wait

    from sofa_cli.index import preload

    preload.wait()  # a child forked during an import would inherit its locks held
    context = multiprocessing.get_context("fork")
    workers: list[tuple[Any, Any]] = []
    try:
        # The objects a worker inherits (the modules, the Punkt model) are frozen out of the
        # cyclic collector while it forks: the worker's collections then never write to
        # their headers, so their pages stay shared with the building process instead of
        # being copied into each worker (bench/results/build_memory.md).
        gc.freeze()
        try:
            for _ in range(processes):
                parent, child = context.Pipe()
                others = [conn for _, conn in workers] + [parent]
                process = context.Process(target=_serve, args=(child, others, function, initializer, initargs), daemon=True)
                process.start()
                child.close()
                workers.append((process, parent))
        finally:
            gc.unfreeze()  # the building process collects them as before
        waiting: dict[Any, deque[int]] = {conn: deque() for _, conn in workers}
        numbered = enumerate(jobs)
        done: dict[int, Any] = {}
        following = 0

        def hand_out(conn) -> None:
            item = next(numbered, None)
            if item is not None:
                conn.send(item[1])
                waiting[conn].append(item[0])

        for _ in range(ahead):
            for conn in waiting:
                hand_out(conn)
        while any(waiting.values()):
            for conn in wait([conn for conn, numbers in waiting.items() if numbers]):
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    raise WorkerDied("a parse worker process ended without answering") from None
                if not ok:
                    raise value
                done[waiting[conn].popleft()] = value
                hand_out(conn)
            while following in done:
                yield done.pop(following)
                following += 1
    finally:
        for process, conn in workers:
            if process.is_alive():
                try:
                    os.kill(process.pid, 9)
                except ProcessLookupError:
                    pass
            conn.close()
        for process, _ in workers:
            process.join()
