"""Where a build's peak memory is: its RSS sampled every 10 ms beside the building thread's
innermost sofa_cli frames, for one `sofa index` build.

    python bench/build_rss_trace.py CORPUS WORKDIR [--top 10]

Prints the highest RSS seen at each place (file.function:line < caller < caller), the RSS
every 2 s, and last one JSON line: peak RSS of the building process and of its largest child
(a parse worker), and their CPU seconds (getrusage). Run it from a checkout (it imports the
sofa_cli beside it), e.g. an earlier commit's `git archive`, to compare two builds. The
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
sys.path.insert(0, str(ROOT))


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
    from sofa_cli.index import cache

    sampler = Sampler(threading.get_ident())
    watcher = threading.Thread(target=sampler.run, daemon=True)
    watcher.start()
    opened = cache.open_index(args.corpus.resolve(), index_dir=str(args.work), rebuild=True)
    sampler.done = True
    watcher.join()
    for place, rss in sorted(sampler.peaks.items(), key=lambda item: -item[1])[: args.top]:
        print(f"{rss:7.0f} MB  {place}")
    print("RSS every 2 s:")
    for seconds, rss, place in sampler.timeline:
        print(f"{seconds:8.1f} s {rss:5.0f} MB  {place}")
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        json.dumps(
            {
                "passages": opened.report.passages if opened.report else None,
                "peak_mb": own.ru_maxrss // 1024,
                "peak_worker_mb": kids.ru_maxrss // 1024,
                "cpu_s": round(own.ru_utime + own.ru_stime, 2),
                "cpu_children_s": round(kids.ru_utime + kids.ru_stime, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
