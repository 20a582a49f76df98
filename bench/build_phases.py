"""Where a build's memory and time go: peak RSS, seconds and CPU seconds of each phase of one
`sofa index` build.

    python bench/build_phases.py CORPUS WORKDIR

Phases: parse + accumulate (files parsed by the workers, documents added to the compiler,
postings counted and, past the budget, written out as runs), finish (vocabulary sorted,
runs merged, impacts computed) and write (the index file written). CPU seconds are the building
process's and its parse workers' (getrusage; a worker's count once it has ended). The building process's
RSS is read from /proc every 20 ms by a thread; the parse workers' peak is the largest
child's (getrusage). Prints one JSON line. Run it from a checkout (it imports the sofa_cli
beside it), e.g. an earlier commit's `git worktree`, to compare two builds.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Phases:
    """The current phase's name and, per phase, its peak RSS and its seconds."""

    def __init__(self) -> None:
        self.name, self.started = "start", time.perf_counter()
        self.peak: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, list[float]] = {}  # per phase: [building process, parse workers]
        self.cpu_at = _cpu()
        self.done = False

    def enter(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[self.name] = self.seconds.get(self.name, 0.0) + now - self.started
        cpu = _cpu()
        spent = self.cpu.setdefault(self.name, [0.0, 0.0])
        for i in (0, 1):
            spent[i] += cpu[i] - self.cpu_at[i]
        self.name, self.started, self.cpu_at = name, now, cpu
        self.sample()

    def sample(self) -> None:
        self.peak[self.name] = max(self.peak.get(self.name, 0.0), rss_mb())

    def watch(self) -> None:
        while not self.done:
            self.sample()
            time.sleep(0.02)


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    corpus, work = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    from sofa_cli.index import cache, compiler, format

    phases = Phases()
    finish, write_index = compiler.Compiler.finish, format.write_index

    def timed_finish(self, *args, **kwargs):
        phases.enter("finish")
        try:
            return finish(self, *args, **kwargs)
        finally:
            phases.enter("write")

    def timed_write(*args, **kwargs):
        phases.enter("write")
        return write_index(*args, **kwargs)

    compiler.Compiler.finish = timed_finish
    cache.write_index = timed_write
    watcher = threading.Thread(target=phases.watch, daemon=True)
    watcher.start()
    phases.enter("parse + accumulate")
    opened = cache.open_index(corpus, index_dir=str(work), rebuild=True)
    phases.enter("end")
    phases.done = True
    watcher.join()
    print(
        json.dumps(
            {
                "passages": opened.report.passages if opened.report else None,
                "phases": {
                    name: {
                        "peak_mb": round(phases.peak.get(name, 0.0), 1),
                        "seconds": round(phases.seconds.get(name, 0.0), 2),
                        "cpu_s": [round(x, 2) for x in phases.cpu.get(name, [0.0, 0.0])],
                    }
                    for name in ("parse + accumulate", "finish", "write")
                },
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                "peak_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
