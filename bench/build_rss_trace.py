"""Where a build's peak memory is: its RSS sampled every 10 ms beside the building thread's
innermost sofa_cli frames, and the whole process tree's (the building process and its
forked parse workers) RSS and PSS every 15 ms (bench/tree_memory.py), for one build.

    python bench/build_rss_trace.py CORPUS WORKDIR [--top 10]

Prints the highest RSS seen at each place (file.function:line < caller < caller), the RSS
every 2 s with the tree's RSS and PSS sums, where the building thread was when the tree's
PSS sum peaked, and last one JSON line: peak RSS of the building process and of its largest
child (a parse worker) and their CPU seconds (getrusage), beside the tree's sampled peaks
(`tree_peak_pss_mb`: the memory the build takes at once, shared pages counted once). Run it
from a checkout (it imports the sofa_cli beside it), e.g. an earlier commit's `git archive`, to compare two builds. The
sampling costs the building process some CPU: take CPU figures from bench/scale/systems.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


class Sampler:
    """RSS and the place the building thread is at, every 10 ms, from a thread."""

    def __init__(self, thread_id: int) -> None:
        self.thread_id, self.done = thread_id, False
        self.peaks: dict[str, float] = {}
        self.timeline: list[tuple[float, float, str]] = []

    def place(self) -> str:
        frame = sys._current_frames().get(self.thread_id)
        names = []
        while frame is not None and len(names) < 3:
            if "sofa_cli" in frame.f_code.co_filename:
                names.append(f"{Path(frame.f_code.co_filename).stem}.{frame.f_code.co_name}:{frame.f_lineno}")
            frame = frame.f_back
        return " < ".join(names)

    def run(self) -> None:
        started = last = time.perf_counter()
        while not self.done:
            rss, place = rss_mb(), self.place()
            self.peaks[place] = max(self.peaks.get(place, 0.0), rss)
            if time.perf_counter() - last >= 2:
                last = time.perf_counter()
                self.timeline.append((round(last - started, 1), round(rss), place))
            time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    from tree_memory import TreeSampler

    from sofa_cli.index import cache

    sampler = Sampler(threading.get_ident())
    watcher = threading.Thread(target=sampler.run, daemon=True)
    tree_sampler = TreeSampler()
    at_tree_peak = {"pss": 0, "place": ""}

    def note_place(_seconds: float, _rss: int, pss: int) -> None:
        if pss > at_tree_peak["pss"]:
            at_tree_peak.update(pss=pss, place=sampler.place())

    tree_sampler.on_sample = note_place
    watcher.start()
    tree_sampler.start()
    opened = cache.open_index(args.corpus.resolve(), index_dir=str(args.work), rebuild=True)
    sampler.done = True
    watcher.join()
    tree = tree_sampler.stop()
    for place, rss in sorted(sampler.peaks.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{rss:7.0f} MB  {place}")
    print("RSS every 2 s:")
    for seconds, rss, place in sampler.timeline:
        print(f"{seconds:8.1f} s {rss:5.0f} MB  {place}")
    print("Process tree every 2 s (RSS sum, PSS sum, processes):")
    for seconds, rss, pss, alive in tree_sampler.timeline:
        print(f"{seconds:8.1f} s {rss / 1024:5.0f} MB {pss / 1024:5.0f} MB  {alive}")
    peak_at = f"{tree['tree_peak_pss_mb']} MB at {tree['tree_peak_pss_at_s']} s"
    print(f"tree PSS peak {peak_at}, building thread at: {at_tree_peak['place']}")
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "passages": opened.report.passages if opened.report else None,
                "peak_mb": own.ru_maxrss // 1024,
                "peak_worker_mb": kids.ru_maxrss // 1024,
                "cpu_s": round(own.ru_utime + own.ru_stime, 2),
                "cpu_children_s": round(kids.ru_utime + kids.ru_stime, 2),
                **tree,
            }
        )
    )


if __name__ == "__main__":
    main()
